"""The OpenAI-compatible endpoint, driven by the official `openai` SDK against a real server process."""

import asyncio
import threading
from concurrent.futures import ThreadPoolExecutor

import httpx
import openai
import pytest

from accounts.api_keys import api_key_create
from accounts.tests.factories import UserFactory
from chat.models import ChatBot, DailyUsage, Prompt, QuotaReservation, Reply
from chat.tests.factories import ChatBotFactory
from chat.tests.openai_support import sdk
from conftest import bearer_client, module_api_server

pytestmark = pytest.mark.django_db(transaction=True)
MODEL = "gpt-4o-mini"


server = module_api_server(workers=2, OPENAI_TIMEOUT="3", METRICS_TOKEN="metrics-test")


def upstream_errors(server) -> list[str]:
    metrics = httpx.get(f"{server.url}/api/metrics/", headers={"Authorization": "Bearer metrics-test"}).text
    return [line for line in metrics.splitlines() if line.startswith("chatbot_upstream_errors_total{")]


def ask(client, content="Hello", **options):
    return client.chat.completions.create(model=MODEL, messages=[{"role": "user", "content": content}], **options)


def test_a_plain_call_gets_the_reply_and_its_usage_and_is_stored_as_a_new_chat(server, key, user, mock_llm):
    messages = [
        {"role": "system", "content": "You are terse."},
        {"role": "user", "content": "Earlier question"},
        {"role": "assistant", "content": "Earlier answer"},
        {"role": "user", "content": "What is Busan known for?"},
    ]

    completion = sdk(server, key).chat.completions.create(model=MODEL, messages=messages, temperature=0.5)

    assert completion.object == "chat.completion"
    assert completion.id.startswith("chatcmpl-")
    assert completion.choices[0].message.role == "assistant"
    assert completion.choices[0].message.content == "Mock reply: What is Busan known for?"
    assert completion.choices[0].finish_reason == "stop"
    assert completion.usage.total_tokens == completion.usage.prompt_tokens + completion.usage.completion_tokens > 0
    upstream = mock_llm.requests()[-1]["body"]
    assert upstream["messages"] == messages  # as given, system prompt included
    assert upstream["temperature"] == 0.5
    chat = ChatBot.objects.get(user=user)
    assert chat.title == "What is Busan known for?"
    assert chat.config.system_prompt == "You are terse."
    prompt = Prompt.objects.get(chatbot=chat)
    assert prompt.content == "What is Busan known for?"
    assert prompt.reply.choices.get().content == completion.choices[0].message.content
    assert DailyUsage.objects.get(user=user).used == 1


def test_a_streamed_call_relays_chunks_then_usage_then_done(server, key, user):
    pieces, usage, finish = [], None, None
    with ask(sdk(server, key), "stream this please", stream=True, stream_options={"include_usage": True}) as stream:
        for chunk in stream:
            assert chunk.object == "chat.completion.chunk"
            if chunk.choices:
                pieces.append(chunk.choices[0].delta.content or "")
                finish = chunk.choices[0].finish_reason or finish
            if chunk.usage:
                usage = chunk.usage

    assert "".join(pieces) == "Mock reply: stream this please"
    assert finish == "stop"
    assert usage.completion_tokens == 5  # the mock counts words
    assert Reply.objects.get(chatbot__user=user).total_tokens == usage.total_tokens


def test_the_async_client_works_plain_and_streamed(server, key):
    async def both():
        client = openai.AsyncOpenAI(base_url=f"{server.url}/api/openai/v1", api_key=key, max_retries=0)
        plain = await client.chat.completions.create(model=MODEL, messages=[{"role": "user", "content": "one"}])
        stream = await client.chat.completions.create(
            model=MODEL, messages=[{"role": "user", "content": "two"}], stream=True
        )
        streamed = "".join([chunk.choices[0].delta.content or "" async for chunk in stream if chunk.choices])
        await client.close()
        return plain.choices[0].message.content, streamed

    assert asyncio.run(both()) == ("Mock reply: one", "Mock reply: two")


def test_the_quota_is_shared_with_the_rest_send(server, key, user, mock_llm):
    chat = ChatBotFactory(user=user)
    rest = bearer_client(user)
    for _ in range(5):
        assert rest.post(f"/api/v1/chats/{chat.pk}/messages/", {"content": "hi"}, format="json").status_code == 201

    with pytest.raises(openai.RateLimitError) as refused:
        ask(sdk(server, key))

    assert refused.value.status_code == 429
    assert refused.value.body["code"] == "rate_limit_exceeded"
    assert int(refused.value.response.headers["retry-after"]) > 0
    assert refused.value.response.headers["x-ratelimit-remaining"] == "0"


def test_calls_appear_in_the_chat_list_and_x_chat_id_appends(server, key, user):
    client = sdk(server, key)
    ask(client, "first call")
    chat = ChatBot.objects.get(user=user)

    ask(client, "second call, same chat", extra_headers={"X-Chat-ID": str(chat.pk)})

    listed = bearer_client(user).get("/api/v1/chats/").json()
    assert [c["title"] for c in listed["results"]] == ["first call"]
    detail = bearer_client(user).get(f"/api/v1/chats/{chat.pk}/").json()
    assert [p["content"] for p in detail["prompts"]] == ["first call", "second call, same chat"]


def test_x_chat_id_of_another_users_chat_is_not_found_and_costs_nothing(server, key, user):
    theirs = ChatBotFactory(user=UserFactory())

    with pytest.raises(openai.NotFoundError) as refused:
        ask(sdk(server, key), extra_headers={"X-Chat-ID": str(theirs.pk)})

    assert refused.value.body["type"] == "invalid_request_error"
    assert not Prompt.objects.filter(chatbot=theirs).exists()
    assert not DailyUsage.objects.filter(user=user, used__gt=0).exists()


@pytest.mark.parametrize(
    ("options", "param"),
    [
        ({"model": "gpt-9-ultra"}, "model"),
        ({"messages": []}, "messages"),
        ({"messages": [{"role": "assistant", "content": "no user here"}]}, "messages"),
        ({"messages": [{"role": "user", "content": 42}]}, "messages.0.content"),
        ({"messages": [{"role": "wizard", "content": "hi"}]}, "messages.0.role"),
        ({"messages": [{"role": "user", "content": "x" * 100_001}]}, "messages"),
        ({"temperature": 3}, "temperature"),
        ({"max_tokens": 0}, "max_tokens"),
        ({"n": 5}, "n"),
        ({"logit_bias": {"50256": -100}}, "logit_bias"),
        ({"audio": {"voice": "alloy"}}, "audio"),
        ({"tools": [{"type": "custom", "custom": {"name": "x"}}]}, "tools.0.type"),
        ({"tools": [{"type": "function", "function": {"name": "bad name"}}]}, "tools.0.function.name"),
        ({"tool_choice": "required"}, "tool_choice"),
        ({"response_format": {"type": "yaml"}}, "response_format"),
        (
            {"messages": [{"role": "user", "content": "hi"}, {"role": "tool", "content": "42"}]},
            "messages.1.tool_call_id",
        ),
        (
            {"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": None}]},
            "messages.1.content",
        ),
        ({"messages": [{"role": "user", "content": "hi", "tool_call_id": "x"}]}, "messages.0.tool_call_id"),
    ],
)
def test_bad_input_is_a_bad_request_error_that_costs_nothing(server, key, user, options, param):
    body = {"model": MODEL, "messages": [{"role": "user", "content": "hi"}], **options}

    with pytest.raises(openai.BadRequestError) as refused:
        sdk(server, key).chat.completions.create(**body)

    assert refused.value.status_code == 400
    assert refused.value.body["type"] == "invalid_request_error"
    assert refused.value.body["param"] == param
    if param == "model":
        assert refused.value.body["code"] == "model_not_found"
    assert not DailyUsage.objects.filter(user=user, used__gt=0).exists()
    assert not ChatBot.objects.exists()


@pytest.mark.parametrize(
    ("field", "escaped"), [("stop", '"\\ud800"'), ("stop", '["fine", "\\udfff"]'), ("user", '"\\ud800"')]
)
def test_a_lone_surrogate_in_a_text_field_is_a_400_not_an_upstream_error(server, key, user, field, escaped):
    """Probe 2, finding 3: text that cannot be encoded to go upstream was a 502 "upstream" error."""
    body = f'{{"model": "{MODEL}", "messages": [{{"role": "user", "content": "hi"}}], "{field}": {escaped}}}'
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    errors_before = upstream_errors(server)

    response = httpx.post(f"{server.url}/api/openai/v1/chat/completions", content=body, headers=headers)

    assert response.status_code == 400
    assert response.json()["error"]["param"] == field
    assert upstream_errors(server) == errors_before
    assert not DailyUsage.objects.filter(user=user, used__gt=0).exists()


def test_a_body_that_is_not_json_is_a_400_in_openai_shape(server, key):
    response = httpx.post(
        f"{server.url}/api/openai/v1/chat/completions",
        content=b"{not json",
        headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"},
    )

    assert response.status_code == 400
    assert response.json()["error"]["type"] == "invalid_request_error"


@pytest.mark.parametrize("bad_key", ["cbk_0123456789ab_revoked-or-never-was", "not-a-key-at-all"])
def test_a_bad_key_is_an_authentication_error(server, bad_key):
    with pytest.raises(openai.AuthenticationError) as refused:
        ask(sdk(server, bad_key))

    assert refused.value.status_code == 401
    assert refused.value.body["code"] == "invalid_api_key"


@pytest.mark.parametrize(
    ("directive", "error", "status"),
    [
        ("[[mock:status=500]]", openai.InternalServerError, 502),
        ("[[mock:status=429]]", openai.InternalServerError, 503),
        ("[[mock:hang]]", openai.InternalServerError, 504),
    ],
)
def test_upstream_failures_keep_their_statuses_and_cost_nothing(server, key, user, directive, error, status):
    with pytest.raises(error) as failed:
        ask(sdk(server, key), f"hi {directive}")

    assert failed.value.status_code == status
    assert failed.value.body["type"] == "server_error"
    assert not ChatBot.objects.exists()
    assert not DailyUsage.objects.filter(user=user, used__gt=0).exists()


def test_an_upstream_failure_mid_stream_raises_in_the_sdk_and_costs_nothing(server, key, user):
    with pytest.raises(openai.APIError), ask(sdk(server, key), "one two three [[mock:cut=2]]", stream=True) as stream:
        for _ in stream:
            pass

    assert not Reply.objects.exists()
    assert not DailyUsage.objects.filter(user=user, used__gt=0).exists()


def test_models_lists_the_allowed_models(server, key, settings):
    assert [model.id for model in sdk(server, key).models.list()] == settings.OPENAI_ALLOWED_MODELS


def test_sixteen_simultaneous_sdk_calls_with_five_left_give_exactly_five_replies(server, key, user):
    barrier = threading.Barrier(16)

    def call(_):
        client = sdk(server, key, timeout=30)
        barrier.wait()
        try:
            ask(client, "[[mock:latency=0.3]] race")
            return "reply"
        except openai.RateLimitError:
            return "refused"

    with ThreadPoolExecutor(16) as pool:
        outcomes = list(pool.map(call, range(16)))

    assert outcomes.count("reply") == 5
    assert outcomes.count("refused") == 11
    assert Reply.objects.count() == 5
    assert DailyUsage.objects.get(user=user).used == 5
    assert not QuotaReservation.objects.exists()


@pytest.mark.parametrize(
    ("directive", "error", "status"),
    [
        ("[[mock:status=500]]", openai.InternalServerError, 502),
        ("[[mock:status=429]]", openai.InternalServerError, 503),
    ],
)
def test_a_streamed_call_whose_model_fails_to_start_keeps_the_status(server, key, user, directive, error, status):
    with pytest.raises(error) as failed:
        ask(sdk(server, key), f"hi {directive}", stream=True)

    assert failed.value.status_code == status
    assert not DailyUsage.objects.filter(user=user, used__gt=0).exists()


def test_an_sse_client_asking_for_text_event_stream_gets_the_stream(server, key):
    with httpx.stream(
        "POST",
        f"{server.url}/api/openai/v1/chat/completions",
        json={"model": MODEL, "messages": [{"role": "user", "content": "sse"}], "stream": True},
        headers={"Authorization": f"Bearer {key}", "Accept": "text/event-stream"},
        timeout=10,
    ) as response:
        lines = [line for line in response.iter_lines() if line.startswith("data: ")]

    assert response.status_code == 200
    assert lines[-1] == "data: [DONE]"


@pytest.mark.parametrize("header", ["\u00b2", "12a", "-1", "1" * 19])
def test_a_malformed_x_chat_id_is_a_400(server, key, header):
    response = httpx.post(
        f"{server.url}/api/openai/v1/chat/completions",
        json={"model": MODEL, "messages": [{"role": "user", "content": "hi"}]},
        headers={"Authorization": f"Bearer {key}", "X-Chat-ID": header.encode("latin-1")},
        timeout=10,
    )

    assert response.status_code == 400
    assert response.json()["error"]["param"] == "X-Chat-ID"


def test_a_body_nested_just_under_the_decoders_limit_is_a_400(server, key):
    stop = "[" * 900 + "]" * 900
    body = '{"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}], "stop": ' + stop + "}"
    response = httpx.post(
        f"{server.url}/api/openai/v1/chat/completions",
        content=body.encode(),
        headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"},
        timeout=10,
    )

    assert response.status_code == 400
    assert "nested too deeply" in response.json()["error"]["message"]


def test_a_bad_jwt_is_an_authentication_error_with_a_readable_message(server):
    with pytest.raises(openai.AuthenticationError) as refused:
        ask(sdk(server, "not.a.jwt"))

    assert refused.value.body["message"] == "Given token not valid for any token type"
    assert refused.value.response.headers["www-authenticate"].startswith("Bearer")


def test_the_quota_refusal_tells_the_sdk_not_to_retry(server, key, user):
    user.daily_limit = 0
    user.save()

    with pytest.raises(openai.RateLimitError) as refused:
        ask(sdk(server, key))

    assert refused.value.response.headers["x-should-retry"] == "false"


def test_calls_that_would_make_a_chat_past_the_cap_are_refused_but_x_chat_id_still_works(api_server, key, user):
    server = api_server(workers=1, CHAT_MAX_PER_USER="2")
    chats = [ChatBotFactory(user=user) for _ in range(2)]
    client = sdk(server, key)

    with pytest.raises(openai.BadRequestError) as refused:
        ask(client)
    appended = ask(client, extra_headers={"X-Chat-ID": str(chats[0].pk)})

    assert "at most 2 chats" in refused.value.body["message"]
    assert appended.choices[0].message.content == "Mock reply: Hello"
    assert ChatBot.objects.filter(user=user).count() == 2


def test_simultaneous_calls_at_the_chat_cap_make_no_chat_past_it(api_server, user):
    """Probe 2, finding 8, for the chats the endpoint makes: both checks (before and when storing) hold."""
    server = api_server(workers=2, CHAT_MAX_PER_USER="3")
    ChatBotFactory(user=user)
    user.daily_limit = 50
    user.save()
    key = api_key_create(user=user, name="sdk").key
    client = sdk(server, key)

    def call(n):
        try:
            ask(client, f"[[mock:latency=0.3]] call {n}")
            return "made"
        except openai.BadRequestError as refused:
            assert "at most 3 chats" in refused.body["message"]
            return "refused"

    with ThreadPoolExecutor(8) as pool:
        outcomes = list(pool.map(call, range(8)))

    assert outcomes.count("made") == 2
    assert ChatBot.objects.filter(user=user).count() == 3
    assert DailyUsage.objects.get(user=user).used == 2  # a completion refused at the store costs nothing


def test_two_bounds_on_the_answer_are_refused_in_words_and_cost_nothing(server, key, user):
    # The worst case reserved against token budgets needs one bound: an upstream may obey the larger.
    with pytest.raises(openai.BadRequestError) as refused:
        ask(sdk(server, key), max_tokens=1, max_completion_tokens=4096)

    assert refused.value.body["param"] == "max_completion_tokens"
    assert "not both" in refused.value.body["message"]
    assert not Prompt.objects.exists()
    assert not DailyUsage.objects.filter(user=user, used__gt=0).exists()
