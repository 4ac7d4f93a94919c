"""Who a provider login is, the one-time codes that hand it to the SPA, linking and unlinking.

The rules (api-contract "Social login"): a provider account seen before is the same user; a new
one becomes a new user with the provider's verified email, or none; a verified email that already
belongs to an account that verified it too is `email_conflict`, never a silent merge; one that an
account only signed up with (never verified) is claimed from it; an unverified email matches nobody.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from dataclasses import dataclass, field
from datetime import timedelta

from allauth.socialaccount.models import SocialAccount
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext

from accounts import mail
from accounts.exceptions import (
    AccountNotFound,
    EmailDomainRefused,
    InviteInvalid,
    InviteRequired,
    LastLoginMethod,
    SignupClosed,
    SocialAccountTaken,
    SocialCodeInvalid,
    SocialLoginRefused,
)
from accounts.invites import email_domain_check, invite_take, signup_open_check
from accounts.models import SocialLoginCode, User, UserManager
from accounts.services import owner_proven, user_sessions_end
from accounts.social.providers import PROVIDERS
from accounts.tokens import TokenPair, token_pair_for_login

CODE_LIFETIME = timedelta(seconds=60)


@dataclass(frozen=True)
class ProviderIdentity:
    """What a provider said about the person who just logged in with it."""

    provider: str
    uid: str
    extra_data: dict = field(default_factory=dict)
    verified_emails: tuple[str, ...] = ()  # the primary one first
    nickname: str = ""


def pkce_challenge(code_verifier: str) -> str:
    """RFC 7636's S256: base64url(sha256(verifier)) without padding."""
    digest = hashlib.sha256(code_verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def _hashed(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()


def _code_issue(*, purpose: str, user: User, provider: str, code_challenge: str = "", pending_link=None) -> str:
    code = secrets.token_urlsafe(32)
    now = timezone.now()
    # Spent and expired codes are worth nothing; clear those a while past their time as we go.
    SocialLoginCode.objects.filter(expires_at__lt=now - timedelta(minutes=10)).delete()
    SocialLoginCode.objects.create(
        purpose=purpose,
        code_hash=_hashed(code),
        user=user,
        provider=provider,
        code_challenge=code_challenge,
        pending_link=pending_link,
        expires_at=now + CODE_LIFETIME,
    )
    return code


def _code_consume(*, code: str, purpose: str, **conditions) -> SocialLoginCode | None:
    """The code's row if it was unused and unexpired, marked used by this one call; else None.

    The conditional UPDATE is the single-use guarantee: of callers racing with the same code,
    exactly one changes the row.
    """
    now = timezone.now()
    code_hash = _hashed(code)
    unused = SocialLoginCode.objects.filter(
        code_hash=code_hash, purpose=purpose, used_at__isnull=True, expires_at__gt=now, **conditions
    )
    if unused.update(used_at=now) != 1:
        return None
    return SocialLoginCode.objects.select_related("user").get(code_hash=code_hash)


def social_link_ticket_create(*, user: User, provider: str, current_password: str | None, auth_time: int | None) -> str:
    """The ticket of a `start_url` that links `provider` to `user` (single use, 60 seconds), once
    the owner is proven at the keyboard: a link is a way in that outlives a stolen session."""
    with transaction.atomic():
        owner_proven(
            user=user, current_password=current_password, auth_time=auth_time, to=gettext("link another login")
        )
        return _code_issue(purpose=SocialLoginCode.Purpose.LINK, user=user, provider=provider)


def social_link_ticket_consume(*, ticket: str, provider: str) -> User | None:
    """The user a ticket links `provider` to, or None. The ticket is spent by any start that carries
    it, for another provider too: a ticket read off a log line is worth nothing."""
    row = _code_consume(code=ticket, purpose=SocialLoginCode.Purpose.LINK)
    if row is None or row.provider != provider or not row.user.is_active:
        return None
    return row.user


def social_login_resolve(
    *, identity: ProviderIdentity, code_challenge: str, link_user_id: int | None, invite_hash: str | None = None
) -> str:
    """The one-time code the SPA exchanges for this login's tokens; SocialLoginRefused if none.

    A race of two first logins of the same provider account (or of two accounts with one email)
    ends at a unique constraint; the loser looks again and finds the winner's row. A new account
    follows the signup rules (accounts.invites; refusals `signup_closed`, `invite_required`,
    `invite_invalid`, `email_domain`), its invite (`invite_hash`) spent with it.
    """
    args = {"identity": identity, "code_challenge": code_challenge, "link_user_id": link_user_id}
    try:
        return _resolve(**args, invite_hash=invite_hash)
    except IntegrityError:
        return _resolve(**args, invite_hash=invite_hash)


SIGNUP_REFUSALS = {
    SignupClosed: "signup_closed",
    InviteRequired: "invite_required",
    InviteInvalid: "invite_invalid",
    EmailDomainRefused: "email_domain",
}


def _new_user_groups(*, email: str | None, invite_hash: str | None) -> list:
    """The signup rules for a new provider user; the invite's groups (its use taken in this transaction)."""
    try:
        signup_open_check()
        email_domain_check(email)
        return invite_take(code_hash=invite_hash)
    except tuple(SIGNUP_REFUSALS) as refused:
        raise SocialLoginRefused(SIGNUP_REFUSALS[type(refused)]) from refused


@transaction.atomic
def _resolve(
    *, identity: ProviderIdentity, code_challenge: str, link_user_id: int | None, invite_hash: str | None
) -> str:
    account = SocialAccount.objects.select_related("user").filter(provider=identity.provider, uid=identity.uid).first()
    issue = {"purpose": SocialLoginCode.Purpose.LOGIN, "provider": identity.provider, "code_challenge": code_challenge}

    if link_user_id is not None:
        user = User.objects.filter(pk=link_user_id, is_active=True).first()
        if user is None:
            raise SocialLoginRefused("failed")
        if account is not None:
            if account.user_id != user.pk:
                raise SocialLoginRefused("already_linked")
            return _code_issue(user=user, **issue)  # linked already: this is simply a login
        if SocialAccount.objects.filter(user=user, provider=identity.provider).exists():
            raise SocialLoginRefused("already_linked")
        # Linked when the code is exchanged, by whoever holds the verifier (see SocialLoginCode).
        pending = {"uid": identity.uid, "extra_data": identity.extra_data}
        return _code_issue(user=user, pending_link=pending, **issue)

    if account is not None:
        if not account.user.is_active:
            raise SocialLoginRefused("failed")
        account.extra_data = identity.extra_data
        account.last_login = timezone.now()
        account.save(update_fields=["extra_data", "last_login"])
        return _code_issue(user=account.user, **issue)

    emails = [UserManager.normalize_email(email) for email in identity.verified_emails if email]
    holders = {email: User.objects.select_for_update().filter(email__iexact=email).first() for email in emails}
    # A verified address, or one of an account an admin deactivated, is not taken from its holder.
    if any(holder is not None and (holder.email_verified or not holder.is_active) for holder in holders.values()):
        raise SocialLoginRefused("email_conflict")
    email = emails[0] if emails else None
    groups = _new_user_groups(email=email, invite_hash=invite_hash)
    if email and (squatter := holders[email]) is not None:
        _address_claim(squatter=squatter, provider=identity.provider)
    user = User(email=email, email_verified=email is not None, nickname=identity.nickname[:50])
    user.set_unusable_password()
    user.save()
    user.allowance_groups.add(*groups)
    SocialAccount.objects.create(
        user=user, provider=identity.provider, uid=identity.uid, extra_data=identity.extra_data
    )
    return _code_issue(user=user, **issue)


def _address_claim(*, squatter: User, provider: str) -> None:
    """A provider vouches for an address an account signed up with but never verified: the verified
    login gets it, that account loses it and is logged out everywhere, and the address is told.
    Without the address its password logs nobody in: dropping it is what ends the sessions."""
    address = squatter.email
    squatter.email = None
    squatter.set_unusable_password()
    squatter.save(update_fields=["email", "password"])
    user_sessions_end(user=squatter)
    name = PROVIDERS.get(provider, {}).get("name", provider)
    transaction.on_commit(lambda: mail.address_claimed_mail(to=address, provider=name))


@transaction.atomic
def social_code_exchange(*, code: str, code_verifier: str) -> User:
    """The user a login code stands for, the code spent; a pending link is made now."""
    row = _code_consume(code=code, purpose=SocialLoginCode.Purpose.LOGIN, code_challenge=pkce_challenge(code_verifier))
    if row is None or not row.user.is_active:
        raise SocialCodeInvalid()
    if row.pending_link:
        user = User.objects.select_for_update().get(pk=row.user_id)
        if SocialAccount.objects.filter(user=user, provider=row.provider).exists():
            raise SocialAccountTaken()
        try:
            with transaction.atomic():
                SocialAccount.objects.create(
                    user=user,
                    provider=row.provider,
                    uid=row.pending_link["uid"],
                    extra_data=row.pending_link.get("extra_data") or {},
                )
        except IntegrityError as error:  # someone else linked that provider account meanwhile
            raise SocialAccountTaken() from error
        if user.email:  # a new way into the account: its owner hears of it
            name = PROVIDERS.get(row.provider, {}).get("name", row.provider)
            transaction.on_commit(lambda: mail.provider_linked_mail(to=user.email, provider=name))
    return row.user


def social_login_token_pair(*, code: str, code_verifier: str) -> TokenPair:
    """The token pair a login code is exchanged for (`social_code_exchange`, then a login)."""
    return token_pair_for_login(user=social_code_exchange(code=code, code_verifier=code_verifier))


def can_log_in_with_password(user: User) -> bool:
    return bool(user.email) and user.has_usable_password()


@transaction.atomic
def social_account_unlink(*, user: User, provider: str) -> None:
    """Remove the caller's link to `provider`, unless it is their last way to log in."""
    user = User.objects.select_for_update().get(pk=user.pk)  # unlinks of one user queue here
    accounts = list(SocialAccount.objects.filter(user=user))
    removed = [account.pk for account in accounts if account.provider == provider]
    if not removed:
        raise AccountNotFound()
    if len(removed) == len(accounts) and not can_log_in_with_password(user):
        raise LastLoginMethod()
    SocialAccount.objects.filter(pk__in=removed).delete()
