"""Streamed sends (server-sent events), exercised against the real server process."""

import json
import threading
import time

import httpx
import pytest
from django.db import connection, transaction
from rest_framework_simplejwt.tokens import RefreshToken

from accounts.tests.factories import UserFactory
from chat.models import ChatBot, Choice, DailyUsage, Prompt, QuotaReservation, Reply
from chat.tests.factories import ChatBotFactory

pytestmark = pytest.mark.django_db(transaction=True)


def read_events(response) -> list[tuple[float, str, dict]]:
    """(arrival time, event name, data) for every event of an SSE response, as it arrives."""
    events, name = [], None
    for line in response.iter_lines():
        if line.startswith("event: "):
            name = line.removeprefix("event: ")
        elif line.startswith("data: "):
            events.append((time.monotonic(), name, json.loads(line.removeprefix("data: "))))
    return events


@pytest.fixture
def chat():
    return ChatBotFactory(user=UserFactory())


def stream(server, chat, content, *, user=None, timeout=30):
    user = user or chat.user
    return httpx.stream(
        "POST",
        f"{server.url}/api/v1/chats/{chat.pk}/messages/",
        json={"content": content},
        headers={
            "Authorization": f"Bearer {RefreshToken.for_user(user).access_token}",
            "Accept": "text/event-stream",
        },
        timeout=timeout,
    )


def test_deltas_arrive_as_the_model_writes_then_one_done_with_the_stored_prompt(api_server, chat, mock_llm):
    server = api_server(workers=1)
    started = time.monotonic()
    with stream(server, chat, "one two three four five six [[mock:chunk_delay=0.25]]") as response:
        headers = response.headers
        events = read_events(response)

    assert response.status_code == 200
    assert headers["content-type"].startswith("text/event-stream")
    assert headers["cache-control"] == "no-cache"
    assert headers["x-accel-buffering"] == "no"
    assert headers["x-ratelimit-remaining"] == "4"
    deltas = [e for e in events if e[1] == "delta"]
    assert [e[1] for e in events] == ["delta"] * len(deltas) + ["done"]
    assert "".join(d[2]["content"] for d in deltas) == "Mock reply: one two three four five six"
    # Flushed as written: the first piece arrives long before the last (8 pieces, 0.25 s apart).
    assert deltas[0][0] - started < 1.0
    assert deltas[-1][0] - deltas[0][0] > 1.2
    done = events[-1][2]
    assert done["reply"]["choices"][0]["content"] == "Mock reply: one two three four five six"
    assert done["reply"]["choices"][0]["finish_reason"] == "stop"
    assert done["reply"]["completion_tokens"] == 8
    assert Prompt.objects.get(pk=done["id"]).reply.total_tokens == done["reply"]["total_tokens"]
    assert DailyUsage.objects.get(user=chat.user).used == 1
    upstream = mock_llm.requests()[-1]["body"]
    assert upstream["stream"] is True
    assert upstream["stream_options"] == {"include_usage": True}


@pytest.mark.parametrize(
    ("directive", "status", "says"),
    [
        ("[[mock:cut=2]]", 502, "broke off"),
        ("[[mock:status=500]]", 502, "error (500)"),
        ("[[mock:status=429]]", 503, "busy"),
    ],
)
def test_an_upstream_failure_mid_stream_is_one_error_event_and_costs_nothing(api_server, chat, directive, status, says):
    server = api_server(workers=1)

    with stream(server, chat, f"one two three four {directive}") as response:
        events = read_events(response)

    assert events[-1][1] == "error"
    assert events[-1][2]["status"] == status
    assert says in events[-1][2]["detail"]
    assert [e[1] for e in events].count("error") == 1
    assert "done" not in [e[1] for e in events]
    assert not Prompt.objects.filter(chatbot=chat).exists()
    assert not QuotaReservation.objects.exists()
    assert not DailyUsage.objects.filter(used__gt=0).exists()


def test_an_upstream_that_does_not_answer_in_time_is_a_504_error_event(api_server, chat):
    server = api_server(workers=1, OPENAI_TIMEOUT="0.5")

    with stream(server, chat, "slow [[mock:hang]]") as response:
        events = read_events(response)

    assert [(e[1], e[2]["status"]) for e in events] == [("error", 504)]
    assert not Reply.objects.exists()


def test_refusals_come_as_json_before_any_stream_starts(api_server, chat):
    server = api_server(workers=1)
    exhausted = UserFactory(daily_limit=0)

    with stream(server, ChatBotFactory(user=exhausted), "hi") as over_quota:
        over_quota.read()
    with stream(server, chat, "") as invalid:
        invalid.read()
    with stream(server, chat, "hi", user=UserFactory()) as not_yours:
        not_yours.read()

    assert over_quota.status_code == 429
    assert over_quota.headers["content-type"] == "application/json"
    assert over_quota.json()["remaining"] == 0
    assert "retry-after" in over_quota.headers
    assert invalid.status_code == 400
    assert invalid.json() == {"content": ["This field may not be blank."]}
    assert not_yours.status_code == 404
    assert not_yours.headers["content-type"] == "application/json"


def test_a_client_that_goes_away_cancels_the_upstream_and_keeps_what_it_saw(api_server, chat, mock_llm):
    server = api_server(workers=1)

    with stream(server, chat, "[[mock:words=40]] [[mock:chunk_delay=0.2]]") as response:
        seen = []
        for line in response.iter_lines():
            if line.startswith("data: "):
                seen.append(json.loads(line.removeprefix("data: "))["content"])
            if len(seen) == 3:
                break  # leaving the block closes the connection

    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and not Choice.objects.exists():
        time.sleep(0.1)
    choice = Choice.objects.get()
    assert choice.finish_reason == "cancelled"
    assert choice.content.startswith("".join(seen))
    assert choice.content != " ".join(f"word{i}" for i in range(1, 41))
    upstream = mock_llm.requests()[-1]
    assert upstream["disconnected"] is True
    assert upstream["finished"] is False
    assert DailyUsage.objects.get(user=chat.user).used == 1


def read_until_end_of_deltas(lines) -> tuple[list[str], list[tuple[str, dict]]]:
    """(delta texts, other events) of the rest of a stream's lines."""
    deltas, others, name = [], [], None
    for line in lines:
        if line.startswith("event: "):
            name = line.removeprefix("event: ")
        elif line.startswith("data: "):
            data = json.loads(line.removeprefix("data: "))
            if name == "delta":
                deltas.append(data["content"])
            else:
                others.append((name, data))
    return deltas, others


def test_deleting_the_chat_while_its_reply_streams_does_not_make_the_reply_free(api_server):
    """Probe finding 1: seven deleted-mid-stream replies used to cost nothing (limit 5)."""
    server = api_server(workers=2)
    user = UserFactory()
    outcomes = []
    for _ in range(6):
        chat = ChatBotFactory(user=user)
        with stream(server, chat, "[[mock:words=6]] [[mock:chunk_delay=0.15]]") as response:
            if response.status_code != 200:
                outcomes.append(response.status_code)
                continue
            lines = response.iter_lines()
            for line in lines:
                if line.startswith("event: delta"):
                    next(lines)  # the first piece is on screen
                    ChatBot.objects.filter(pk=chat.pk).delete()
                    break
            deltas, others = read_until_end_of_deltas(lines)
        outcomes.append((len(deltas) + 1, others))

    assert outcomes[:5] == [(6, [("error", {"detail": ANY_TEXT, "status": 404})])] * 5
    assert outcomes[5] == 429
    assert DailyUsage.objects.get(user=user).used == 5
    assert not QuotaReservation.objects.exists()


class AnyText(str):
    def __eq__(self, other):
        return isinstance(other, str) and bool(other)

    __hash__ = str.__hash__


ANY_TEXT = AnyText("any text")


def test_a_reply_with_text_no_database_stores_is_stored_with_replacement_characters(api_server, chat):
    """Probe finding 4: U+0000 (PostgreSQL) and lone surrogates (both) ended the stream with no event."""
    server = api_server(workers=1)

    with stream(server, chat, "hello [[mock:unstorable]]") as response:
        deltas, others = read_until_end_of_deltas(response.iter_lines())

    assert [name for name, _ in others] == ["done"]
    stored = others[0][1]["reply"]["choices"][0]["content"]
    assert stored == "".join(deltas)
    assert stored.endswith(" nul\ufffd surrogate\ufffd end")
    assert Choice.objects.get().content == stored
    assert DailyUsage.objects.get(user=chat.user).used == 1


def test_a_client_leaving_while_the_finished_reply_is_stored_is_charged_once(api_server, chat):
    """Probe finding 6: the reply was stored as `stop` and again as `cancelled`, and counted twice."""
    server = api_server(workers=1)
    release = threading.Event()
    locked = threading.Event()

    def hold_the_chat_row():  # the store's first write waits for this transaction
        try:
            with transaction.atomic():
                ChatBot.objects.select_for_update().filter(pk=chat.pk).update(title=chat.title)
                locked.set()
                release.wait(10)
        finally:
            connection.close()

    holder = threading.Thread(target=hold_the_chat_row)
    holder.start()
    locked.wait(5)
    try:
        with stream(server, chat, "[[mock:words=3]]") as response:
            for line in response.iter_lines():
                if line.startswith("data: ") and "word3" in line:
                    break  # the whole reply is on screen; its store is waiting for the lock
            time.sleep(0.5)
        # leaving the block closed the connection mid-store
    finally:
        release.set()
        holder.join()

    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and QuotaReservation.objects.exists():
        time.sleep(0.1)
    time.sleep(0.5)
    assert [c.finish_reason for c in Choice.objects.all()] == ["stop"]
    assert DailyUsage.objects.get(user=chat.user).used == 1
    assert not QuotaReservation.objects.exists()
