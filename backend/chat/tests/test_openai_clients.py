"""Real client libraries against the OpenAI-compatible endpoint over HTTP: LangChain's `ChatOpenAI`
(tools, structured output in each of its methods) and the OpenAI Agents SDK (a one-tool agent, on
the Responses API and on chat completions), each on our quota and history."""

import asyncio

import openai
import pytest
from agents import Agent, OpenAIChatCompletionsModel, OpenAIResponsesModel, Runner, function_tool, set_tracing_disabled
from langchain_core.messages import HumanMessage, ToolMessage
from langchain_core.tools import tool
from langchain_openai import ChatOpenAI
from pydantic import BaseModel

from chat.models import ChatBot, Prompt, Reply
from chat.tests.openai_support import used
from conftest import module_api_server

pytestmark = pytest.mark.django_db(transaction=True)
MODEL = "gpt-4o-mini"
set_tracing_disabled(True)  # the Agents SDK would otherwise send traces to OpenAI


server = module_api_server(workers=2, OPENAI_TIMEOUT="5")


def base_url(server) -> str:
    return f"{server.url}/api/openai/v1"


@tool
def get_weather(city: str) -> str:
    """The weather in a city."""
    return f"sunny in {city}"


class Person(BaseModel):
    name: str
    age: int


def chat_model(server, key, **options) -> ChatOpenAI:
    return ChatOpenAI(model=MODEL, base_url=base_url(server), api_key=key, max_retries=0, **options)


def test_langchain_bind_tools_gets_tool_calls_and_the_loop_finishes_in_one_chat(server, key, user):
    model = chat_model(server, key).bind_tools([get_weather])
    question = HumanMessage("Busan")

    asked = model.invoke([question])

    (call,) = asked.tool_calls
    assert call["name"] == "get_weather" and call["args"] == {"city": "Busan"}
    result = ToolMessage(get_weather.invoke(call["args"]), tool_call_id=call["id"])
    answer = model.invoke([question, asked, result])
    assert answer.content == "Mock reply: tool results: sunny in Busan"
    chat = ChatBot.objects.get(user=user)
    assert Prompt.objects.filter(chatbot=chat).count() == 2
    assert used(user) == 2


def test_langchain_streams_tool_call_chunks(server, key):
    model = chat_model(server, key).bind_tools([get_weather])

    gathered = None
    for chunk in model.stream("Seoul"):
        gathered = chunk if gathered is None else gathered + chunk

    assert gathered.tool_calls[0]["name"] == "get_weather"
    assert gathered.tool_calls[0]["args"] == {"city": "Seoul"}


@pytest.mark.parametrize("method", ["json_schema", "function_calling"])
def test_langchain_structured_output(server, key, mock_llm, method):
    structured = chat_model(server, key).with_structured_output(Person, method=method)

    person = structured.invoke("Ann")

    assert person == Person(name="Ann", age=1)
    upstream = mock_llm.requests()[-1]["body"]
    if method == "json_schema":
        assert upstream["response_format"]["type"] == "json_schema"
    else:
        assert upstream["tool_choice"]["function"]["name"] == "Person"


def test_langchain_structured_output_in_json_mode(server, key, mock_llm):
    structured = chat_model(server, key).with_structured_output(Person, method="json_mode")

    person = structured.invoke('{"name": "Ann", "age": 7}')

    assert person == Person(name="Ann", age=7)
    assert mock_llm.requests()[-1]["body"]["response_format"] == {"type": "json_object"}


def test_langchain_on_the_responses_api(server, key, mock_llm):
    model = chat_model(server, key, use_responses_api=True).bind_tools([get_weather])

    asked = model.invoke("Jeju")

    assert asked.tool_calls[0]["args"] == {"city": "Jeju"}
    assert "tools" in mock_llm.requests()[-1]["body"]
    assert Reply.objects.get().response_id == asked.response_metadata["id"]


@function_tool
def weather(city: str) -> str:
    """The weather in a city."""
    return f"sunny in {city}"


def run_agent(model, question: str, *, streamed: bool = False, chained: bool = False) -> str:
    agent = Agent(name="Forecaster", instructions="Use the tool.", tools=[weather], model=model)

    async def run():
        if not streamed:
            return (await Runner.run(agent, question, auto_previous_response_id=chained)).final_output
        result = Runner.run_streamed(agent, question)
        async for _ in result.stream_events():
            pass
        return result.final_output

    return asyncio.run(run())


@pytest.mark.parametrize("streamed", [False, True], ids=["plain", "streamed"])
@pytest.mark.parametrize("api", ["responses", "chat_completions"])
def test_an_agents_sdk_agent_runs_its_tool_against_us(server, key, user, mock_llm, api, streamed):
    client = openai.AsyncOpenAI(base_url=base_url(server), api_key=key, max_retries=0)
    if api == "responses":
        model = OpenAIResponsesModel(model=MODEL, openai_client=client)
    else:
        model = OpenAIChatCompletionsModel(model=MODEL, openai_client=client)

    output = run_agent(model, "Busan", streamed=streamed)

    assert output == "Mock reply: tool results: sunny in Busan"
    first, second = (record["body"] for record in mock_llm.requests()[-2:])
    assert first["messages"][0] == {"role": "system", "content": "Use the tool."}
    assert first["tools"][0]["function"]["name"] == "weather"
    assert second["messages"][-1]["role"] == "tool"
    chat = ChatBot.objects.get(user=user)  # the tool loop stayed in one chat
    assert Reply.objects.filter(chatbot=chat).count() == 2
    assert used(user) == 2
    if api == "responses":
        assert all(reply.response_id.startswith("resp_") for reply in Reply.objects.filter(chatbot=chat))


def test_an_agent_chaining_by_previous_response_id_continues_the_stored_chat(server, key, user, mock_llm):
    client = openai.AsyncOpenAI(base_url=base_url(server), api_key=key, max_retries=0)

    output = run_agent(OpenAIResponsesModel(model=MODEL, openai_client=client), "Busan", chained=True)

    assert output == "Mock reply: tool results: sunny in Busan"
    second = mock_llm.requests()[-1]["body"]
    assert [m["role"] for m in second["messages"]] == ["system", "user", "assistant", "tool"]
    assert Reply.objects.filter(chatbot__user=user).count() == 2
    assert used(user) == 2
