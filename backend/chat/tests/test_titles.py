"""Titles from the model: after the first reply of a chat the user did not name, as a background task."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from chat.models import ChatBot, DailyUsage, ServiceTokenUsage, TitleSource
from chat.tests.factories import ChatBotFactory, exchange
from chat.titles import TITLE_SYSTEM_PROMPT, clean_title, title_chat
from conftest import bearer_client, database_url

BACKEND = Path(__file__).resolve().parents[2]


def title_calls(mock_llm):
    return [r for r in mock_llm.requests() if r["body"]["messages"][0]["content"] == TITLE_SYSTEM_PROMPT]


def send(client, chat_id, content):
    return client.post(f"/api/v1/chats/{chat_id}/messages/", {"content": content}, format="json")


@pytest.fixture
def titles_on(settings):
    settings.CHAT_AUTO_TITLE = True


@pytest.mark.django_db
def test_an_untitled_chat_is_named_by_the_model_after_its_first_reply(auth_client, user, mock_llm, titles_on):
    chat_id = auth_client.post("/api/v1/chats/", {}, format="json").json()["id"]

    assert send(auth_client, chat_id, "Plan a trip to Busan for my sister's wedding").status_code == 201

    (call,) = title_calls(mock_llm)
    assert "Plan a trip to Busan" in call["body"]["messages"][1]["content"]
    assert "language the user writes in" in TITLE_SYSTEM_PROMPT
    assert call["body"]["max_tokens"] == 24
    # The mock echoes, cut at max_tokens words: the title is what the model answered, cleaned.
    title = auth_client.get(f"/api/v1/chats/{chat_id}/").json()["title"]
    assert title and title != "Plan a trip to Busan for my sister's wedding"
    assert title == ChatBot.objects.get(pk=chat_id).title
    usage = ServiceTokenUsage.objects.get()
    assert (usage.kind, usage.chatbot_id, usage.user_id) == ("title", chat_id, user.pk)
    assert usage.prompt_tokens > 0 and usage.completion_tokens > 0
    assert auth_client.get("/api/v1/auth/me/").json()["quota"]["used"] == 1
    assert DailyUsage.objects.get(user=user).used == 1

    send(auth_client, chat_id, "And the hotel?")
    assert len(title_calls(mock_llm)) == 1  # the first exchange only


@pytest.mark.django_db
def test_a_title_the_user_gave_is_never_replaced(auth_client, mock_llm, titles_on):
    chat_id = auth_client.post("/api/v1/chats/", {"title": "Wedding"}, format="json").json()["id"]

    send(auth_client, chat_id, "Plan a trip to Busan")

    assert title_calls(mock_llm) == []
    assert auth_client.get(f"/api/v1/chats/{chat_id}/").json()["title"] == "Wedding"


@pytest.mark.django_db
def test_with_auto_titles_off_the_first_line_names_the_chat(auth_client, mock_llm, settings):
    settings.CHAT_AUTO_TITLE = False
    chat_id = auth_client.post("/api/v1/chats/", {}, format="json").json()["id"]

    send(auth_client, chat_id, "Plan a trip to Busan\nwith details")

    assert title_calls(mock_llm) == []
    assert auth_client.get(f"/api/v1/chats/{chat_id}/").json()["title"] == "Plan a trip to Busan"


def test_clean_title_keeps_a_short_line_without_quotes():
    assert clean_title('"Busan wedding trip."\n') == "Busan wedding trip"
    assert clean_title("\n\n「부산 결혼식 여행」") == "부산 결혼식 여행"
    assert clean_title("Title: Trip planning") == "Trip planning"
    assert len(clean_title("word " * 100)) == 60


@pytest.mark.django_db(transaction=True)
def test_a_rename_while_the_title_task_runs_wins(mock_llm_process, mock_llm, settings, titles_on):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    chat = ChatBotFactory(title="")
    client = bearer_client(chat.user)
    # The title call carries the first message: the mock takes two seconds to answer it.
    assert send(client, chat.pk, "[[mock:latency=2]] Plan a trip").status_code == 201
    (task,) = DBTaskResult.objects.all()
    assert task.status == TaskResultStatus.READY
    environment = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "OPENAI_BASE_URL": mock_llm.base_url,
        "OPENAI_API_KEY": "sk-test",
        "LOG_LEVEL": "WARNING",
    }
    environment.pop("DJANGO_SETTINGS_MODULE", None)
    worker = subprocess.Popen(
        [sys.executable, "manage.py", "run_tasks", "--interval", "0.2"],
        cwd=BACKEND,
        env=environment,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 30
        while DBTaskResult.objects.get().status == TaskResultStatus.READY and time.monotonic() < deadline:
            time.sleep(0.05)
        assert client.patch(f"/api/v1/chats/{chat.pk}/", {"title": "Mine"}, format="json").status_code == 200
        while DBTaskResult.objects.get().status == TaskResultStatus.RUNNING and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait(timeout=10)

    result = DBTaskResult.objects.get()
    assert result.status == TaskResultStatus.SUCCESSFUL, result.traceback
    assert result.return_value == "the user named it meanwhile"
    assert ChatBot.objects.get(pk=chat.pk).title == "Mine"
    assert ServiceTokenUsage.objects.get().kind == "title"  # its tokens were spent all the same


@pytest.mark.django_db
def test_a_chat_made_by_an_openai_style_call_keeps_its_first_line(user, mock_llm, titles_on):
    from accounts.api_keys import api_key_create

    key = api_key_create(user=user, name="script").key
    client = bearer_client(user)
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    body = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "Plan a trip to Busan"}]}

    assert client.post("/api/openai/v1/chat/completions", body, format="json").status_code == 200

    assert title_calls(mock_llm) == []
    assert ChatBot.objects.get(user=user).title == "Plan a trip to Busan"


@pytest.mark.django_db
def test_at_the_services_token_ceiling_a_chat_keeps_its_first_line_and_the_model_is_not_asked(
    user, mock_llm, titles_on, settings
):
    settings.SERVICE_DAILY_TOKENS = 1_000
    ServiceTokenUsage.objects.create(kind="summary", model="gpt-4o-mini", prompt_tokens=990)  # 10 left today
    chat = ChatBotFactory(user=user, title="Plan a trip to Busan", title_source=TitleSource.FIRST_LINE)
    exchange(chat, "Plan a trip to Busan", "Take the KTX from Seoul.")

    result = title_chat.enqueue(chat_id=chat.pk)

    assert result.return_value == "the service's token ceiling is reached"
    assert title_calls(mock_llm) == []
    assert ChatBot.objects.get(pk=chat.pk).title == "Plan a trip to Busan"
    assert ServiceTokenUsage.objects.count() == 1  # nothing held is left behind

    settings.SERVICE_DAILY_TOKENS = 100_000  # room again: the same task names it, held then settled
    assert title_chat.enqueue(chat_id=chat.pk).return_value == "titled"
    (usage,) = ServiceTokenUsage.objects.filter(kind="title")
    (call,) = title_calls(mock_llm)  # the model's count (the mock counts words), not the worst case held
    assert usage.prompt_tokens == sum(len(m["content"].split()) for m in call["body"]["messages"])


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("directive", "held_rows_left"),
    [("[[mock:status=400]]", 0), ("[[mock:status=429]]", 0), ("[[mock:status=502]]", 1), ("[[mock:hang]]", 1)],
)
def test_a_failed_title_call_gives_back_its_hold_only_when_the_model_cannot_have_generated(
    user, mock_llm, titles_on, settings, directive, held_rows_left
):
    settings.TASKS_MAX_ATTEMPTS = 1
    settings.OPENAI_TIMEOUT = 0.3
    chat = ChatBotFactory(user=user, title="Plan a trip", title_source=TitleSource.FIRST_LINE)
    exchange(chat, f"{directive} Plan a trip", "Take the KTX from Seoul.")

    result = title_chat.enqueue(chat_id=chat.pk)

    assert result.status == TaskResultStatus.FAILED
    assert len(title_calls(mock_llm)) == 1
    assert ServiceTokenUsage.objects.count() == held_rows_left  # a 5xx or a timeout may come after the work
    assert ChatBot.objects.get(pk=chat.pk).title == "Plan a trip"
