"""Reads on accounts, each starting from the owner."""

from __future__ import annotations

from django.db.models import QuerySet

from accounts.models import ApiKey, User, UserManager


def api_keys_of(user: User) -> QuerySet[ApiKey]:
    """The user's own API keys, newest first."""
    return user.api_keys.all()


def email_in_use(email: str) -> bool:
    """Whether an account has this address already, in any case."""
    return User.objects.filter(email__iexact=UserManager.normalize_email(email)).exists()
