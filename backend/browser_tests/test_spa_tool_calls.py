"""A tool loop made through the OpenAI-compatible endpoint, as the web app shows it."""

import openai
import pytest
from playwright.sync_api import expect

from accounts.api_keys import api_key_create
from accounts.tests.factories import UserFactory
from browser_tests.conftest import log_in, screenshot
from chat.models import ChatBot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
WEATHER = {
    "type": "function",
    "function": {"name": "get_weather", "parameters": {"type": "object", "properties": {"city": {"type": "string"}}}},
}


def test_a_tool_loop_shows_a_collapsed_called_line_and_the_results_sent(app):
    user = UserFactory()
    page, api = app()
    client = openai.OpenAI(
        base_url=f"{api.url}/api/openai/v1", api_key=api_key_create(user=user, name="k").key, max_retries=0
    )
    messages = [{"role": "user", "content": "Weather in Busan?"}]
    asked = client.chat.completions.create(model="gpt-4o-mini", messages=messages, tools=[WEATHER])
    call = asked.choices[0].message.tool_calls[0]
    messages += [asked.choices[0].message, {"role": "tool", "tool_call_id": call.id, "content": "sunny, 21 C"}]
    client.chat.completions.create(model="gpt-4o-mini", messages=messages, tools=[WEATHER])
    log_in(page, user)

    page.get_by_role("list", name="Your chats").get_by_role("link", name=ChatBot.objects.get().title).click()

    called = page.locator(".message.assistant details.tool-calls").first
    expect(called.locator("summary")).to_have_text("called get_weather")
    expect(called.locator("pre")).to_be_hidden()  # collapsed
    called.locator("summary").click()
    expect(called.locator("pre")).to_have_text('get_weather({"city": "Weather in Busan?"})')
    results = page.locator(".message.user details.tool-calls")
    expect(results.locator("summary")).to_have_text("1 tool result")
    expect(page.locator(".message.assistant").last).to_contain_text("Mock reply: tool results: sunny, 21 C")
    screenshot(page, "tool-calls")
    expect(page.get_by_role("button", name="Regenerate")).to_have_count(0)  # the client's tools answer again
