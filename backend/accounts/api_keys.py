"""Personal API keys: making, checking and revoking them. The one place key material is handled.

A key reads `cbk_<prefix>_<secret>`: the prefix finds the row, the whole key's SHA-256 must match.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext

from accounts.exceptions import AccountNotFound, ApiKeyLimitReached
from accounts.models import ApiKey, User
from accounts.selectors import api_keys_of
from accounts.services import owner_proven

KEY_PREFIX = "cbk_"
PREFIX_LENGTH = 12
# `last_used_at` is written at most this often per key, not on every request.
LAST_USED_RESOLUTION = dt.timedelta(minutes=1)


@dataclass(frozen=True)
class NewApiKey:
    api_key: ApiKey
    key: str  # shown to its owner this once; never stored


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def looks_like_api_key(token: str) -> bool:
    return token.startswith(KEY_PREFIX)


def api_key_create_for_owner(
    *, user: User, name: str, current_password: str | None, auth_time: int | None
) -> NewApiKey:
    """What the API does: a new key once the owner is proven at the keyboard (`owner_proven`):
    a key outlives every session, so a stolen access token must not be enough to make one."""
    with transaction.atomic():
        locked = owner_proven(
            user=user, current_password=current_password, auth_time=auth_time, to=gettext("create an API key")
        )
        return api_key_create(user=locked, name=name)


def api_key_create(*, user: User, name: str) -> NewApiKey:
    """A new key, shown once (NewApiKey.key); ApiKeyLimitReached past API_KEYS_PER_USER."""
    with transaction.atomic():
        # Lock the user's row so two simultaneous creations cannot both pass the count.
        User.objects.select_for_update().filter(pk=user.pk).first()
        if api_keys_of(user).count() >= settings.API_KEYS_PER_USER:
            message = gettext("You can have at most %(limit)s API keys. Revoke one first.")
            raise ApiKeyLimitReached(message % {"limit": settings.API_KEYS_PER_USER})
        prefix = secrets.token_hex(PREFIX_LENGTH // 2)
        key = f"{KEY_PREFIX}{prefix}_{secrets.token_urlsafe(32)}"
        api_key = ApiKey.objects.create(user=user, name=name.strip(), prefix=prefix, key_hash=_hash(key))
    return NewApiKey(api_key=api_key, key=key)


def api_key_revoke(*, user: User, key_id: int) -> None:
    """Delete one of the user's own keys; another user's key, like a missing one, is AccountNotFound."""
    deleted, _ = api_keys_of(user).filter(pk=key_id).delete()
    if not deleted:
        raise AccountNotFound()


def api_key_user(key: str) -> User | None:
    """The active user whose key this is, or None. Revoked keys are gone from the table: no cache."""
    body = key.removeprefix(KEY_PREFIX)
    prefix, _, secret = body.partition("_")
    if len(prefix) != PREFIX_LENGTH or not secret:
        return None
    api_key = ApiKey.objects.select_related("user").filter(prefix=prefix).first()
    if api_key is None or not hmac.compare_digest(api_key.key_hash, _hash(key)):
        return None
    if not api_key.user.is_active:
        return None
    now = timezone.now()
    if api_key.last_used_at is None or api_key.last_used_at < now - LAST_USED_RESOLUTION:
        stale = Q(last_used_at__isnull=True) | Q(last_used_at__lt=now - LAST_USED_RESOLUTION)
        ApiKey.objects.filter(stale, pk=api_key.pk).update(last_used_at=now)
    return api_key.user
