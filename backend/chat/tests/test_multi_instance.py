"""Several servers, several workers, one database: the daily quota stays exact, and a killed
worker neither leaks quota for long nor leaves half a conversation behind."""

import contextlib
import os
import signal
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from rest_framework_simplejwt.tokens import AccessToken

from accounts.tests.factories import UserFactory
from chat.models import DailyUsage, Prompt, QuotaReservation, Reply
from chat.quota import RESERVATION_MARGIN
from chat.tests.factories import ChatBotFactory
from testsupport.servers import child_pids

pytestmark = pytest.mark.django_db(transaction=True)


def post(server, token, chat, content, timeout=30):
    return httpx.post(
        f"{server.url}/api/v1/chats/{chat.pk}/messages/",
        json={"content": content},
        headers={"Authorization": f"Bearer {token}"},
        timeout=timeout,
    )


def test_bursts_split_across_two_servers_never_admit_more_than_the_limit(api_server):
    servers = [api_server(workers=2), api_server(workers=2)]
    over_admissions, rounds = 0, 20

    for _ in range(rounds):
        user = UserFactory()
        chat = ChatBotFactory(user=user)
        token = str(AccessToken.for_user(user))  # made here: the threads below never touch the database
        barrier = threading.Barrier(16)

        def attempt(n, token=token, chat=chat, barrier=barrier):
            barrier.wait()
            return post(servers[n % 2], token, chat, "[[mock:latency=0.2]] hi").status_code

        with ThreadPoolExecutor(16) as pool:
            statuses = list(pool.map(attempt, range(16)))

        assert sorted(statuses) == [201] * 5 + [429] * 11, statuses
        over_admissions += max(0, Reply.objects.filter(chatbot=chat).count() - 5)
        assert DailyUsage.objects.get(user=user).used == 5

    assert over_admissions == 0
    assert not QuotaReservation.objects.exists()


def test_a_worker_killed_mid_answer_leaves_nothing_half_stored_and_frees_the_quota_after_the_timeout(
    api_server, mock_llm
):
    timeout = 3
    victim = api_server(workers=2, OPENAI_TIMEOUT=str(timeout))
    survivor = api_server(workers=2, OPENAI_TIMEOUT=str(timeout))
    user = UserFactory(daily_limit=1)
    chat = ChatBotFactory(user=user)
    token = str(AccessToken.for_user(user))

    doomed = threading.Thread(target=lambda: _ignore_errors(post, victim, token, chat, "doomed [[mock:hang]]"))
    doomed.start()
    deadline = time.monotonic() + 10
    while not any("doomed" in str(r["body"]) for r in mock_llm.requests()):
        assert time.monotonic() < deadline, "the upstream call never started"
        time.sleep(0.05)
    reserved_at = QuotaReservation.objects.get().created_at
    for pid in child_pids(victim.pid):
        os.kill(pid, signal.SIGKILL)  # in the middle of the upstream call
    doomed.join(10)

    refused = post(survivor, token, chat, "too soon")
    assert refused.status_code == 429  # the dead worker's reservation still counts...
    assert not Prompt.objects.filter(kind="message").exists()  # ...but nothing was half-stored
    assert not Reply.objects.exists()

    lifetime = timeout + RESERVATION_MARGIN.total_seconds()
    while (response := post(survivor, token, chat, "again")).status_code == 429:
        assert time.monotonic() < deadline + lifetime + 5, "the quota never came back"
        time.sleep(0.25)
    freed_after = time.time() - reserved_at.timestamp()

    assert response.status_code == 201
    assert freed_after <= lifetime + 1.5  # never more than the timeout plus the storing margin
    assert DailyUsage.objects.get(user=user).used == 1
    assert Reply.objects.count() == 1


def _ignore_errors(function, *args):
    with contextlib.suppress(httpx.HTTPError):  # the worker serving it was killed
        function(*args)
