"""JWT pairs: issued at a login, rotated at a refresh. The one place our code mints tokens
(simplejwt's own login view mints the password login's pair).

The refresh's errors stay simplejwt's and DRF's (`InvalidToken`, `AuthenticationFailed`): DRF
answers those with 401 and `WWW-Authenticate`, the answer the refresh endpoint has always given.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from django.contrib.auth.models import update_last_login
from django.db import transaction
from django.utils.translation import gettext_lazy
from rest_framework.exceptions import AuthenticationFailed
from rest_framework_simplejwt.exceptions import InvalidToken, TokenError
from rest_framework_simplejwt.settings import api_settings as jwt_settings
from rest_framework_simplejwt.tokens import RefreshToken
from rest_framework_simplejwt.utils import get_md5_hash_password

from accounts.models import User

# When the person last proved who they are (a password or a provider login), carried from a pair to
# the next through refreshes: what creating an API key asks of someone with no password (api_keys.py).
AUTH_TIME_CLAIM = "auth_time"

# simplejwt's own message (and translation) for a token whose user is gone or deactivated.
NO_ACTIVE_ACCOUNT = gettext_lazy("No active account found for the given token.")


@dataclass(frozen=True)
class TokenPair:
    access: str
    refresh: str


def _pair(refresh: RefreshToken) -> TokenPair:
    return TokenPair(access=str(refresh.access_token), refresh=str(refresh))


def refresh_for_login(user: User, *, auth_time: int | None = None) -> RefreshToken:
    """A refresh token for `user`, stamped with the time they logged in (now, unless carried over)."""
    token = RefreshToken.for_user(user)
    token[AUTH_TIME_CLAIM] = auth_time if auth_time is not None else int(time.time())
    return token


def auth_time_of(token) -> int | None:
    """When the holder of this access token (`request.auth`) logged in; None for anything else."""
    value = token.get(AUTH_TIME_CLAIM) if hasattr(token, "get") else None
    return value if isinstance(value, int) else None


def token_pair_for_login(*, user: User) -> TokenPair:
    """A fresh pair for someone who just logged in (their `last_login` is now)."""
    update_last_login(None, user)
    return _pair(refresh_for_login(user))


def token_refresh_rotate(*, refresh: str) -> TokenPair:
    """A new pair for a refresh token, which stops working. Of calls racing with one token, the one
    whose insert of its `jti` into the blacklist (unique there) succeeds gets the pair; every other
    gets 401, as after a logout."""
    try:
        token = RefreshToken(refresh)  # signature, expiry and blacklist
    except TokenError as error:
        raise InvalidToken(error.args[0]) from error
    try:
        user = User.objects.filter(pk=token.payload.get(jwt_settings.USER_ID_CLAIM)).first()
    except (ValueError, TypeError):
        user = None
    if user is None or not jwt_settings.USER_AUTHENTICATION_RULE(user):
        raise AuthenticationFailed(NO_ACTIVE_ACCOUNT, "no_active_account")
    if token.payload.get(jwt_settings.REVOKE_TOKEN_CLAIM) != get_md5_hash_password(user.password):
        raise InvalidToken(gettext_lazy("This session was ended (the password changed). Please log in again."))
    with transaction.atomic():
        _, first = token.blacklist()
        if not first:
            raise InvalidToken(gettext_lazy("Token is blacklisted"))
        rotated = refresh_for_login(user, auth_time=token.payload.get(AUTH_TIME_CLAIM, 0))
    return _pair(rotated)
