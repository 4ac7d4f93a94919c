"""Personas, editing what the bot knows, and asking again (regenerate): asserted at the mock server."""

from __future__ import annotations

import json

import pytest

from chat.models import ChatBot, DailyUsage, Persona, Reply
from chat.tests.factories import ChatBotFactory, PromptFactory, exchange

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("shipped_personas")]


def create(client, **body):
    return client.post("/api/v1/chats/", body, format="json")


def send(client, chat_id: int, content: str = "Hello"):
    return client.post(f"/api/v1/chats/{chat_id}/messages/", {"content": content}, format="json")


def regenerate(client, chat_id: int, prompt_id: int, **extra):
    return client.post(f"/api/v1/chats/{chat_id}/messages/{prompt_id}/regenerate/", format="json", **extra)


# --- Personas -------------------------------------------------------------------------------------


def test_the_shipped_personas_are_listed_with_their_variables(auth_client):
    personas = auth_client.get("/api/v1/personas/").json()
    assert [persona["id"] for persona in personas] == ["career-coach", "language-tutor", "code-reviewer"]
    tutor = personas[1]
    assert tutor["variables"] == [
        {"name": "language", "label": "Language to practise"},
        {"name": "level", "label": "Your level (e.g. beginner)"},
    ]
    assert set(tutor) == {"id", "name", "description", "variables"}


def test_a_hidden_persona_is_not_listed_and_cannot_be_used(auth_client):
    Persona.objects.filter(key="career-coach").update(is_active=False)
    assert "career-coach" not in [p["id"] for p in auth_client.get("/api/v1/personas/").json()]
    assert create(auth_client, persona={"id": "career-coach"}).status_code == 400


def test_a_chat_from_a_persona_stores_the_rendered_prompt_and_sends_it(auth_client, mock_llm):
    values = {"language": "Korean", "level": "beginner"}
    created = create(auth_client, persona={"id": "language-tutor", "values": values})
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["persona"] == {"id": "language-tutor", "name": "Language tutor", "values": values}
    # In the persona's order on every database (PostgreSQL's jsonb sorts keys its own way).
    detail = auth_client.get(f"/api/v1/chats/{body['id']}/").json()
    assert list(detail["persona"]["values"]) == ["language", "level"]
    prompt = body["config"]["system_prompt"]
    assert "in Korean only, at the level of a beginner learner" in prompt
    assert "{" not in prompt

    send(auth_client, body["id"], "안녕하세요")
    assert mock_llm.last_messages()[0] == {"role": "system", "content": prompt}


@pytest.mark.parametrize(
    "value",
    ["{level}", "{{ settings.SECRET_KEY }}", "{% debug %}", "{language}{language}", "${language}", "{0}"],
)
def test_values_are_inserted_as_text_never_read_as_a_template(auth_client, value):
    body = create(auth_client, persona={"id": "language-tutor", "values": {"language": value, "level": "B1"}}).json()
    prompt = body["config"]["system_prompt"]
    assert f"in {value} only, at the level of a B1 learner" in prompt


@pytest.mark.parametrize(
    ("persona", "message"),
    [
        ({"id": "no-such-persona"}, "no such persona"),
        ({"id": "language-tutor", "values": {"language": "Korean"}}, "level"),
        ({"id": "language-tutor", "values": {"language": "Korean", "level": "  "}}, "level"),
        ({"id": "code-reviewer", "values": {"language": "Go", "extra": "x"}}, "no variable extra"),
        ({"id": "code-reviewer", "values": {"language": "x" * 201}}, "200"),
        ({"id": "code-reviewer", "values": {"language": 3}}, "string"),
        ({"id": "code-reviewer", "values": ["Go"]}, "dictionary"),
        ({"values": {}}, "required"),
    ],
)
def test_bad_persona_choices_are_400_and_create_nothing(auth_client, persona, message):
    answer = create(auth_client, persona=persona)
    assert answer.status_code == 400
    assert message.lower() in json.dumps(answer.json()).lower()
    assert not ChatBot.objects.exists()


def test_a_persona_and_a_system_prompt_together_are_400(auth_client):
    answer = create(auth_client, persona={"id": "career-coach"}, config={"system_prompt": "Be brief."})
    assert answer.status_code == 400
    assert "persona" in answer.json()
    # An empty system prompt is no system prompt.
    assert create(auth_client, persona={"id": "career-coach"}, config={"system_prompt": ""}).status_code == 201


def test_values_are_stored_as_rendered_and_a_new_system_prompt_ends_the_persona(auth_client):
    values = {"language": "  Korean ", "level": "A2"}
    chat = create(auth_client, persona={"id": "language-tutor", "values": values}).json()
    assert chat["persona"]["values"] == {"language": "Korean", "level": "A2"}
    edited = auth_client.patch(f"/api/v1/chats/{chat['id']}/", {"config": {"temperature": 0.5}}, format="json")
    assert edited.json()["persona"]["id"] == "language-tutor"
    edited = auth_client.patch(
        f"/api/v1/chats/{chat['id']}/", {"config": {"system_prompt": "Be a pirate."}}, format="json"
    )
    assert edited.json()["persona"] is None
    assert edited.json()["config"]["system_prompt"] == "Be a pirate."


# --- Editing what the bot knows ---------------------------------------------------------------


def test_edited_context_and_settings_apply_to_the_next_message(auth_client, user, mock_llm):
    chat = ChatBotFactory(user=user, config__system_prompt="Old prompt.")
    PromptFactory(chatbot=chat, kind="goal", content="Old goal")
    send(auth_client, chat.pk, "First")
    assert "Old goal" in mock_llm.last_messages()[1]["content"]

    edited = auth_client.patch(
        f"/api/v1/chats/{chat.pk}/",
        {
            "config": {"system_prompt": "New prompt.", "model": "gpt-4.1-nano", "temperature": 0.3},
            "context": {"goal": "New goal", "current_state": "Now a student"},
        },
        format="json",
    )
    assert edited.status_code == 200
    send(auth_client, chat.pk, "Second")

    request = mock_llm.requests()[-1]["body"]
    assert (request["model"], request["temperature"]) == ("gpt-4.1-nano", 0.3)
    assert request["messages"][0] == {"role": "system", "content": "New prompt."}
    assert "New goal" in request["messages"][1]["content"] and "Now a student" in request["messages"][1]["content"]
    assert "Old goal" not in json.dumps(request["messages"])


# --- Regenerate ---------------------------------------------------------------------------------


def test_regenerate_asks_again_with_the_history_before_and_keeps_every_answer(auth_client, user, mock_llm):
    chat = ChatBotFactory(user=user)
    exchange(chat, "Earlier question", "Earlier answer")
    first = send(auth_client, chat.pk, "Last question").json()

    again = regenerate(auth_client, chat.pk, first["id"])

    assert again.status_code == 201, again.content
    body = again.json()
    assert body["id"] == first["id"]
    assert [reply["id"] for reply in body["replies"]] == [first["reply"]["id"], body["reply"]["id"]]
    assert body["reply"]["id"] != first["reply"]["id"]
    assert mock_llm.last_messages() == [
        {"role": "user", "content": "Earlier question"},
        {"role": "assistant", "content": "Earlier answer"},
        {"role": "user", "content": "Last question"},
    ]
    assert DailyUsage.objects.get(user=user).used == 2
    detail = auth_client.get(f"/api/v1/chats/{chat.pk}/").json()
    last = detail["prompts"][-1]
    assert len(last["replies"]) == 2 and last["reply"]["id"] == body["reply"]["id"]


def test_the_next_message_goes_on_from_the_newest_answer(auth_client, user, mock_llm):
    chat = ChatBotFactory(user=user)
    first = send(auth_client, chat.pk, "[[mock:words=3]] Question").json()
    newest = regenerate(auth_client, chat.pk, first["id"]).json()["reply"]["choices"][0]["content"]
    assert Reply.objects.filter(pk=first["reply"]["id"]).exists()  # the first answer is still stored
    send(auth_client, chat.pk, "Next")
    messages = mock_llm.last_messages()
    assert messages[1] == {"role": "assistant", "content": newest}
    assert len(messages) == 3


@pytest.mark.django_db(transaction=True)
def test_regenerate_streams_like_a_send(api_server, user, mock_llm):
    import httpx
    from rest_framework_simplejwt.tokens import RefreshToken

    from chat.tests.test_streaming import read_events

    server = api_server(workers=1)
    chat = ChatBotFactory(user=user)
    prompt = exchange(chat, "Stream me", "An answer")
    headers = {"Authorization": f"Bearer {RefreshToken.for_user(user).access_token}", "Accept": "text/event-stream"}
    url = f"{server.url}/api/v1/chats/{chat.pk}/messages/{prompt.pk}/regenerate/"
    with httpx.stream("POST", url, headers=headers, timeout=30) as response:
        assert response.status_code == 200
        events = read_events(response)

    names = [name for _, name, _ in events]
    assert names[0] == "delta" and names[-1] == "done"
    done = events[-1][2]
    assert [reply["choices"][0]["content"] for reply in done["replies"]] == ["An answer", "Mock reply: Stream me"]
    assert DailyUsage.objects.get(user=user).used == 1


def test_regenerate_is_refused_at_the_daily_limit_without_calling_upstream(auth_client, user, mock_llm, settings):
    settings.CHAT_DAILY_LIMIT = 1
    chat = ChatBotFactory(user=user)
    first = send(auth_client, chat.pk).json()
    calls = len(mock_llm.requests())

    answer = regenerate(auth_client, chat.pk, first["id"])

    assert answer.status_code == 429
    assert answer["X-RateLimit-Remaining"] == "0"
    assert len(mock_llm.requests()) == calls
    assert Reply.objects.count() == 1


def test_a_failed_regenerate_costs_nothing_and_keeps_the_answer(auth_client, user, mock_llm, settings):
    chat = ChatBotFactory(user=user)
    first = send(auth_client, chat.pk).json()
    settings.OPENAI_BASE_URL = "http://127.0.0.1:9/v1"  # the model's server is gone

    answer = regenerate(auth_client, chat.pk, first["id"])

    assert answer.status_code == 502
    assert answer["X-RateLimit-Remaining"] == "4"
    assert DailyUsage.objects.get(user=user).used == 1
    assert [reply.pk for reply in Reply.objects.all()] == [first["reply"]["id"]]


def test_only_the_last_message_of_the_callers_own_chat_can_be_regenerated(auth_client, user, client_for, mock_llm):
    chat = ChatBotFactory(user=user)
    earlier = send(auth_client, chat.pk, "Earlier").json()
    send(auth_client, chat.pk, "Last")
    goal = PromptFactory(chatbot=chat, kind="goal", content="A goal")

    not_last = regenerate(auth_client, chat.pk, earlier["id"])
    assert not_last.status_code == 400
    assert "last message" in not_last.json()["detail"]
    assert regenerate(auth_client, chat.pk, goal.pk).status_code == 404
    assert regenerate(auth_client, chat.pk, 999_999).status_code == 404

    other = ChatBotFactory()
    other_prompt = exchange(other, "Theirs", "Their answer")
    assert regenerate(auth_client, other.pk, other_prompt.pk).status_code == 404
    assert regenerate(auth_client, chat.pk, other_prompt.pk).status_code == 404
    assert DailyUsage.objects.get(user=user).used == 2


def test_the_export_keeps_every_answer(auth_client, user, mock_llm):
    chat = ChatBotFactory(user=user)
    first = send(auth_client, chat.pk, "Question").json()
    regenerate(auth_client, chat.pk, first["id"])
    exported = auth_client.get(f"/api/v1/chats/{chat.pk}/export/?format=json").json()
    assert len(exported["prompts"][-1]["replies"]) == 2
    markdown = auth_client.get(f"/api/v1/chats/{chat.pk}/export/?format=md").content.decode()
    assert markdown.count("### Assistant") == 2
    assert "earlier answer" in markdown
