"""Personal API keys: made once, stored as a hash, good for everything a JWT is but managing keys."""

import datetime as dt

import httpx
import pytest
import time_machine
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import AccessToken

from accounts.api_keys import api_key_create
from accounts.models import ApiKey
from accounts.tests.factories import PASSWORD, UserFactory
from accounts.tokens import AUTH_TIME_CLAIM, refresh_for_login
from chat.tests.factories import ChatBotFactory
from conftest import bearer_client

KEYS = "/api/v1/auth/keys/"
pytestmark = pytest.mark.django_db


def key_client(key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    return client


def test_a_new_key_is_shown_once_and_stored_only_as_a_hash(auth_client, user):
    created = auth_client.post(KEYS, {"name": "laptop", "current_password": PASSWORD}, format="json")
    listed = auth_client.get(KEYS).json()

    assert created.status_code == 201
    body = created.json()
    assert body["key"].startswith("cbk_")
    assert body["name"] == "laptop"
    assert body["key"].startswith(f"cbk_{body['prefix']}_")
    assert listed == [{k: body[k] for k in ("id", "name", "prefix", "created_at", "last_used_at")}]
    stored = ApiKey.objects.get()
    assert body["key"] not in (stored.key_hash, stored.prefix, stored.name)
    assert len(stored.key_hash) == 64


def test_a_key_opens_every_endpoint_a_jwt_does(user):
    key = api_key_create(user=user, name="script").key
    chat = ChatBotFactory(user=user)
    client = key_client(key)

    assert client.get("/api/v1/auth/me/").json()["email"] == user.email
    assert client.get(f"/api/v1/chats/{chat.pk}/").status_code == 200
    assert client.post("/api/v1/chats/", {"title": "by key"}, format="json").status_code == 201


def test_a_key_cannot_make_keys_but_can_list_and_revoke_them(user):
    created = api_key_create(user=user, name="script")
    other = api_key_create(user=user, name="old script")
    client = key_client(created.key)

    assert client.post(KEYS, {"name": "another"}, format="json").status_code == 401
    assert [key["name"] for key in client.get(KEYS).json()] == ["old script", "script"]
    assert client.delete(f"{KEYS}{other.api_key.pk}/").status_code == 204
    assert list(ApiKey.objects.values_list("name", flat=True)) == ["script"]


@pytest.mark.parametrize("bad", ["cbk_", "cbk_0123456789ab_wrong", "cbk_nothing-like-a-key", "cbk_\u00e9"])
def test_a_wrong_key_is_a_401(user, bad):
    api_key_create(user=user, name="real")

    response = key_client(bad).get("/api/v1/auth/me/")

    assert response.status_code == 401


def test_a_key_with_the_right_prefix_and_a_wrong_secret_is_a_401(user):
    real = api_key_create(user=user, name="real").key
    forged = real[: real.rindex("_") + 1] + "x" * 43

    assert key_client(forged).get("/api/v1/auth/me/").status_code == 401


def test_another_users_key_is_not_found(auth_client):
    theirs = api_key_create(user=UserFactory(), name="theirs").api_key

    assert auth_client.delete(f"{KEYS}{theirs.pk}/").status_code == 404
    assert ApiKey.objects.filter(pk=theirs.pk).exists()


def test_at_most_ten_keys(auth_client):
    for n in range(10):
        assert (
            auth_client.post(KEYS, {"name": f"key {n}", "current_password": PASSWORD}, format="json").status_code == 201
        )

    refused = auth_client.post(KEYS, {"name": "eleventh", "current_password": PASSWORD}, format="json")

    assert refused.status_code == 400
    assert "at most 10" in refused.json()["detail"]


@pytest.mark.parametrize("body", [{}, {"name": ""}, {"name": 5}, {"name": "x" * 101}])
def test_a_key_needs_a_name(auth_client, body):
    assert auth_client.post(KEYS, {**body, "current_password": PASSWORD}, format="json").status_code == 400


def test_last_used_is_written_at_most_once_a_minute(user):
    created = api_key_create(user=user, name="script")
    client = key_client(created.key)
    start = dt.datetime(2026, 6, 1, 12, 0, tzinfo=dt.UTC)

    with time_machine.travel(start, tick=False):
        client.get("/api/v1/auth/me/")
    with time_machine.travel(start + dt.timedelta(seconds=30), tick=False):
        client.get("/api/v1/auth/me/")
        after_30s = ApiKey.objects.get().last_used_at
    with time_machine.travel(start + dt.timedelta(seconds=61), tick=False):
        client.get("/api/v1/auth/me/")
        after_61s = ApiKey.objects.get().last_used_at

    assert after_30s == start
    assert after_61s == start + dt.timedelta(seconds=61)


@pytest.mark.django_db(transaction=True)
def test_a_revoked_key_stops_working_at_once_on_every_worker(api_server):
    user = UserFactory()
    created = api_key_create(user=user, name="script")
    server = api_server(workers=3)

    def me() -> int:  # a new connection each time, so the workers take turns
        headers = {"Authorization": f"Bearer {created.key}", "Connection": "close"}
        return httpx.get(f"{server.url}/api/v1/auth/me/", headers=headers, timeout=10).status_code

    before = [me() for _ in range(12)]
    assert bearer_client(user).delete(f"{KEYS}{created.api_key.pk}/").status_code == 204
    after = [me() for _ in range(12)]

    assert before == [200] * 12
    assert after == [401] * 12


# Probe 2, finding 1: a stolen access token could mint a key that never expires.
@pytest.mark.parametrize("given", [{}, {"current_password": "not-the-password"}, {"current_password": 5}])
def test_making_a_key_asks_for_the_current_password(auth_client, given):
    refused = auth_client.post(KEYS, {"name": "stolen session", **given}, format="json")

    assert refused.status_code in (400, 403)
    assert not ApiKey.objects.exists()
    if refused.status_code == 403:
        assert "current password" in refused.json()["detail"]


def jwt_client(user, *, logged_in_ago: dt.timedelta) -> APIClient:
    refresh = refresh_for_login(user)
    refresh[AUTH_TIME_CLAIM] = int((dt.datetime.now(dt.UTC) - logged_in_ago).timestamp())
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {refresh.access_token}")
    return client


def test_an_account_without_a_password_makes_keys_only_soon_after_logging_in(settings):
    settings.API_KEY_REAUTH_MINUTES = 10
    provider_only = UserFactory(password="!unusable")  # a GitHub or Kakao account
    provider_only.set_unusable_password()
    provider_only.save()

    fresh = jwt_client(provider_only, logged_in_ago=dt.timedelta(minutes=2)).post(KEYS, {"name": "a"}, format="json")
    stale = jwt_client(provider_only, logged_in_ago=dt.timedelta(minutes=11)).post(KEYS, {"name": "b"}, format="json")
    unstamped = bearer_client(provider_only).post(KEYS, {"name": "c"}, format="json")

    assert fresh.status_code == 201
    assert (stale.status_code, unstamped.status_code) == (403, 403)
    assert "Log in again" in stale.json()["detail"]
    assert list(ApiKey.objects.values_list("name", flat=True)) == ["a"]


def test_the_login_time_survives_a_refresh_but_is_not_renewed_by_it(api_client, user):
    login = api_client.post("/api/v1/auth/token/", {"email": user.email, "password": PASSWORD}, format="json")
    refreshed = api_client.post("/api/v1/auth/token/refresh/", {"refresh": login.json()["refresh"]}, format="json")
    stamped = [AccessToken(pair["access"])[AUTH_TIME_CLAIM] for pair in (login.json(), refreshed.json())]
    assert stamped[0] == stamped[1] > 0


def test_a_password_change_revokes_every_api_key(auth_client, user):
    key = api_key_create(user=user, name="made with a stolen session").key

    changed = auth_client.post(
        "/api/v1/auth/password/change/",
        {"current_password": PASSWORD, "new_password": "another-long-passphrase"},
        format="json",
    )

    assert changed.status_code == 204
    assert key_client(key).get("/api/v1/auth/me/").status_code == 401
    assert not ApiKey.objects.exists()


def test_answers_that_carry_tokens_or_a_key_may_not_be_stored_by_any_cache(api_client, user):
    """Probe 2, finding 4."""
    login = api_client.post("/api/v1/auth/token/", {"email": user.email, "password": PASSWORD}, format="json")
    refreshed = api_client.post("/api/v1/auth/token/refresh/", {"refresh": login.json()["refresh"]}, format="json")
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {refreshed.json()['access']}")
    key = api_client.post(KEYS, {"name": "laptop", "current_password": PASSWORD}, format="json")
    exchange = api_client.post("/api/v1/auth/social/exchange/", {"code": "x" * 20, "code_verifier": "y" * 43})

    for answer in (login, refreshed, key, exchange):
        assert "no-store" in answer.headers["Cache-Control"], answer.request["PATH_INFO"]
    assert (login.status_code, refreshed.status_code, key.status_code) == (200, 200, 201)
