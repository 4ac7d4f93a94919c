"""Past plain text on the OpenAI-compatible endpoint: tools (plain, streamed, parallel, follow-ups),
structured outputs and several choices, driven by the official `openai` SDK against a real server."""

import asyncio
import json
import time

import openai
import pytest
from pydantic import BaseModel

from accounts.api_keys import api_key_create
from accounts.tests.factories import UserFactory
from chat.models import ChatBot, Choice, Prompt, Reply
from chat.tests.openai_support import sdk, used
from conftest import bearer_client, module_api_server

pytestmark = pytest.mark.django_db(transaction=True)
MODEL = "gpt-4o-mini"
WEATHER = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "The weather in a city.",
        "parameters": {
            "type": "object",
            "properties": {"city": {"type": "string"}, "days": {"type": "integer"}},
            "required": ["city", "days"],
        },
    },
}
TIME = {
    "type": "function",
    "function": {"name": "get_time", "parameters": {"type": "object", "properties": {"zone": {"type": "string"}}}},
}


server = module_api_server(workers=2, OPENAI_TIMEOUT="5")


def test_a_tool_call_answer_carries_tool_calls_and_is_stored_and_charged_once(server, key, user, mock_llm):
    completion = sdk(server, key).chat.completions.create(
        model=MODEL,
        messages=[{"role": "user", "content": "Weather in Busan?"}],
        tools=[WEATHER],
        tool_choice="auto",
        parallel_tool_calls=False,
    )

    choice = completion.choices[0]
    assert choice.finish_reason == "tool_calls"
    assert choice.message.content is None
    (call,) = choice.message.tool_calls
    assert call.type == "function" and call.id.startswith("call_")
    assert call.function.name == "get_weather"
    assert json.loads(call.function.arguments) == {"city": "Weather in Busan?", "days": 1}
    upstream = mock_llm.requests()[-1]["body"]
    assert upstream["tools"] == [WEATHER]
    assert upstream["tool_choice"] == "auto" and upstream["parallel_tool_calls"] is False
    stored = Choice.objects.get(reply__chatbot__user=user)
    assert stored.tool_calls == [call.model_dump()]
    assert stored.finish_reason == "tool_calls" and stored.content == ""
    assert used(user) == 1


def test_streamed_parallel_tool_calls_come_apart_by_index_with_id_and_name_first(server, key, user):
    stream = sdk(server, key).chat.completions.create(
        model=MODEL,
        messages=[{"role": "user", "content": "Busan"}],
        tools=[WEATHER, TIME],
        stream=True,
        stream_options={"include_usage": True},
    )
    pieces: dict[int, list] = {}
    finish = None
    usage = None
    for chunk in stream:
        usage = chunk.usage or usage
        for choice in chunk.choices:
            finish = choice.finish_reason or finish
            for call in choice.delta.tool_calls or ():
                pieces.setdefault(call.index, []).append(call)

    assert sorted(pieces) == [0, 1]
    for index, name in ((0, "get_weather"), (1, "get_time")):
        first, *rest = pieces[index]
        assert first.id and first.type == "function" and first.function.name == name
        assert rest and all(piece.id is None and piece.function.name is None for piece in rest)
    arguments = {i: "".join(p.function.arguments or "" for p in pieces[i]) for i in pieces}
    assert json.loads(arguments[0]) == {"city": "Busan", "days": 1}
    assert json.loads(arguments[1]) == {"zone": "Busan"}
    assert finish == "tool_calls"
    assert usage.completion_tokens > 0
    stored = Choice.objects.get(reply__chatbot__user=user)
    assert [call["function"]["name"] for call in stored.tool_calls] == ["get_weather", "get_time"]
    assert [call["id"] for call in stored.tool_calls] == [pieces[0][0].id, pieces[1][0].id]
    assert json.loads(stored.tool_calls[0]["function"]["arguments"]) == json.loads(arguments[0])
    assert used(user) == 1


def test_the_sdk_stream_helper_assembles_the_same_tool_calls(server, key):
    with sdk(server, key).chat.completions.stream(
        model=MODEL, messages=[{"role": "user", "content": "Seoul"}], tools=[WEATHER, TIME]
    ) as stream:
        final = stream.get_final_completion()

    calls = final.choices[0].message.tool_calls
    assert [call.function.name for call in calls] == ["get_weather", "get_time"]
    assert json.loads(calls[0].function.arguments) == {"city": "Seoul", "days": 1}


def test_a_tool_loop_follow_up_goes_upstream_as_given_and_joins_the_loops_chat(server, key, user, mock_llm):
    client = sdk(server, key)
    messages = [{"role": "user", "content": "Weather in Busan?"}]
    first = client.chat.completions.create(model=MODEL, messages=messages, tools=[WEATHER, TIME])
    message = first.choices[0].message
    messages.append(message.model_dump(exclude_none=True) | {"content": None})
    for call in message.tool_calls:
        messages.append({"role": "tool", "tool_call_id": call.id, "content": f"result of {call.function.name}"})

    second = client.chat.completions.create(model=MODEL, messages=messages, tools=[WEATHER, TIME])

    assert second.choices[0].finish_reason == "stop"
    assert second.choices[0].message.content == ("Mock reply: tool results: result of get_weather; result of get_time")
    upstream = mock_llm.requests()[-1]["body"]["messages"]
    assert upstream[1] == {
        "role": "assistant",
        "content": None,
        "tool_calls": [c.model_dump() for c in message.tool_calls],
    }
    assert upstream[2] == {"role": "tool", "tool_call_id": message.tool_calls[0].id, "content": "result of get_weather"}
    chat = ChatBot.objects.get(user=user)  # one chat: the follow-up found the chat that asked for the tools
    assert chat.title == "Weather in Busan?"
    first_turn, follow_up = Prompt.objects.filter(chatbot=chat).order_by("id")
    assert first_turn.content == "Weather in Busan?" and first_turn.tool_results == []
    assert follow_up.content == ""
    assert follow_up.tool_results == [
        {"tool_call_id": message.tool_calls[0].id, "content": "result of get_weather"},
        {"tool_call_id": message.tool_calls[1].id, "content": "result of get_time"},
    ]
    detail = bearer_client(user).get(f"/api/v1/chats/{chat.pk}/").json()
    assert detail["prompts"][0]["reply"]["choices"][0]["tool_calls"][0]["function"]["name"] == "get_weather"
    assert detail["prompts"][1]["tool_results"][1]["content"] == "result of get_time"
    markdown = bearer_client(user).get(f"/api/v1/chats/{chat.pk}/export/?format=md").content.decode()
    assert "called `get_weather`" in markdown and "result of get_time" in markdown
    assert used(user) == 2


def test_a_tool_result_naming_no_call_of_yours_starts_a_new_chat(server, key, user):
    other = api_key_create(user=UserFactory(), name="other").key
    first = sdk(server, other).chat.completions.create(
        model=MODEL, messages=[{"role": "user", "content": "theirs"}], tools=[WEATHER]
    )
    call = first.choices[0].message.tool_calls[0]
    messages = [
        {"role": "user", "content": "mine"},
        {"role": "assistant", "content": None, "tool_calls": [call.model_dump()]},
        {"role": "tool", "tool_call_id": call.id, "content": "42"},
    ]

    sdk(server, key).chat.completions.create(model=MODEL, messages=messages)

    assert ChatBot.objects.filter(user=user).count() == 1
    assert ChatBot.objects.get(user=user).title == "mine"


class Weather(BaseModel):
    city: str
    celsius: int
    sunny: bool


def test_structured_outputs_parse_into_the_pydantic_model(server, key, mock_llm):
    completion = sdk(server, key).chat.completions.parse(
        model=MODEL, messages=[{"role": "user", "content": "Busan"}], response_format=Weather
    )

    assert completion.choices[0].message.parsed == Weather(city="Busan", celsius=1, sunny=True)
    response_format = mock_llm.requests()[-1]["body"]["response_format"]
    assert response_format["type"] == "json_schema"
    assert response_format["json_schema"]["name"] == "Weather" and response_format["json_schema"]["strict"] is True


def test_json_mode_passes_upstream_and_the_content_comes_back_as_written(server, key, mock_llm):
    completion = sdk(server, key).chat.completions.create(
        model=MODEL, messages=[{"role": "user", "content": '{"a": [1, 2]}'}], response_format={"type": "json_object"}
    )

    assert json.loads(completion.choices[0].message.content) == {"a": [1, 2]}
    assert mock_llm.requests()[-1]["body"]["response_format"] == {"type": "json_object"}


def test_several_choices_are_stored_each_and_count_once_against_the_day(server, key, user, mock_llm):
    completion = sdk(server, key).chat.completions.create(
        model=MODEL, messages=[{"role": "user", "content": "hi"}], n=4
    )

    assert [c.index for c in completion.choices] == [0, 1, 2, 3]
    assert completion.choices[0].message.content == "Mock reply: hi"
    assert completion.choices[3].message.content == "Mock reply: hi [choice 4]"
    assert mock_llm.requests()[-1]["body"]["n"] == 4
    reply = Reply.objects.get(chatbot__user=user)
    assert list(reply.choices.order_by("index").values_list("content", flat=True)) == [
        c.message.content for c in completion.choices
    ]
    assert reply.completion_tokens == completion.usage.completion_tokens == 4 * 3 + 3 * 2
    assert used(user) == 1


def test_several_streamed_choices_come_apart_by_index(server, key, user):
    stream = sdk(server, key).chat.completions.create(
        model=MODEL, messages=[{"role": "user", "content": "one two"}], n=2, stream=True
    )
    texts: dict[int, str] = {}
    finishes: dict[int, str] = {}
    for chunk in stream:
        for choice in chunk.choices:
            texts[choice.index] = texts.get(choice.index, "") + (choice.delta.content or "")
            if choice.finish_reason:
                finishes[choice.index] = choice.finish_reason

    assert texts == {0: "Mock reply: one two", 1: "Mock reply: one two [choice 2]"}
    assert finishes == {0: "stop", 1: "stop"}
    reply = Reply.objects.get(chatbot__user=user)
    assert list(reply.choices.order_by("index").values_list("content", flat=True)) == [texts[0], texts[1]]


def test_the_async_sdk_gets_tool_calls_too(server, key):
    async def call():
        client = openai.AsyncOpenAI(base_url=f"{server.url}/api/openai/v1", api_key=key, max_retries=0)
        async with client:
            return await client.chat.completions.create(
                model=MODEL,
                messages=[{"role": "user", "content": "Jeju"}],
                tools=[WEATHER],
                tool_choice={"type": "function", "function": {"name": "get_weather"}},
            )

    completion = asyncio.run(call())

    assert completion.choices[0].message.tool_calls[0].function.name == "get_weather"


def test_an_unknown_path_is_openais_404(server, key):
    with pytest.raises(openai.NotFoundError) as refused:
        sdk(server, key).embeddings.create(model=MODEL, input="hi")

    assert refused.value.body["type"] == "invalid_request_error"
    assert refused.value.body["code"] == "unknown_url"
    assert "/api/openai/v1/embeddings" in refused.value.body["message"]


def test_a_client_gone_mid_tool_call_is_charged_for_what_it_saw(server, key, user, mock_llm):
    stream = sdk(server, key).chat.completions.create(
        model=MODEL,
        messages=[{"role": "user", "content": "Busan [[mock:chunk_delay=0.3]]"}],
        tools=[WEATHER, TIME],
        stream=True,
    )
    for chunk in stream:
        if chunk.choices and chunk.choices[0].delta.tool_calls:
            break  # the first piece of the first call
    stream.close()

    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and not Choice.objects.filter(reply__chatbot__user=user).exists():
        time.sleep(0.1)
    choice = Choice.objects.get(reply__chatbot__user=user)
    assert choice.finish_reason == "cancelled"
    assert mock_llm.requests()[-1]["disconnected"] is True
    assert used(user) == 1
