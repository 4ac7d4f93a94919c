"""Reads on accounts, each starting from the owner."""

from __future__ import annotations

from django.db.models import QuerySet

from accounts.models import ApiKey, User


def api_keys_of(user: User) -> QuerySet[ApiKey]:
    """The user's own API keys, newest first."""
    return user.api_keys.all()
