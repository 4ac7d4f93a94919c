"""A long chat in the web app: past the model's window, "Earlier turns summarised" opens on the summary."""

import pytest
from playwright.sync_api import expect

from browser_tests.conftest import open_chat, screenshot, send
from chat.models import ChatSummary
from chat.tests.factories import ChatBotFactory, exchange

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
TURN = "Turn {n}: the wedding is in Busan; I need the bus from Seoul, a hotel near the beach and a gift."


def test_a_chat_past_the_window_shows_its_summary_on_demand(app):
    chat = ChatBotFactory(title="Busan wedding", config__max_tokens=256)
    for n in range(30):
        exchange(chat, TURN.format(n=n), "Answer to " + TURN.format(n=n))
    page, _ = open_chat(app, chat, OPENAI_CONTEXT_WINDOWS="gpt-4o-mini=1200", CHAT_SUMMARY_MAX_TOKENS="60")
    summarised = page.get_by_text("Earlier turns summarised")
    expect(summarised).to_be_hidden()  # nothing folded yet

    send(page, "What should I wear?")

    expect(page.get_by_text("Mock reply: What should I wear?", exact=True)).to_be_visible()
    expect(summarised).to_be_visible()
    summary = ChatSummary.objects.get(chatbot=chat)
    text = page.locator(".chat-summary .text")
    expect(text).to_be_hidden()  # closed until asked for
    summarised.click()
    expect(text).to_have_text(summary.content)
    screenshot(page, "long-chat-summary")

    page.reload()  # the chat detail carries it
    page.get_by_text("Earlier turns summarised").click()
    expect(page.locator(".chat-summary .text")).to_have_text(summary.content)
