"""Every new wire shape, ours and the mock's, validated field by field against OpenAI's published
types (the `openai` SDK's pydantic models, validated strictly rather than constructed leniently)."""

import json

import httpx
import pytest
from openai.types.chat import ChatCompletion, ChatCompletionChunk
from openai.types.responses import Response, ResponseStreamEvent
from pydantic import TypeAdapter

from accounts.api_keys import api_key_create
from accounts.tests.factories import UserFactory
from conftest import module_api_server

pytestmark = pytest.mark.django_db(transaction=True)
MODEL = "gpt-4o-mini"
TOOLS = [
    {
        "type": "function",
        "function": {"name": name, "parameters": {"type": "object", "properties": {"city": {"type": "string"}}}},
    }
    for name in ("get_weather", "get_time")
]
STREAM_EVENT = TypeAdapter(ResponseStreamEvent)


server = module_api_server(workers=1, OPENAI_TIMEOUT="5")


@pytest.fixture
def headers():
    return {"Authorization": f"Bearer {api_key_create(user=UserFactory(), name='wire').key}"}


def events(response: httpx.Response) -> list[tuple[str | None, dict]]:
    """(event name, data) of each server-sent event, `[DONE]` left out."""
    found = []
    for block in response.text.split("\n\n"):
        name = next((line[7:] for line in block.split("\n") if line.startswith("event: ")), None)
        data = next((line[6:] for line in block.split("\n") if line.startswith("data: ")), None)
        if data and data != "[DONE]":
            found.append((name, json.loads(data)))
    return found


BODIES = {
    "tools": {"messages": [{"role": "user", "content": "Busan"}], "tools": TOOLS},
    "n": {"messages": [{"role": "user", "content": "hi"}], "n": 2},
    "json": {"messages": [{"role": "user", "content": "hi"}], "response_format": {"type": "json_object"}},
}


@pytest.mark.parametrize("case", BODIES)
@pytest.mark.parametrize("where", ["ours", "mock"])
def test_chat_completions_and_chunks_validate_as_openais(server, headers, mock_llm_process, case, where):
    url = f"{server.url}/api/openai/v1" if where == "ours" else f"{mock_llm_process}/v1"
    body = {"model": MODEL, **BODIES[case]}

    plain = httpx.post(f"{url}/chat/completions", json=body, headers=headers, timeout=10)
    streamed = httpx.post(
        f"{url}/chat/completions",
        json={**body, "stream": True, "stream_options": {"include_usage": True}},
        headers=headers,
        timeout=10,
    )

    completion = ChatCompletion.model_validate(plain.json(), strict=True)
    chunks = [ChatCompletionChunk.model_validate(data, strict=True) for _, data in events(streamed)]
    if case == "tools":
        assert completion.choices[0].finish_reason == "tool_calls"
        assert [call.function.name for call in completion.choices[0].message.tool_calls] == ["get_weather", "get_time"]
        firsts = [c.choices[0].delta.tool_calls[0] for c in chunks if c.choices and c.choices[0].delta.tool_calls]
        assert [(piece.index, piece.function.name) for piece in firsts if piece.id] == [
            (0, "get_weather"),
            (1, "get_time"),
        ]
    if case == "n":
        assert len(completion.choices) == 2
        assert {choice.index for chunk in chunks for choice in chunk.choices} == {0, 1}
    assert chunks[-1].usage.total_tokens > 0


@pytest.mark.parametrize("tools", [False, True], ids=["text", "tools"])
def test_responses_and_their_events_validate_as_openais(server, headers, tools):
    body = {"model": MODEL, "input": "Busan", "instructions": "Be brief."}
    if tools:
        body["tools"] = [{"type": "function", **tool["function"]} for tool in TOOLS]
    url = f"{server.url}/api/openai/v1/responses"

    plain = httpx.post(url, json=body, headers=headers, timeout=10)
    streamed = httpx.post(url, json={**body, "stream": True}, headers=headers, timeout=10)
    fetched = httpx.get(f"{url}/{plain.json()['id']}", headers=headers, timeout=10)

    response = Response.model_validate(plain.json(), strict=True)
    Response.model_validate(fetched.json(), strict=True)
    assert response.status == "completed" and response.usage.total_tokens > 0
    assert [item.type for item in response.output] == (["function_call"] * 2 if tools else ["message"])
    for name, data in events(streamed):
        event = STREAM_EVENT.validate_python(data, strict=True)
        assert event.type == name
