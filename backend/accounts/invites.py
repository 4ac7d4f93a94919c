"""Who may sign up (SIGNUP_MODE, SIGNUP_EMAIL_DOMAINS) and the invite codes that let people in.

One set of rules for both doors: the signup form (`accounts.services.user_create`) and a new
GitHub or Kakao user (`accounts.social.services`). An invite's use is taken by one conditional
UPDATE inside the transaction that makes the account: of signups racing for its last use exactly
one gets it, and a signup that fails afterwards (the address taken meanwhile) gives it back.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from django.conf import settings
from django.db.models import F, Q
from django.utils import timezone

from accounts.exceptions import EmailDomainRefused, InviteInvalid, InviteRequired, SignupClosed
from accounts.models import Invite
from chat.models import AllowanceGroup

# Easy to read out and type: no 0/O, 1/I/L. 16 of 31 characters: 79 random bits.
ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 16


def normalized_code(code: str) -> str:
    return "".join(ch for ch in code.upper() if ch.isalnum())


def invite_hash(code: str) -> str:
    return hashlib.sha256(normalized_code(code).encode()).hexdigest()


def invite_code_new() -> str:
    """A fresh code, in groups of four: `K7QM-3XHD-P9TW-R2FN`."""
    raw = "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))
    return "-".join(raw[i : i + 4] for i in range(0, CODE_LENGTH, 4))


def invite_code_set(invite: Invite, code: str) -> None:
    """Give an unsaved invite `code` (its hash, and the hint the admin shows)."""
    invite.code_hash = invite_hash(code)
    invite.hint = normalized_code(code)[:4]


def invite_create(*, uses: int = 1, days: float | None = None, groups=(), note: str = "") -> str:
    """A new invite; returns its code (shown this once: only its hash is kept)."""
    code = invite_code_new()
    expires_at = timezone.now() + dt.timedelta(days=days) if days is not None else None
    invite = Invite(max_uses=uses, expires_at=expires_at, note=note)
    invite_code_set(invite, code)
    invite.save()
    invite.groups.set(groups)
    return code


def signup_open_check() -> None:
    """SignupClosed while nobody new may join."""
    if settings.SIGNUP_MODE == "closed":
        raise SignupClosed()


def email_domain_allowed(email: str | None) -> bool:
    domains = settings.SIGNUP_EMAIL_DOMAINS
    if not domains:
        return True
    domain = (email or "").rsplit("@", 1)[-1].lower() if email and "@" in email else ""
    return domain in domains


def email_domain_check(email: str | None) -> None:
    if not email_domain_allowed(email):
        raise EmailDomainRefused()


def invite_take(*, code_hash: str | None) -> list[AllowanceGroup]:
    """Take one use of the invite (when SIGNUP_MODE needs one) and return the groups it puts the new
    user in. Call inside the transaction that makes the account. InviteRequired, InviteInvalid."""
    if settings.SIGNUP_MODE != "invite":
        return []
    if not code_hash:
        raise InviteRequired()
    now = timezone.now()
    usable = Invite.objects.filter(code_hash=code_hash, uses__lt=F("max_uses")).filter(
        Q(expires_at__isnull=True) | Q(expires_at__gt=now)
    )
    if usable.update(uses=F("uses") + 1) != 1:
        raise InviteInvalid()
    return list(AllowanceGroup.objects.filter(invites__code_hash=code_hash))


def signup_policy() -> dict:
    """What the signup page needs to know (public)."""
    return {
        "mode": settings.SIGNUP_MODE,
        "email_domains": list(settings.SIGNUP_EMAIL_DOMAINS),
        "require_verified_email": settings.REQUIRE_VERIFIED_EMAIL,
    }
