"""Sending a message: what goes upstream (asserted at the mock server) and what is stored."""

import pytest

from chat.exceptions import ChatDeletedMidAnswer
from chat.models import ChatBot, Choice, DailyUsage, Prompt, Reply
from chat.tests.factories import ChatBotFactory, PromptFactory, exchange

pytestmark = pytest.mark.django_db


def send(client, chat, content="Hello", **extra):
    return client.post(f"/api/v1/chats/{chat.pk}/messages/", {"content": content}, format="json", **extra)


def test_a_send_stores_the_prompt_its_reply_and_choices_and_returns_them(auth_client, user, mock_llm):
    chat = ChatBotFactory(user=user)

    response = send(auth_client, chat, "What is Django?")

    assert response.status_code == 201
    body = response.json()
    assert body["kind"] == "message"
    assert body["content"] == "What is Django?"
    reply = body["reply"]
    assert reply["choices"] == [
        {
            "index": 0,
            "role": "assistant",
            "content": "Mock reply: What is Django?",
            "tool_calls": [],
            "finish_reason": "stop",
        }
    ]
    assert reply["completion_tokens"] == 5
    assert reply["total_tokens"] == reply["prompt_tokens"] + reply["completion_tokens"]
    stored = Reply.objects.get(pk=reply["id"])
    assert stored.chatbot_id == chat.pk
    assert stored.prompt.content == "What is Django?"
    assert Choice.objects.get(reply=stored).content == "Mock reply: What is Django?"
    assert DailyUsage.objects.get(user=user).used == 1


def test_the_chat_config_is_sent_upstream(auth_client, user, mock_llm):
    chat = ChatBotFactory(user=user, config__model="gpt-4.1-mini", config__temperature="0.25", config__max_tokens=77)

    send(auth_client, chat)

    request = mock_llm.requests()[-1]["body"]
    assert (request["model"], request["temperature"], request["max_tokens"]) == ("gpt-4.1-mini", 0.25, 77)
    assert mock_llm.requests()[-1]["authorization"] == "Bearer sk-te"


def test_system_prompt_and_context_go_upstream_ahead_of_the_earlier_turns(auth_client, user, mock_llm):
    chat = ChatBotFactory(user=user, config__system_prompt="You are a career coach.")
    PromptFactory(chatbot=chat, kind="misc", content="Answer in French")
    PromptFactory(chatbot=chat, kind="current_state", content="I am a junior developer")
    PromptFactory(chatbot=chat, kind="goal", content="Become a tech lead")
    exchange(chat, "First question", "First answer")
    exchange(chat, "Second question", "Second answer")

    send(auth_client, chat, "Third question")

    messages = mock_llm.last_messages()
    assert messages[0] == {"role": "system", "content": "You are a career coach."}
    assert messages[1]["role"] == "system"
    context = messages[1]["content"]
    assert (
        context.index("I am a junior developer")
        < context.index("Become a tech lead")
        < context.index("Answer in French")
    )
    assert messages[2:] == [
        {"role": "user", "content": "First question"},
        {"role": "assistant", "content": "First answer"},
        {"role": "user", "content": "Second question"},
        {"role": "assistant", "content": "Second answer"},
        {"role": "user", "content": "Third question"},
    ]


def test_without_context_or_system_prompt_only_the_conversation_is_sent(auth_client, user, mock_llm):
    chat = ChatBotFactory(user=user)

    send(auth_client, chat, "Just this")

    assert mock_llm.last_messages() == [{"role": "user", "content": "Just this"}]


def test_the_first_message_names_an_untitled_chat_and_bumps_it_to_the_top(auth_client, user, mock_llm):
    chat = ChatBotFactory(user=user, title="")
    ChatBotFactory(user=user, title="newer")

    send(auth_client, chat, "Plan a trip to Busan\nwith details")

    chats = auth_client.get("/api/v1/chats/").json()["results"]
    assert chats[0]["id"] == chat.pk
    assert chats[0]["title"] == "Plan a trip to Busan"


def test_every_send_answer_carries_the_rate_limit_headers(auth_client, user, mock_llm):
    chat = ChatBotFactory(user=user)

    ok = send(auth_client, chat)
    bad = auth_client.post(f"/api/v1/chats/{chat.pk}/messages/", {}, format="json")

    assert ok["X-RateLimit-Limit"] == "5"
    assert ok["X-RateLimit-Remaining"] == "4"
    assert int(ok["X-RateLimit-Reset"]) > 0
    assert bad.status_code == 400
    assert bad["X-RateLimit-Remaining"] == "4"


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"content": ""},
        {"content": None},
        {"content": 42.5},
        {"content": ["hello"]},
        {"content": {"text": "hello"}},
        {"content": "x" * 8001},
        {"content": "nul \x00 byte"},
        {"message": "wrong field"},
    ],
)
def test_a_bad_message_body_is_a_400_that_costs_nothing_and_calls_no_one(auth_client, user, mock_llm, body):
    chat = ChatBotFactory(user=user)

    response = auth_client.post(f"/api/v1/chats/{chat.pk}/messages/", body, format="json")

    assert response.status_code == 400
    assert "content" in response.json()
    assert mock_llm.requests() == []
    assert not Prompt.objects.filter(chatbot=chat).exists()
    assert auth_client.get("/api/v1/auth/me/").json()["quota"]["remaining"] == 5


@pytest.mark.parametrize(
    ("raw", "content_type"),
    [(b"{not json", "application/json"), (b"[1,2]", "application/json"), (b"content=hi", "text/plain")],
)
def test_a_body_that_is_not_a_json_object_is_a_4xx_with_a_json_error(auth_client, user, mock_llm, raw, content_type):
    chat = ChatBotFactory(user=user)

    response = auth_client.generic("POST", f"/api/v1/chats/{chat.pk}/messages/", raw, content_type=content_type)

    assert 400 <= response.status_code < 500
    assert response.json()
    assert mock_llm.requests() == []
    assert ChatBot.objects.get(pk=chat.pk).prompts.count() == 0


@pytest.mark.parametrize(("method", "status"), [("options", 200), ("get", 405), ("put", 405), ("delete", 405)])
def test_other_methods_on_the_send_endpoint_get_a_clear_answer(auth_client, user, method, status):
    chat = ChatBotFactory(user=user)

    response = getattr(auth_client, method)(f"/api/v1/chats/{chat.pk}/messages/")

    assert response.status_code == status
    assert response.json()


@pytest.mark.django_db(transaction=True)
def test_a_chat_deleted_while_the_model_answers_stores_nothing_and_costs_nothing(mock_llm):
    import threading

    from asgiref.sync import async_to_sync

    from accounts.tests.factories import UserFactory
    from chat.gateway import get_gateway
    from chat.models import QuotaReservation
    from chat.sending import send_complete, send_prepare
    from core.database import run_db

    user = UserFactory()
    chat = ChatBotFactory(user=user)
    threading.Timer(0.3, lambda: ChatBot.objects.filter(pk=chat.pk).delete()).start()

    async def send_slowly():
        plan = await run_db(send_prepare, user=user, chat_id=chat.pk, content="[[mock:latency=1]] hi")
        await send_complete(plan=plan, gateway=get_gateway())

    with pytest.raises(ChatDeletedMidAnswer):
        async_to_sync(send_slowly)()

    assert not Prompt.objects.exists()
    assert not QuotaReservation.objects.exists()
    assert not DailyUsage.objects.filter(used__gt=0).exists()


def test_a_reply_with_text_no_database_stores_is_stored_with_replacement_characters(auth_client, user, mock_llm):
    """Probe finding 4: a NUL (PostgreSQL) or a lone surrogate (both) in a reply was a 500."""
    chat = ChatBotFactory(user=user)

    response = send(auth_client, chat, "hello [[mock:unstorable]]")

    assert response.status_code == 201
    content = response.json()["reply"]["choices"][0]["content"]
    assert content == "Mock reply: hello nul\ufffd surrogate\ufffd end"
    assert Choice.objects.get().content == content
    assert DailyUsage.objects.get(user=user).used == 1


@pytest.mark.parametrize("path", ["messages/", "messages/1/regenerate/", "messages/1/edit/"])
def test_a_chat_id_past_any_primary_key_is_not_found(auth_client, path):
    response = auth_client.post(f"/api/v1/chats/{2**64 + 5}/{path}", {"content": "Hello"}, format="json")

    assert response.status_code == 404
