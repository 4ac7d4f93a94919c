"""Token budgets and the service ceiling hold under simultaneous sends: threads in one process,
worker processes, two servers on one database; the OpenAI-compatible endpoint and streams alike."""

import json
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import openai
import pytest
from asgiref.sync import async_to_sync
from django.db import connection
from rest_framework_simplejwt.tokens import AccessToken

from accounts.api_keys import api_key_create
from accounts.tests.factories import UserFactory
from chat.allowances import text_tokens_estimate
from chat.gateway import get_gateway
from chat.models import Choice, DailyUsage, QuotaReservation, Reply
from chat.refusals import TokenQuotaExceeded
from chat.sending import send_complete, send_prepare
from chat.tests.factories import ChatBotFactory
from chat.tests.openai_support import sdk
from core.database import run_db

pytestmark = pytest.mark.django_db(transaction=True)
# Each send's worst case is about 228 tokens (its prompt estimated at 28, max_tokens 200) and it
# settles at 203 (3 + 200): of a budget of 1000, four fit at once, and once they have settled
# (812 used) a fifth still does not. So exactly four are admitted, whatever the timing.
CONTENT = "[[mock:latency=0.3]] [[mock:words=200]] go"
BUDGET, ADMITTED = 1000, 4


def race(attempt, count: int) -> list:
    barrier = threading.Barrier(count)

    def run(n):
        barrier.wait()
        try:
            return attempt(n)
        finally:
            connection.close()

    with ThreadPoolExecutor(count) as pool:
        return list(pool.map(run, range(count)))


def settled_tokens(**filters) -> int:
    return sum(u.prompt_tokens + u.completion_tokens for u in DailyUsage.objects.filter(**filters))


def post(server, token, chat, content=CONTENT):
    return httpx.post(
        f"{server.url}/api/v1/chats/{chat.pk}/messages/",
        json={"content": content},
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    )


def test_sixteen_threads_racing_for_the_last_tokens_never_pass_the_budget(mock_llm):
    user = UserFactory(daily_tokens=BUDGET, daily_limit=100)
    chats = [ChatBotFactory(user=user, config__max_tokens=200) for _ in range(16)]

    async def send_one(n):
        plan = await run_db(send_prepare, user=user, chat_id=chats[n].pk, content=CONTENT)
        await send_complete(plan=plan, gateway=get_gateway())

    def attempt(n):
        try:
            async_to_sync(send_one)(n)
            return "reply"
        except TokenQuotaExceeded:
            return "refused"

    outcomes = race(attempt, 16)

    assert outcomes.count("reply") == ADMITTED
    assert outcomes.count("refused") == 16 - ADMITTED
    assert settled_tokens(user=user) <= BUDGET
    assert Reply.objects.count() == ADMITTED
    assert not QuotaReservation.objects.exists()


def test_sends_split_across_two_servers_never_pass_a_users_token_budget(api_server):
    servers = [api_server(workers=2, CHAT_DAILY_TOKENS=str(BUDGET)) for _ in range(2)]
    user = UserFactory(daily_limit=100)
    chats = [ChatBotFactory(user=user, config__max_tokens=200) for _ in range(16)]
    token = str(AccessToken.for_user(user))

    statuses = race(lambda n: post(servers[n % 2], token, chats[n]).status_code, 16)

    assert sorted(statuses) == [201] * ADMITTED + [429] * (16 - ADMITTED)
    assert settled_tokens(user=user) <= BUDGET
    assert not QuotaReservation.objects.exists()


def test_sends_of_many_users_across_two_servers_never_pass_the_service_ceiling(api_server):
    servers = [api_server(workers=2, SERVICE_DAILY_TOKENS=str(BUDGET)) for _ in range(2)]
    users = [UserFactory() for _ in range(16)]
    chats = [ChatBotFactory(user=user, config__max_tokens=200) for user in users]
    tokens = [str(AccessToken.for_user(user)) for user in users]

    answers = race(lambda n: post(servers[n % 2], tokens[n], chats[n]), 16)

    statuses = sorted(answer.status_code for answer in answers)
    print(
        "DEBUG", statuses, settled_tokens(), [(u.prompt_tokens, u.completion_tokens) for u in DailyUsage.objects.all()]
    )
    assert statuses == [201] * ADMITTED + [503] * (16 - ADMITTED)
    refused = next(answer for answer in answers if answer.status_code == 503)
    assert "service" in refused.json()["detail"]
    assert int(refused.headers["Retry-After"]) > 0
    assert settled_tokens() <= BUDGET
    assert not QuotaReservation.objects.exists()


def test_the_openai_compatible_endpoint_is_under_the_same_budgets(api_server):
    server = api_server(workers=1, SERVICE_MONTHLY_TOKENS="100000")
    user = UserFactory(daily_tokens=300)
    client = sdk(server, api_key_create(user=user, name="sdk").key)
    messages = [{"role": "user", "content": "[[mock:words=150]] go"}]

    first = client.chat.completions.create(model="gpt-4o-mini", messages=messages, max_tokens=150)
    with pytest.raises(openai.RateLimitError) as plain:
        client.chat.completions.create(model="gpt-4o-mini", messages=messages, max_tokens=150)
    with pytest.raises(openai.RateLimitError):
        client.chat.completions.create(model="gpt-4o-mini", messages=messages, max_tokens=150, stream=True)
    # Without max_tokens, the worst case is CHAT_MAX_TOKENS_CAP (and that bound is sent upstream).
    with pytest.raises(openai.RateLimitError):
        client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}])

    assert first.usage.completion_tokens == 150
    assert plain.value.code == "token_limit_exceeded"
    assert plain.value.response.headers["Retry-After"]
    assert settled_tokens(user=user) == first.usage.total_tokens


def test_the_openai_compatible_endpoint_answers_the_service_ceiling_in_its_error_shape(api_server):
    server = api_server(workers=1, SERVICE_DAILY_TOKENS="10")
    user = UserFactory()
    client = sdk(server, api_key_create(user=user, name="sdk").key)

    with pytest.raises(openai.InternalServerError) as refused:
        client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}])

    assert refused.value.status_code == 503
    assert refused.value.code == "service_budget_exhausted"
    assert "service" in refused.value.message
    assert refused.value.response.headers["Retry-After"]


def test_a_stream_stopped_part_way_settles_to_what_was_shown(api_server):
    server = api_server(workers=1, CHAT_DAILY_TOKENS="5000")
    user = UserFactory()
    chat = ChatBotFactory(user=user, config__max_tokens=400)
    headers = {"Authorization": f"Bearer {AccessToken.for_user(user)}", "Accept": "text/event-stream"}
    url = f"{server.url}/api/v1/chats/{chat.pk}/messages/"

    with httpx.stream(
        "POST", url, json={"content": "[[mock:words=300]] [[mock:chunk_delay=0.2]]"}, headers=headers, timeout=30
    ) as response:
        seen = 0
        for line in response.iter_lines():
            if line.startswith("data: ") and "content" in json.loads(line.removeprefix("data: ")):
                seen += 1
            if seen == 3:
                break

    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and not Choice.objects.exists():
        time.sleep(0.1)
    usage = DailyUsage.objects.get(user=user)
    shown = Choice.objects.get().content
    assert usage.completion_tokens == text_tokens_estimate(shown)
    assert 0 < usage.prompt_tokens + usage.completion_tokens < 400  # far below the reserved worst case
    assert not QuotaReservation.objects.exists()


def test_an_unconfirmed_address_is_refused_on_the_openai_endpoint_and_streams_too(api_server):
    server = api_server(workers=1, REQUIRE_VERIFIED_EMAIL="true")
    user = UserFactory(email_verified=False)
    client = sdk(server, api_key_create(user=user, name="sdk").key)
    messages = [{"role": "user", "content": "hi"}]

    with pytest.raises(openai.PermissionDeniedError) as plain:
        client.chat.completions.create(model="gpt-4o-mini", messages=messages)
    with pytest.raises(openai.PermissionDeniedError):
        client.chat.completions.create(model="gpt-4o-mini", messages=messages, stream=True)
    chat = ChatBotFactory(user=user)
    streamed = httpx.post(
        f"{server.url}/api/v1/chats/{chat.pk}/messages/",
        json={"content": "hi"},
        headers={"Authorization": f"Bearer {AccessToken.for_user(user)}", "Accept": "text/event-stream"},
        timeout=30,
    )

    assert plain.value.code == "email_not_verified"
    assert streamed.status_code == 403
    assert not Reply.objects.exists()
