"""The Responses API (`/api/openai/v1/responses`), driven by the official `openai` SDK against a real
server: plain, streamed, function tools, `previous_response_id`, retrieval, the same quota and history."""

import json

import openai
import pytest

from accounts.api_keys import api_key_create
from accounts.tests.factories import UserFactory
from chat.models import ChatBot, Prompt, Reply
from chat.tests.openai_support import sdk, used
from conftest import module_api_server

pytestmark = pytest.mark.django_db(transaction=True)
MODEL = "gpt-4o-mini"
WEATHER = {
    "type": "function",
    "name": "get_weather",
    "description": "The weather in a city.",
    "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
    "strict": True,
}


server = module_api_server(workers=2, OPENAI_TIMEOUT="5")


def test_a_plain_response_carries_its_text_and_usage_and_is_stored(server, key, user, mock_llm):
    response = sdk(server, key).responses.create(
        model=MODEL, input="What is Busan known for?", instructions="Be terse."
    )

    assert response.object == "response" and response.id.startswith("resp_")
    assert response.status == "completed"
    assert response.output_text == "Mock reply: What is Busan known for?"
    (message,) = response.output
    assert message.type == "message" and message.role == "assistant" and message.id.startswith("msg_")
    assert message.content[0].type == "output_text"
    assert response.usage.total_tokens == response.usage.input_tokens + response.usage.output_tokens > 0
    assert response.instructions == "Be terse."
    upstream = mock_llm.requests()[-1]["body"]
    assert upstream["messages"] == [
        {"role": "system", "content": "Be terse."},
        {"role": "user", "content": "What is Busan known for?"},
    ]
    reply = Reply.objects.get(chatbot__user=user)
    assert reply.response_id == response.id
    assert reply.prompt.content == "What is Busan known for?"
    assert used(user) == 1

    fetched = sdk(server, key).responses.retrieve(response.id)
    assert fetched.id == response.id and fetched.output_text == response.output_text
    assert fetched.output[0].id == message.id


def test_a_streamed_response_sends_openais_events_in_order(server, key, user):
    events = list(sdk(server, key).responses.create(model=MODEL, input="one two three", stream=True))

    kinds = [event.type for event in events]
    assert kinds[:4] == [
        "response.created",
        "response.in_progress",
        "response.output_item.added",
        "response.content_part.added",
    ]
    assert kinds[-4:] == [
        "response.output_text.done",
        "response.content_part.done",
        "response.output_item.done",
        "response.completed",
    ]
    assert [event.sequence_number for event in events] == list(range(len(events)))
    deltas = [event.delta for event in events if event.type == "response.output_text.delta"]
    assert "".join(deltas) == "Mock reply: one two three" and len(deltas) == 5
    completed = events[-1].response
    assert completed.status == "completed" and completed.output_text == "Mock reply: one two three"
    assert completed.usage.output_tokens > 0
    assert {event.item_id for event in events if hasattr(event, "item_id")} == {completed.output[0].id}
    assert Reply.objects.get(chatbot__user=user).response_id == completed.id
    assert used(user) == 1


def test_the_sdk_stream_helper_gets_the_final_response(server, key):
    with sdk(server, key).responses.stream(model=MODEL, input="hello there") as stream:
        final = stream.get_final_response()

    assert final.output_text == "Mock reply: hello there"


def test_function_tools_and_a_follow_up_by_previous_response_id(server, key, user, mock_llm):
    client = sdk(server, key)
    first = client.responses.create(model=MODEL, input="Busan", tools=[WEATHER])

    (call,) = first.output
    assert call.type == "function_call" and call.name == "get_weather" and call.status == "completed"
    assert json.loads(call.arguments) == {"city": "Busan"}
    upstream = mock_llm.requests()[-1]["body"]
    assert upstream["tools"] == [{"type": "function", "function": {k: v for k, v in WEATHER.items() if k != "type"}}]

    second = client.responses.create(
        model=MODEL,
        previous_response_id=first.id,
        input=[{"type": "function_call_output", "call_id": call.call_id, "output": "sunny, 21 C"}],
        tools=[WEATHER],
    )

    assert second.output_text == "Mock reply: tool results: sunny, 21 C"
    assert second.previous_response_id == first.id
    assert mock_llm.requests()[-1]["body"]["messages"] == [
        {"role": "user", "content": "Busan"},
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {
                    "id": call.call_id,
                    "type": "function",
                    "function": {"name": "get_weather", "arguments": call.arguments},
                }
            ],
        },
        {"role": "tool", "tool_call_id": call.call_id, "content": "sunny, 21 C"},
    ]
    chat = ChatBot.objects.get(user=user)
    assert [p.tool_results for p in Prompt.objects.filter(chatbot=chat).order_by("id")] == [
        [],
        [{"tool_call_id": call.call_id, "content": "sunny, 21 C"}],
    ]

    third = client.responses.create(model=MODEL, previous_response_id=second.id, input="And Seoul?")
    assert third.output_text == "Mock reply: And Seoul?"
    assert [m["role"] for m in mock_llm.requests()[-1]["body"]["messages"]] == [
        "user",
        "assistant",
        "tool",
        "assistant",
        "user",
    ]
    assert ChatBot.objects.filter(user=user).count() == 1
    assert used(user) == 3


def test_streamed_function_calls_come_as_items_with_argument_deltas(server, key):
    events = list(
        sdk(server, key).responses.create(
            model=MODEL, input="Jeju", tools=[WEATHER, {**WEATHER, "name": "get_time"}], stream=True
        )
    )

    added = [event.item for event in events if event.type == "response.output_item.added"]
    assert [(item.type, item.name, item.arguments) for item in added] == [
        ("function_call", "get_weather", ""),
        ("function_call", "get_time", ""),
    ]
    for number, item in enumerate(added):
        pieces = [
            e.delta for e in events if e.type == "response.function_call_arguments.delta" and e.item_id == item.id
        ]
        done = next(e for e in events if e.type == "response.function_call_arguments.done" and e.output_index == number)
        assert json.loads("".join(pieces)) == json.loads(done.arguments) == {"city": "Jeju"}
    final = events[-1].response
    assert [item.call_id for item in final.output] == [item.call_id for item in added]


def test_input_items_and_text_format_translate_to_chat_completions(server, key, mock_llm):
    response = sdk(server, key).responses.create(
        model=MODEL,
        input=[
            {"role": "developer", "content": "Answer in JSON."},
            {"role": "user", "content": [{"type": "input_text", "text": "Busan"}]},
        ],
        text={
            "format": {
                "type": "json_schema",
                "name": "city",
                "schema": {"type": "object", "properties": {"name": {"type": "string"}}},
            }
        },
    )

    assert json.loads(response.output_text) == {"name": "Busan"}
    body = mock_llm.requests()[-1]["body"]
    assert body["messages"][0] == {"role": "developer", "content": "Answer in JSON."}
    assert body["response_format"]["json_schema"]["name"] == "city"
    assert response.text.format.type == "json_schema"


def test_another_users_response_is_a_404_in_openais_shape(server, key, user):
    theirs = sdk(server, api_key_create(user=UserFactory(), name="x").key).responses.create(model=MODEL, input="hi")

    with pytest.raises(openai.NotFoundError) as refused:
        sdk(server, key).responses.create(model=MODEL, input="mine", previous_response_id=theirs.id)
    assert refused.value.body["param"] == "previous_response_id"
    with pytest.raises(openai.NotFoundError):
        sdk(server, key).responses.retrieve(theirs.id)
    assert used(user) == 0


@pytest.mark.parametrize(
    ("options", "param"),
    [
        ({"reasoning": {"effort": "high"}}, "reasoning"),
        ({"tools": [{"type": "web_search"}]}, "tools.0.type"),
        ({"input": [{"type": "input_image", "image_url": "https://x"}]}, "input.0.type"),
        ({"input": [{"role": "user", "content": [{"type": "input_file", "file_id": "f"}]}]}, "input.0.content.0.type"),
        ({"include": ["reasoning.encrypted_content"]}, "include"),
        ({"max_output_tokens": "5"}, "max_output_tokens"),
        ({"truncation": "auto"}, "truncation"),
        ({"text": {"format": {"type": "json_schema", "name": "a", "schema": 3}}}, "text.format.schema"),
        ({"input": [{"type": "function_call_output", "call_id": "c", "output": "x"}]}, "input"),
    ],
)
def test_unsupported_fields_are_400s_naming_them(server, key, user, options, param):
    with pytest.raises(openai.BadRequestError) as refused:
        sdk(server, key).responses.create(**{"model": MODEL, "input": "hi", **options})

    assert refused.value.body["param"] == param
    assert refused.value.body["type"] == "invalid_request_error"
    assert used(user) == 0


def test_x_chat_id_naming_another_chat_than_previous_response_id_is_a_400(server, key, user):
    client = sdk(server, key)
    first = client.responses.create(model=MODEL, input="one")
    other = client.responses.create(model=MODEL, input="two")
    other_chat = Reply.objects.get(response_id=other.id).chatbot_id

    with pytest.raises(openai.BadRequestError) as refused:
        client.responses.create(
            model=MODEL, input="three", previous_response_id=first.id, extra_headers={"X-Chat-ID": str(other_chat)}
        )

    assert refused.value.body["param"] == "X-Chat-ID"
    assert used(user) == 2
