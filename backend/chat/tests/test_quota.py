"""The daily quota: exact under concurrency, counted only for replies, reset at local midnight."""

import datetime as dt
import threading
import zoneinfo
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
import time_machine
from asgiref.sync import async_to_sync
from django.db import connection
from rest_framework_simplejwt.tokens import RefreshToken

from accounts.tests.factories import UserFactory
from chat.gateway import get_gateway
from chat.models import DailyUsage, QuotaReservation, Reply
from chat.quota import quota_reserve
from chat.quota_status import quota_status_for
from chat.refusals import QuotaExceeded
from chat.sending import send_complete, send_prepare
from chat.tests.factories import ChatBotFactory
from core.database import run_db

SEOUL = zoneinfo.ZoneInfo("Asia/Seoul")


def send(client, chat, content="Hello"):
    return client.post(f"/api/v1/chats/{chat.pk}/messages/", {"content": content}, format="json")


@pytest.mark.django_db
def test_the_sixth_send_of_the_day_is_refused_without_calling_upstream(auth_client, user, mock_llm):
    chat = ChatBotFactory(user=user)
    statuses = [send(auth_client, chat).status_code for _ in range(5)]

    refused = send(auth_client, chat)

    assert statuses == [201] * 5
    assert refused.status_code == 429
    assert len(mock_llm.requests()) == 5
    assert Reply.objects.count() == 5


@pytest.mark.django_db
def test_a_refusal_says_when_the_quota_resets(client_for, user, mock_llm, settings):
    settings.TIME_ZONE = "Asia/Seoul"
    chat = ChatBotFactory(user=user)
    with time_machine.travel(dt.datetime(2026, 3, 1, 21, 0, tzinfo=SEOUL), tick=False):
        auth_client = client_for(user)  # tokens are issued at the traveled-to time
        for _ in range(5):
            send(auth_client, chat)
        refused = send(auth_client, chat)

    assert refused.status_code == 429
    body = refused.json()
    assert body["limit"] == 5
    assert body["remaining"] == 0
    assert body["resets_at"] == "2026-03-02T00:00:00+09:00"
    assert "resets" in body["detail"]
    assert refused["Retry-After"] == str(3 * 3600 + 1)
    assert refused["X-RateLimit-Remaining"] == "0"
    assert refused["X-RateLimit-Reset"] == str(int(dt.datetime(2026, 3, 2, tzinfo=SEOUL).timestamp()))


@pytest.mark.django_db
def test_the_quota_comes_back_after_midnight_in_the_server_time_zone(client_for, user, mock_llm, settings):
    settings.TIME_ZONE = "Asia/Seoul"
    chat = ChatBotFactory(user=user)
    with time_machine.travel(dt.datetime(2026, 3, 1, 23, 59, tzinfo=SEOUL), tick=False):
        auth_client = client_for(user)
        for _ in range(5):
            send(auth_client, chat)
        assert send(auth_client, chat).status_code == 429
    with time_machine.travel(dt.datetime(2026, 3, 2, 0, 0, 1, tzinfo=SEOUL), tick=False):
        response = send(auth_client, chat)
        quota = auth_client.get("/api/v1/auth/me/").json()["quota"]

    assert response.status_code == 201
    no_limit = {"limit": None, "used": 24, "remaining": None}
    assert quota == {
        "limit": 5,
        "used": 1,
        "remaining": 4,
        "resets_at": "2026-03-03T00:00:00+09:00",
        "tokens": {"daily": no_limit, "monthly": no_limit | {"used": 24 + (4 + 8 + 12 + 16 + 20)}},
    }


@pytest.mark.django_db
def test_an_admin_set_limit_for_one_user_overrides_the_default(client_for, mock_llm):
    generous, stingy = UserFactory(daily_limit=7), UserFactory(daily_limit=0)

    generous_statuses = [send(client_for(generous), ChatBotFactory(user=generous)).status_code for _ in range(8)]
    stingy_status = send(client_for(stingy), ChatBotFactory(user=stingy)).status_code

    assert generous_statuses == [201] * 7 + [429]
    assert stingy_status == 429


@pytest.mark.django_db
def test_deleting_history_gives_no_quota_back(auth_client, user, mock_llm):
    chat = ChatBotFactory(user=user)
    for _ in range(5):
        send(auth_client, chat)

    auth_client.delete("/api/v1/chats/")

    assert send(auth_client, ChatBotFactory(user=user)).status_code == 429
    assert auth_client.get("/api/v1/auth/me/").json()["quota"]["used"] == 5


@pytest.mark.django_db
def test_a_reservation_left_by_a_dead_process_stops_counting_after_the_upstream_timeout(user, settings):
    settings.OPENAI_TIMEOUT = 30
    start = dt.datetime(2026, 5, 5, 12, 0, tzinfo=dt.UTC)
    with time_machine.travel(start, tick=False):
        for _ in range(5):
            quota_reserve(user=user)  # five sends whose process was killed mid-call
        with pytest.raises(QuotaExceeded):
            quota_reserve(user=user)
    with time_machine.travel(start + dt.timedelta(seconds=33), tick=False):
        quota_reserve(user=user)
        status = quota_status_for(user)

    assert (status.used, status.remaining) == (0, 4)
    assert QuotaReservation.objects.count() == 1


def _race(send_one, attempts: int) -> list[str]:
    barrier = threading.Barrier(attempts)

    def attempt(_):
        barrier.wait()
        try:
            return send_one()
        finally:
            connection.close()

    with ThreadPoolExecutor(attempts) as pool:
        return list(pool.map(attempt, range(attempts)))


@pytest.mark.django_db(transaction=True)
def test_sixteen_simultaneous_sends_in_threads_give_exactly_the_five_left(mock_llm):
    user = UserFactory()
    chat = ChatBotFactory(user=user)

    async def send_one():
        plan = await run_db(send_prepare, user=user, chat_id=chat.pk, content="[[mock:latency=0.3]] hi")
        await send_complete(plan=plan, gateway=get_gateway())

    def outcome():
        try:
            async_to_sync(send_one)()
            return "reply"
        except QuotaExceeded:
            return "refused"

    outcomes = _race(outcome, 16)

    assert outcomes.count("reply") == 5
    assert outcomes.count("refused") == 11
    assert Reply.objects.count() == 5
    assert DailyUsage.objects.get(user=user).used == 5
    assert not QuotaReservation.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_sixteen_simultaneous_sends_across_worker_processes_give_exactly_the_five_left(api_server):
    user = UserFactory()
    chat = ChatBotFactory(user=user)
    server = api_server(workers=3)
    headers = {"Authorization": f"Bearer {RefreshToken.for_user(user).access_token}"}

    def outcome():
        response = httpx.post(
            f"{server.url}/api/v1/chats/{chat.pk}/messages/",
            json={"content": "[[mock:latency=0.5]] hi"},
            headers=headers,
            timeout=30,
        )
        return response.status_code

    statuses = _race(outcome, 16)

    assert sorted(statuses) == [201] * 5 + [429] * 11
    assert Reply.objects.filter(chatbot=chat).count() == 5
    assert DailyUsage.objects.get(user=user).used == 5
    assert not QuotaReservation.objects.exists()
