"""Fixtures of the chat tests."""

import pytest

from accounts.api_keys import api_key_create


@pytest.fixture
def key(user) -> str:
    """A personal API key of `user`, as a script or SDK holds it."""
    return api_key_create(user=user, name="sdk").key
