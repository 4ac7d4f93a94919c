"""A JWT's user is read afresh on every request: gone, deactivated or with a new password, the token stops working."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import AccessToken, RefreshToken

from accounts.authentication import _user_statement, our_id
from accounts.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def me(token) -> tuple[int, dict]:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    response = client.get("/api/v1/auth/me/")
    return response.status_code, response.json()


def test_the_tokens_user_is_the_one_answered_for_read_by_the_plain_statement():
    user = UserFactory(email="ada@example.com", daily_limit=9)
    token = RefreshToken.for_user(user).access_token
    assert token["user_id"] == str(user.pk)  # simplejwt writes the id as a string

    with CaptureQueriesContext(connection) as queries:
        status, body = me(token)

    assert status == 200
    assert body["email"] == "ada@example.com"
    assert body["quota"]["limit"] == 9
    # The user is read by our own statement, not by simplejwt's queryset.
    assert any(query["sql"].startswith(_user_statement().split("%s")[0]) for query in queries)


@pytest.mark.parametrize(
    ("claim", "expected"),
    [("7", 7), (7, 7), ("0", None), ("-7", None), ("+7", None), (" 7", None), ("\u0667", None), ("9" * 20, None)],
)
def test_a_claim_is_one_of_our_ids_only_as_plain_digits(claim, expected):
    assert our_id(claim) == expected


@pytest.mark.parametrize(
    ("change", "code"),
    [
        (lambda user: user.delete(), "user_not_found"),
        (lambda user: type(user).objects.filter(pk=user.pk).update(is_active=False), "user_inactive"),
        (lambda user: (user.set_password("a whole new one 42"), user.save()), "password_changed"),
    ],
    ids=["deleted", "deactivated", "new password"],
)
def test_a_token_stops_working_when_its_user_changes(change, code):
    user = UserFactory()
    token = RefreshToken.for_user(user).access_token
    assert me(token)[0] == 200

    change(user)

    status, body = me(token)
    assert status == 401
    assert body["code"] == code


@pytest.mark.parametrize(
    "user_id", ["7", 2**64, -1, None, True], ids=["a string", "past 64 bits", "negative", "null", "a boolean"]
)
def test_a_signed_token_with_an_odd_user_claim_is_refused_not_an_error(user_id):
    token = AccessToken()
    token["user_id"] = user_id

    status, body = me(token)

    assert status == 401
    assert body["detail"]
