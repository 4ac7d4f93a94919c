"""How you used the service, day by day, and taking a chat with you."""

import datetime as dt
import json

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.tests.factories import UserFactory
from chat.models import Choice, DailyUsage, Prompt, PromptKind
from chat.tests.factories import ChatBotFactory, exchange
from conftest import bearer_client

pytestmark = pytest.mark.django_db
USAGE = "/api/v1/auth/me/usage/"
TODAY = dt.datetime(2026, 6, 30, 12, 0, tzinfo=dt.UTC)


def test_usage_lists_every_day_oldest_first_with_zeros_for_the_gaps(user):
    DailyUsage.objects.create(user=user, day=dt.date(2026, 6, 30), used=3, prompt_tokens=30, completion_tokens=45)
    DailyUsage.objects.create(user=user, day=dt.date(2026, 5, 1), used=1, prompt_tokens=7, completion_tokens=9)
    DailyUsage.objects.create(user=user, day=dt.date(2026, 3, 1), used=5)  # before the 90 days
    DailyUsage.objects.create(user=UserFactory(), day=dt.date(2026, 6, 30), used=4)  # someone else's

    with time_machine.travel(TODAY, tick=False):
        client = bearer_client(user)  # a token issued "then"
        usage = client.get(USAGE, {"days": 90}).json()
        default = client.get(USAGE).json()

    assert len(usage) == 90
    assert usage[0]["day"] == "2026-04-02"
    assert usage[-1] == {"day": "2026-06-30", "completions": 3, "prompt_tokens": 30, "completion_tokens": 45}
    assert {"day": "2026-05-01", "completions": 1, "prompt_tokens": 7, "completion_tokens": 9} in usage
    assert sum(day["completions"] for day in usage) == 4
    assert len(default) == 30


@pytest.mark.parametrize("days", [1, 30, 90])
def test_usage_takes_a_constant_number_of_queries(auth_client, user, days):
    with CaptureQueriesContext(connection) as queries:
        assert auth_client.get(USAGE, {"days": days}).status_code == 200

    assert len(queries) == 2  # the user (authentication) and the days


@pytest.mark.parametrize("days", ["0", "91", "-1", "abc", "", "5.0", "\uff15"])
def test_usage_with_bad_days_is_a_400(auth_client, days):
    response = auth_client.get(USAGE, {"days": days})

    assert response.status_code == 400
    assert response.json()["days"]


def test_a_reply_counts_in_usage_even_after_its_chat_is_deleted(auth_client, user, mock_llm):
    chat = ChatBotFactory(user=user)
    auth_client.post(f"/api/v1/chats/{chat.pk}/messages/", {"content": "count me"}, format="json")
    auth_client.delete(f"/api/v1/chats/{chat.pk}/")

    today = auth_client.get(USAGE, {"days": 1}).json()[0]

    assert today["completions"] == 1
    assert today["completion_tokens"] == 4  # "Mock reply: count me"


def make_chat_to_export(user):
    chat = ChatBotFactory(user=user, title="Career plan")
    chat.config.system_prompt = "Be a coach."
    chat.config.save()
    Prompt.objects.create(chatbot=chat, kind=PromptKind.CURRENT_STATE, content="junior developer")
    Prompt.objects.create(chatbot=chat, kind=PromptKind.GOAL, content="lead a team")
    exchange(chat, "Where do I start?", "With **one** habit.")
    stopped = exchange(chat, "And then?", "Then you")
    Choice.objects.filter(reply__prompt=stopped).update(finish_reason="cancelled")
    return chat


def test_a_markdown_export_reads_as_a_document(auth_client, user):
    chat = make_chat_to_export(user)

    response = auth_client.get(f"/api/v1/chats/{chat.pk}/export/", HTTP_ACCEPT="text/markdown")

    assert response.status_code == 200
    assert response["Content-Type"] == "text/markdown; charset=utf-8"
    assert response["Content-Disposition"] == f'attachment; filename="chat-{chat.pk}.md"'
    text = response.content.decode()
    assert text.startswith("# Career plan\n")
    assert "## System prompt\n\nBe a coach." in text
    assert "- **Their current situation:** junior developer" in text
    assert "- **Their goal:** lead a team" in text
    assert text.index("### You, ") < text.index("Where do I start?") < text.index("With **one** habit.")
    assert f"### Assistant ({chat.replies.first().model})," in text
    assert "Then you\n\n_(reply ended: cancelled)_" in text


def test_the_export_file_name_can_be_read_by_the_web_app_on_another_origin(auth_client, user, settings):
    chat = ChatBotFactory(user=user)
    origin = settings.CORS_ALLOWED_ORIGINS[0]

    response = auth_client.get(f"/api/v1/chats/{chat.pk}/export/", HTTP_ORIGIN=origin)

    assert response["Access-Control-Allow-Origin"] == origin
    exposed = [name.strip().lower() for name in response["Access-Control-Expose-Headers"].split(",")]
    assert "content-disposition" in exposed


def test_a_json_export_has_every_stored_field(auth_client, user):
    chat = make_chat_to_export(user)

    response = auth_client.get(f"/api/v1/chats/{chat.pk}/export/", {"format": "json"})

    assert response.status_code == 200
    assert response["Content-Disposition"] == f'attachment; filename="chat-{chat.pk}.json"'
    body = json.loads(response.content)
    assert body["title"] == "Career plan"
    assert body["config"]["system_prompt"] == "Be a coach."
    assert body["context"]["goal"] == "lead a team"
    messages = [p for p in body["prompts"] if p["kind"] == "message"]
    assert [m["content"] for m in messages] == ["Where do I start?", "And then?"]
    assert set(messages[0]["reply"]) >= {"id", "model", "created_at", "total_tokens", "upstream_id", "choices"}
    assert messages[1]["reply"]["choices"][0]["finish_reason"] == "cancelled"


def test_another_users_chat_cannot_be_exported(auth_client):
    theirs = ChatBotFactory(user=UserFactory())

    assert auth_client.get(f"/api/v1/chats/{theirs.pk}/export/").status_code == 404


@pytest.mark.parametrize("fmt", ["pdf", "", "MD", "md "])
def test_an_unknown_export_format_is_a_400(auth_client, user, fmt):
    chat = ChatBotFactory(user=user)

    response = auth_client.get(f"/api/v1/chats/{chat.pk}/export/", {"format": fmt})

    assert response.status_code == 400
    assert response.json()["format"]


def test_days_from_before_tokens_were_counted_get_them_from_the_stored_replies(user):
    import importlib

    from django.apps import apps

    backfill = importlib.import_module("chat.migrations.0003_dailyusage_backfill_tokens").backfill
    chat = ChatBotFactory(user=user)
    prompt = exchange(chat, "old question", "old answer")
    prompt.reply.__class__.objects.filter(pk=prompt.reply.pk).update(prompt_tokens=11, completion_tokens=22)
    day = prompt.reply.created_at.date()  # UTC in the tests
    DailyUsage.objects.create(user=user, day=day, used=1)

    backfill(apps, None)

    assert DailyUsage.objects.values_list("prompt_tokens", "completion_tokens").get(user=user) == (11, 22)
