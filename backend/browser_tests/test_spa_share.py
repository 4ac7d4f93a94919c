"""Sharing a chat from the web app: a link that opens it read-only for someone not logged in, until revoked."""

import re

import pytest
from playwright.sync_api import expect

from browser_tests.conftest import open_chat, screenshot
from chat.models import SharedChat
from chat.tests.factories import ChatBotFactory, exchange

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def fresh_page(browser, api, **context_options):
    """A browser nobody logged in with (its own storage), pointed at `api`."""
    context = browser.new_context(viewport={"width": 1000, "height": 760}, **context_options)
    page = context.new_page()
    page.route(
        "**/config.js",
        lambda route: route.fulfill(content_type="text/javascript", body=f'export const API_BASE_URL = "{api.url}";\n'),
    )
    page.set_default_timeout(10_000)
    return context, page


def test_the_owner_shares_a_chat_a_stranger_reads_it_without_logging_in_and_a_revoked_link_is_gone(
    app, browser, spa_server
):
    chat = ChatBotFactory(title="Sorting in Python")
    exchange(chat, "How do I sort a list?", "Use `sorted(items)`.\n\n```python\nprint(sorted([3, 1, 2]))\n```")
    page, api = open_chat(app, chat, SPA_URL=f"{spa_server.url}/")
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=spa_server.url)

    page.get_by_role("button", name="Share").click()
    link = page.get_by_label("Link")
    expect(link).to_have_value(re.compile(rf"^{re.escape(spa_server.url)}/#/shared/[0-9a-f]{{40,}}$"))
    url = link.input_value()
    page.get_by_role("button", name="Copy link").click()
    expect(page.get_by_role("status").filter(has_text="Link copied.")).to_be_visible()
    assert page.evaluate("navigator.clipboard.readText()") == url
    screenshot(page, "share-panel")
    page.get_by_role("button", name="Share").click()  # closes the panel; opening it again shows the same link
    page.get_by_role("button", name="Share").click()
    expect(page.get_by_label("Link")).to_have_value(url)

    context, stranger = fresh_page(browser, api)
    stranger.goto(url)
    expect(stranger.get_by_role("heading", name="Sorting in Python")).to_be_visible()
    expect(stranger.locator(".message.user")).to_have_text(re.compile("How do I sort a list?"))
    expect(stranger.locator(".message.assistant code").first).to_have_text("sorted(items)")
    expect(stranger.get_by_text(re.compile("A shared conversation, read only"))).to_be_visible()
    expect(stranger.locator('meta[name="robots"]')).to_have_attribute("content", "noindex, nofollow")
    expect(stranger.get_by_label("Message")).to_have_count(0)  # nothing to send
    assert chat.user.email not in stranger.content()
    screenshot(stranger, "shared-chat")

    page.get_by_role("button", name="Stop sharing").click()
    expect(page.get_by_role("status").filter(has_text="no longer shared")).to_be_visible()
    expect(page.get_by_role("button", name="Share")).to_be_focused()
    assert not SharedChat.objects.exists()

    stranger.reload()
    expect(stranger.get_by_role("heading", name="Link not found")).to_be_visible()
    expect(stranger.get_by_role("alert")).to_contain_text("stopped sharing")
    screenshot(stranger, "shared-chat-revoked")
    context.close()


def test_a_shared_chat_is_shown_in_the_readers_language(app, browser, spa_server):
    chat = ChatBotFactory(title="여행 계획")
    exchange(chat, "부산에서 뭐 먹을까?", "돼지국밥이요.")
    owner, api = open_chat(app, chat, SPA_URL=f"{spa_server.url}/")
    owner.get_by_role("button", name="Share").click()
    expect(owner.get_by_label("Link")).to_have_value(re.compile("#/shared/"))
    url = owner.get_by_label("Link").input_value()

    context, reader = fresh_page(browser, api, locale="ko-KR")
    reader.goto(url)
    expect(reader.get_by_role("heading", name="여행 계획")).to_be_visible()
    expect(reader.get_by_text(re.compile("공유된 대화 · 읽기 전용"))).to_be_visible()
    expect(reader.locator(".message.assistant")).to_contain_text("돼지국밥이요.")
    context.close()
