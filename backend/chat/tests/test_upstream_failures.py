"""When the model's server fails, the user gets a clear 502/503/504, nothing is stored, no quota is used."""

import pytest

from chat.models import DailyUsage, Prompt, QuotaReservation, Reply
from chat.tests.factories import ChatBotFactory
from testsupport.servers import free_port

pytestmark = pytest.mark.django_db


def send(client, chat, content):
    return client.post(f"/api/v1/chats/{chat.pk}/messages/", {"content": content}, format="json")


def assert_nothing_stored_and_nothing_spent(client, chat):
    assert not Prompt.objects.filter(chatbot=chat).exists()
    assert not Reply.objects.exists()
    assert not QuotaReservation.objects.exists()
    assert not DailyUsage.objects.filter(used__gt=0).exists()
    assert client.get("/api/v1/auth/me/").json()["quota"]["remaining"] == 5


@pytest.mark.parametrize(
    ("directive", "status", "says"),
    [
        ("[[mock:status=500]]", 502, "error (500)"),
        ("[[mock:status=503]]", 502, "error (503)"),
        ("[[mock:status=401]]", 502, "error (401)"),
        ("[[mock:status=400]]", 502, "error (400)"),
        ("[[mock:status=404]]", 502, "error (404)"),
        ("[[mock:status=429]]", 503, "busy"),
        ("[[mock:cut=0]]", 502, "broke off"),  # a body promised, half of it sent, the connection dropped
        ("[[mock:hang]]", 504, "in time"),
        ("[[mock:latency=3]]", 504, "in time"),
    ],
)
def test_an_upstream_failure_maps_to_a_gateway_error_and_costs_nothing(
    auth_client, user, mock_llm, settings, directive, status, says
):
    settings.OPENAI_TIMEOUT = 0.5
    chat = ChatBotFactory(user=user)

    response = send(auth_client, chat, f"Hello {directive}")

    assert response.status_code == status
    assert says in response.json()["detail"]
    assert response["X-RateLimit-Remaining"] == "5"
    if status == 503:
        assert response["Retry-After"] == "7"
    assert_nothing_stored_and_nothing_spent(auth_client, chat)


def test_an_unreachable_upstream_is_a_502(auth_client, user, settings):
    settings.OPENAI_BASE_URL = f"http://127.0.0.1:{free_port()}/v1"
    chat = ChatBotFactory(user=user)

    response = send(auth_client, chat, "Hello")

    assert response.status_code == 502
    assert "reach" in response.json()["detail"]
    assert_nothing_stored_and_nothing_spent(auth_client, chat)


def test_the_service_keeps_answering_after_failures(auth_client, user, mock_llm, settings):
    settings.OPENAI_TIMEOUT = 0.5
    chat = ChatBotFactory(user=user)
    for directive in ("[[mock:status=500]]", "[[mock:hang]]", "[[mock:status=429]]"):
        send(auth_client, chat, directive)

    response = send(auth_client, chat, "Still there?")

    assert response.status_code == 201
    assert response.json()["reply"]["choices"][0]["content"] == "Mock reply: Still there?"
    assert response["X-RateLimit-Remaining"] == "4"
