"""Writes on accounts: signup, logout, email verification, password reset and change, ending sessions."""

from __future__ import annotations

import time

from allauth.socialaccount.models import SocialAccount
from django.conf import settings
from django.contrib.auth import hashers
from django.contrib.auth.tokens import default_token_generator
from django.core import signing
from django.db import IntegrityError, transaction
from django.utils.encoding import force_str
from django.utils.http import urlsafe_base64_decode
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken
from rest_framework_simplejwt.tokens import RefreshToken

from accounts import mail
from accounts.exceptions import AccountError, EmailTaken, NothingToVerify, OwnerNotProven
from accounts.invites import email_domain_check, invite_hash, invite_take, signup_open_check
from accounts.models import ApiKey, SocialLoginCode, User, UserManager
from accounts.selectors import email_in_use

VERIFY_SALT = mail.VERIFY_SALT


def user_create(*, email: str, password: str, invite_code: str | None = None, **profile) -> User:
    """A new account, if SIGNUP_MODE and SIGNUP_EMAIL_DOMAINS let it in (accounts.invites: SignupClosed,
    EmailDomainRefused, InviteRequired, InviteInvalid); EmailTaken if the address, in any case, has
    one already. An invite's use is taken with the account, all or nothing."""
    signup_open_check()
    email_domain_check(email)
    if email_in_use(email):
        raise EmailTaken()
    try:
        with transaction.atomic():
            groups = invite_take(code_hash=invite_hash(invite_code) if invite_code else None)
            user = User.objects.create_user(email=email, password=password, **profile)
            user.allowance_groups.add(*groups)
    except IntegrityError as error:  # a concurrent signup with the same email won the race
        raise EmailTaken() from error
    email_verification_send(user=user)  # committed: the link in the mail points at a real account
    return user


def owner_proven(*, user: User, current_password: str | None, auth_time: int | None, to: str) -> User:
    """That the account's owner is at the keyboard, for what outlives a stolen session (an API key,
    another way to log in): the current password, or for an account without one (a provider's
    only) a login within API_KEY_REAUTH_MINUTES (`auth_time`, accounts.tokens). Call it in a
    transaction: the user's row stays locked, so a password changed meanwhile is seen (and its
    revocations cannot be outrun). Returns the locked row; else OwnerNotProven."""
    locked = User.objects.select_for_update().get(pk=user.pk)
    if locked.password != user.password:
        raise OwnerNotProven(gettext("Your password has just changed. Log in again to %(to)s.") % {"to": to})
    if locked.has_usable_password():
        # Not `user.check_password`: that re-hashes an outdated hash and saves it, which would end
        # every session (the tokens carry a hash of the password hash).
        if not isinstance(current_password, str) or not hashers.check_password(current_password, locked.password):
            raise OwnerNotProven(
                gettext("Enter your current password to %(to)s.") % {"to": to}, param="current_password"
            )
        return locked
    minutes = settings.API_KEY_REAUTH_MINUTES
    if not isinstance(auth_time, int) or time.time() - auth_time > minutes * 60:
        message = gettext("Log in again (within the last %(minutes)s minutes) to %(to)s.")
        raise OwnerNotProven(message % {"minutes": minutes, "to": to})
    return locked


def user_logout(*, refresh: RefreshToken) -> None:
    refresh.blacklist()


def user_sessions_end(*, user: User) -> None:
    """Blacklist every refresh token of `user` and drop their unused social-login codes (a login or a
    link under way). Call it with the password changed: that is what makes their access tokens stop
    working too (SIMPLE_JWT's CHECK_REVOKE_TOKEN). API keys are the caller's decision."""
    SocialLoginCode.objects.filter(user=user, used_at__isnull=True).delete()
    outstanding = OutstandingToken.objects.filter(user=user, blacklistedtoken__isnull=True)
    BlacklistedToken.objects.bulk_create(
        [BlacklistedToken(token=token) for token in outstanding], ignore_conflicts=True
    )


# --- Email verification -----------------------------------------------------------------------


def email_verification_send(*, user: User) -> None:
    if user.email and not user.email_verified:
        mail.verification_mail(user_id=user.pk)


def email_verification_resend(*, user: User) -> None:
    """Mail the link again when asked; NothingToVerify if the user has no address or verified it."""
    if not user.email or user.email_verified:
        raise NothingToVerify()
    email_verification_send(user=user)


class VerificationKeyInvalid(AccountError):
    default_detail = _("This verification link is invalid, expired or already used.")


def email_verify(*, key: str) -> User:
    """Mark the address of the key verified; the key works once, for EMAIL_VERIFICATION_DAYS."""
    try:
        claim = signing.loads(key, salt=VERIFY_SALT, max_age=settings.EMAIL_VERIFICATION_DAYS * 24 * 3600)
    except signing.BadSignature as error:  # tampered, or expired (SignatureExpired is a BadSignature)
        raise VerificationKeyInvalid() from error
    if not isinstance(claim, dict):
        raise VerificationKeyInvalid()
    # The address must still be the user's, and unverified: a used key, or one for an address the
    # account has since lost, matches nothing.
    verified = User.objects.filter(
        pk=claim.get("user"), email=claim.get("email"), email_verified=False, is_active=True
    ).update(email_verified=True)
    if verified != 1:
        raise VerificationKeyInvalid()
    return User.objects.get(pk=claim["user"])


# --- Password reset and change ----------------------------------------------------------------


def password_reset_request(*, email: str) -> None:
    """Mail a reset link if an active account has this address; the caller answers the same either way."""
    user = User.objects.filter(email__iexact=UserManager.normalize_email(email), is_active=True).first()
    if user is not None:
        mail.password_reset_mail(user_id=user.pk)


class ResetLinkInvalid(AccountError):
    default_detail = _("This password reset link is invalid, expired or already used. Please ask for a new one.")


def password_reset_user(*, uid: str, token: str) -> User:
    """The user a reset link is for, if the link is still good (Django's signed, single-use token)."""
    try:
        user = User.objects.filter(pk=int(force_str(urlsafe_base64_decode(uid))), is_active=True).first()
    except (ValueError, TypeError, OverflowError):
        user = None
    if user is None or not default_token_generator.check_token(user, token):
        raise ResetLinkInvalid()
    return user


@transaction.atomic
def password_reset_confirm(*, uid: str, token: str, new_password: str) -> None:
    """Set the password a reset link asks for. The row lock makes the link single-use under races:
    the second of two confirms checks the token against the password the first one set.

    A reset is how someone who lost control of an account gets it back, so it also revokes the
    account's API keys. If the address had never been verified, whoever made the account may not
    have owned it (someone can sign up with another's address and link their own GitHub to it):
    the owner of the address, who just proved it, keeps the account alone, so its provider links go
    too (they can link their own again).
    """
    user = password_reset_user(uid=uid, token=token)
    user = User.objects.select_for_update().get(pk=user.pk)
    if not default_token_generator.check_token(user, token):
        raise ResetLinkInvalid()
    if not user.email_verified:
        SocialAccount.objects.filter(user=user).delete()
    ApiKey.objects.filter(user=user).delete()
    # Following a link mailed to the address proves it is the user's.
    _password_set(user=user, new_password=new_password, verified=True)


@transaction.atomic
def password_change(*, user: User, new_password: str) -> None:
    """A new password ends every session, and the API keys with them: a key made with a stolen
    session must not outlive the owner's answer to the theft."""
    user = User.objects.select_for_update().get(pk=user.pk)
    ApiKey.objects.filter(user=user).delete()
    _password_set(user=user, new_password=new_password)


def _password_set(*, user: User, new_password: str, verified: bool = False) -> None:
    """A new password; every token the user had stops working (other devices log in again)."""
    user.set_password(new_password)
    user.email_verified = user.email_verified or verified
    user.save(update_fields=["password", "email_verified"])
    user_sessions_end(user=user)
