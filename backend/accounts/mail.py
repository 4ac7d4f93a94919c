"""The mails accounts send (verification, password reset, an address claimed) and how they leave.

Links point at the SPA (`SPA_URL`), whose pages call the API. A mail is a background task
(`core.tasks`, run by `manage.py run_tasks`): enqueued with the request's own writes, it leaves even
if the server restarts before it is sent, and a mail server that fails is retried with backoff.
An answer takes as long whether or not a mail was sent (a reset request must not tell by its
timing whether an address has an account), and never fails with the mail server.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core import signing
from django.core.mail import EmailMessage
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django_tasks import task

from accounts.models import User
from core.tasks import retried


def spa_link(route: str) -> str:
    """`SPA_URL#/<route>`: the token rides in the fragment, which browsers never send to a server."""
    return f"{settings.SPA_URL.split('#')[0]}#/{route}"


@task()
def send_mail(*, to: str, subject: str, body: str, attempt: int = 1) -> None:
    """One mail, sent by a worker; SMTP's, sockets' and the backend's errors are retried (`retried`)."""
    message = _message(to=to, subject=subject, body=body)
    retried(send_mail, attempt=attempt, kwargs={"to": to, "subject": subject, "body": body}, work=message.send)


def _message(*, to: str, subject: str, body: str) -> EmailMessage:
    return EmailMessage(subject=subject, body=body, from_email=settings.DEFAULT_FROM_EMAIL, to=[to])


def send_mail_later(*, to: str, subject: str, body: str) -> None:
    send_mail.enqueue(to=to, subject=subject, body=body)


VERIFY_SALT = "accounts.email-verification"


def verification_key(user: User) -> str:
    """The signed key of a verification link: the user and the address it confirms."""
    return signing.dumps({"user": user.pk, "email": user.email}, salt=VERIFY_SALT)


def verification_mail(*, user_id: int) -> None:
    link_mail.enqueue(kind="verify", user_id=user_id)


def password_reset_mail(*, user_id: int) -> None:
    link_mail.enqueue(kind="reset", user_id=user_id)


@task()
def link_mail(*, kind: str, user_id: int, attempt: int = 1) -> None:
    """A verification or reset mail whose link the worker makes as it sends it. The task's row (its
    arguments are in the database and the admin) holds the user's id, never a link that works; a
    user who has gone, or verified meanwhile, gets nothing."""
    user = User.objects.filter(pk=user_id, is_active=True).exclude(email="").first()
    if user is None or (kind == "verify" and user.email_verified):
        return
    message = _verification_message(user) if kind == "verify" else _reset_message(user)
    retried(link_mail, attempt=attempt, kwargs={"kind": kind, "user_id": user_id}, work=message.send)


def _verification_message(user: User) -> EmailMessage:
    return _message(
        to=user.email,
        subject="Confirm your email address",
        body=(
            "Hello,\n\nPlease confirm that this address is yours by opening this link:\n\n"
            f"{spa_link('verify-email/' + verification_key(user))}\n\n"
            f"The link works for {settings.EMAIL_VERIFICATION_DAYS} days. If you did not sign up, "
            "ignore this mail: nothing happens without it.\n"
        ),
    )


def _reset_message(user: User) -> EmailMessage:
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    return _message(
        to=user.email,
        subject="Reset your password",
        body=(
            "Hello,\n\nSomeone (we hope you) asked to reset the password of the account with this address. "
            "To choose a new password, open this link:\n\n"
            f"{spa_link(f'reset-password/{uid}/{token}')}\n\n"
            "The link works once, within an hour. If you did not ask, ignore this mail: your password "
            "stays as it is.\n"
        ),
    )


def address_claimed_mail(*, to: str, provider: str) -> None:
    send_mail_later(
        to=to,
        subject="Your email address now belongs to your verified account",
        body=(
            f"Hello,\n\nYou just logged in with {provider}, which confirmed that this address is yours. "
            "An earlier account had signed up with this address but never confirmed it, so the address "
            "was moved to your new account, and the earlier account was logged out everywhere and can no "
            "longer log in with it.\n\nIf that earlier account was yours too, reply to this mail and we "
            "will help you move its chats.\n"
        ),
    )


def provider_linked_mail(*, to: str, provider: str) -> None:
    send_mail_later(
        to=to,
        subject=f"{provider} can now log in to your account",
        body=(
            f"Hello,\n\nA {provider} account was just linked to your account: it can now log you in. "
            "If that was not you, unlink it on your account page and change your password at once: that "
            "ends every other session.\n"
        ),
    )
