"""Other people's chats do not exist for you: every object endpoint answers 404, never 403."""

import pytest

from accounts.tests.factories import UserFactory
from chat.models import ChatBot, Prompt
from chat.tests.factories import ChatBotFactory, exchange

pytestmark = pytest.mark.django_db


@pytest.fixture
def victims_chat():
    chat = ChatBotFactory(user=UserFactory(), title="secret plans")
    exchange(chat, "my secret", "kept")
    return chat


@pytest.mark.parametrize(
    ("method", "suffix", "body"),
    [
        ("get", "", None),
        ("patch", "", {"title": "pwned"}),
        ("patch", "", {"context": {"goal": "pwned"}}),
        ("delete", "", None),
        ("post", "messages/", {"content": "hi"}),
        ("get", "export/", None),
    ],
)
def test_another_users_chat_is_not_found_and_untouched(auth_client, victims_chat, method, suffix, body):
    response = getattr(auth_client, method)(f"/api/v1/chats/{victims_chat.pk}/{suffix}", body, format="json")

    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}  # probe 2, finding 7: no model's name
    victims_chat.refresh_from_db()
    assert victims_chat.title == "secret plans"
    assert Prompt.objects.filter(chatbot=victims_chat).count() == 1


def test_lists_and_search_never_show_another_users_chats(auth_client, victims_chat):
    assert auth_client.get("/api/v1/chats/").json()["count"] == 0
    assert auth_client.get("/api/v1/chats/", {"search": "secret"}).json()["count"] == 0


def test_deleting_all_leaves_other_users_chats(auth_client, victims_chat):
    auth_client.delete("/api/v1/chats/")

    assert ChatBot.objects.filter(pk=victims_chat.pk).exists()
