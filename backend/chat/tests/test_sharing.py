"""Read-only links to a chat: the owner makes and revokes one; anyone with it reads the conversation,
and nothing else of the owner."""

import threading
import time

import httpx
import pytest
from django.db import connection
from rest_framework.test import APIClient

from accounts.tests.factories import UserFactory
from chat.models import PromptKind, SharedChat
from chat.tests.factories import ChatBotFactory, PromptFactory, exchange

pytestmark = pytest.mark.django_db

SPA = "https://chat.example.com/app/"


@pytest.fixture
def chat(user, settings):
    settings.SPA_URL = SPA
    chat = ChatBotFactory(user=user, title="Django help", persona_values={"language": "secret"})
    PromptFactory(chatbot=chat, kind=PromptKind.GOAL, content="my private goal")
    exchange(chat, "What is a queryset?", "A lazy query.")
    return chat


def share(client, chat):
    return client.post(f"/api/v1/chats/{chat.pk}/share/")


def test_the_owner_gets_a_link_that_anyone_can_open_without_logging_in(auth_client, chat):
    made = share(auth_client, chat)

    assert made.status_code == 201
    token = made.json()["token"]
    assert made.json()["url"] == f"{SPA}#/shared/{token}"
    shown = APIClient().get(f"/api/v1/shared/{token}/")
    assert shown.status_code == 200
    body = shown.json()
    assert body["title"] == "Django help"
    assert [(p["content"], p["reply"]["choices"][0]["content"]) for p in body["prompts"]] == [
        ("What is a queryset?", "A lazy query.")
    ]
    assert shown["X-Robots-Tag"] == "noindex, nofollow"
    assert "no-store" in shown["Cache-Control"]


def test_a_shared_chat_shows_no_email_no_ids_no_context_and_no_persona(auth_client, chat, user):
    token = share(auth_client, chat).json()["token"]

    text = APIClient().get(f"/api/v1/shared/{token}/").content.decode()

    for private in (user.email, "my private goal", "secret", '"id"', '"user', "persona"):
        assert private not in text
    assert set(APIClient().get(f"/api/v1/shared/{token}/").json()) == {"title", "created_at", "prompts"}


def test_sharing_again_gives_the_same_link_and_a_revoked_one_is_gone_at_once(auth_client, chat):
    first = share(auth_client, chat).json()
    again = share(auth_client, chat)
    assert again.status_code == 201
    assert again.json() == first

    assert auth_client.delete(f"/api/v1/chats/{chat.pk}/share/").status_code == 204
    gone = APIClient().get(f"/api/v1/shared/{first['token']}/")
    assert gone.status_code == 404
    assert gone.json() == {"detail": "Not found."}
    assert auth_client.delete(f"/api/v1/chats/{chat.pk}/share/").status_code == 204  # nothing left to revoke

    new = share(auth_client, chat)
    assert new.status_code == 201
    assert new.json()["token"] != first["token"]


def test_options_sharing_does_not_have_are_refused_not_ignored(auth_client, chat):
    response = auth_client.post(f"/api/v1/chats/{chat.pk}/share/", {"expires_in": 3600}, format="json")

    assert response.status_code == 400
    assert response.json() == {"detail": "Sharing takes no request body."}
    assert not SharedChat.objects.exists()
    assert auth_client.post(f"/api/v1/chats/{chat.pk}/share/", {}, format="json").status_code == 201


def test_a_link_shows_the_chat_as_it_is_now(auth_client, chat):
    token = share(auth_client, chat).json()["token"]
    exchange(chat, "And a manager?", "The entry point.")
    auth_client.patch(f"/api/v1/chats/{chat.pk}/", {"title": "Querysets"}, format="json")

    body = APIClient().get(f"/api/v1/shared/{token}/").json()

    assert body["title"] == "Querysets"
    assert [p["content"] for p in body["prompts"]] == ["What is a queryset?", "And a manager?"]


@pytest.mark.parametrize("token", ["nope", "0" * 43, "x" * 5000])
def test_an_unknown_token_is_not_found(chat, token):
    response = APIClient().get(f"/api/v1/shared/{token}/")

    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}


def test_the_database_holds_no_token_that_opens_the_link(auth_client, chat):
    token = share(auth_client, chat).json()["token"]
    link = SharedChat.objects.get()

    assert token not in (link.seed, link.token_hash)
    assert len(token) >= 40


def test_a_link_made_under_a_retired_secret_key_no_longer_opens_and_sharing_gives_a_new_one(
    auth_client, chat, settings
):
    old = share(auth_client, chat).json()["token"]
    settings.SECRET_KEY_FALLBACKS = [settings.SECRET_KEY]
    settings.SECRET_KEY = "a-new-secret-key-that-is-long-enough-for-django-0123456789"
    assert share(auth_client, chat).json()["token"] == old  # the fallback still recognises it

    settings.SECRET_KEY_FALLBACKS = []
    new = share(auth_client, chat).json()["token"]
    assert new != old
    assert APIClient().get(f"/api/v1/shared/{old}/").status_code == 404
    assert APIClient().get(f"/api/v1/shared/{new}/").status_code == 200


def test_only_the_owner_shares_or_revokes(client_for, chat):
    token = share(client_for(chat.user), chat).json()["token"]
    stranger = client_for(UserFactory())

    assert share(stranger, chat).status_code == 404
    assert stranger.delete(f"/api/v1/chats/{chat.pk}/share/").status_code == 404
    assert APIClient().post(f"/api/v1/chats/{chat.pk}/share/").status_code == 401
    assert APIClient().get(f"/api/v1/shared/{token}/").status_code == 200  # still shared


def test_a_reader_with_a_stale_token_of_their_own_still_reads_the_link(auth_client, chat):
    token = share(auth_client, chat).json()["token"]
    reader = APIClient()
    reader.credentials(HTTP_AUTHORIZATION="Bearer expired.or.bogus")

    assert reader.get(f"/api/v1/shared/{token}/").status_code == 200


def test_deleting_the_chat_ends_its_link(auth_client, chat):
    token = share(auth_client, chat).json()["token"]
    auth_client.delete(f"/api/v1/chats/{chat.pk}/")

    assert APIClient().get(f"/api/v1/shared/{token}/").status_code == 404


def test_reading_links_is_throttled_per_address(auth_client, chat, settings):
    settings.SHARED_CHAT_THROTTLE_RATE = "3/minute"
    token = share(auth_client, chat).json()["token"]
    reader = APIClient()

    answers = [reader.get(f"/api/v1/shared/{token if n % 2 else 'guess'}/").status_code for n in range(4)]

    assert answers == [404, 200, 404, 429]


@pytest.mark.django_db(transaction=True)
def test_ten_shares_at_once_make_one_link(chat, client_for):
    results, barrier = [], threading.Barrier(10)

    def make():
        client = client_for(chat.user)
        barrier.wait()
        try:
            results.append(share(client, chat))
        finally:
            connection.close()  # this thread's own

    threads = [threading.Thread(target=make) for _ in range(10)]
    [thread.start() for thread in threads]
    [thread.join() for thread in threads]

    assert [r.status_code for r in results] == [201] * 10
    assert len({r.json()["token"] for r in results}) == 1
    assert SharedChat.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_the_servers_log_never_carries_a_shared_token(api_server, tmp_path, chat, client_for):
    token = share(client_for(chat.user), chat).json()["token"]
    log = tmp_path / "server.log"
    server = api_server(workers=1, log_path=log, SHARED_CHAT_THROTTLE_RATE="1/minute", ACCESS_LOG="true")

    assert httpx.get(f"{server.url}/api/v1/shared/{token}/?x=1").status_code == 200
    assert httpx.get(f"{server.url}/api/v1/shared/{token}/").status_code == 429  # Django logs this one
    assert httpx.get(f"{server.url}/api/v1/shared/{'9' * 43}/").status_code == 429
    deadline = time.monotonic() + 5
    while log.read_text().count("/api/v1/shared/<token>/") < 4 and time.monotonic() < deadline:
        time.sleep(0.1)

    text = log.read_text()
    assert token not in text and "9" * 43 not in text
    assert text.count("/api/v1/shared/<token>/") >= 4  # three access lines, and Django's "Too Many Requests"
