"""The web app for everyday use: every chat in the list, the server's models, export, usage, phones."""

import re
import time
from pathlib import Path

import httpx
import pytest
from django.utils import timezone
from playwright.sync_api import expect

from accounts.tests.factories import UserFactory
from browser_tests.conftest import log_in, open_chat, screenshot, send
from chat.models import ChatBot
from chat.tests.factories import ChatBotFactory, exchange

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_every_chat_is_reachable_with_load_more_and_so_is_every_search_result(app):
    user = UserFactory()
    for number in range(1, 46):  # made oldest first: "Trip 01" is the least recently active
        ChatBotFactory(user=user, title=f"{'Trip' if number % 2 else 'Note'} {number:02}")
    page, _ = app()
    log_in(page, user)
    chats = page.get_by_role("list", name="Your chats")
    more = page.get_by_role("button", name="Load more")

    expect(chats.get_by_role("link")).to_have_count(20)
    expect(page.get_by_text("20 of 45 chats")).to_be_visible()
    expect(chats.get_by_role("link", name="Trip 01")).to_have_count(0)
    more.click()
    expect(chats.get_by_role("link")).to_have_count(40)
    more.focus()
    page.keyboard.press("Enter")  # the keyboard alone will do
    expect(chats.get_by_role("link")).to_have_count(45)
    expect(more).to_be_hidden()
    expect(page.get_by_text("of 45 chats")).to_have_count(0)
    # The button is gone, so the focus moves to the first chat it brought, not to the page's top.
    expect(chats.get_by_role("link").nth(40)).to_be_focused()
    expect(chats.get_by_role("link", name="Trip 01")).to_be_visible()
    screenshot(page, "chat-list-all-loaded")

    chats.get_by_role("link", name="Trip 01").click()
    expect(page.get_by_role("heading", name="Trip 01")).to_be_focused()
    expect(chats.get_by_role("link")).to_have_count(45)  # the list keeps every page it had
    expect(chats.get_by_role("link", name="Trip 01")).to_have_attribute("aria-current", "page")

    page.get_by_label("Search chats").fill("trip")
    expect(page.get_by_text("20 of 23 chats")).to_be_visible()
    expect(chats.get_by_role("link")).to_have_count(20)
    more.click()
    expect(chats.get_by_role("link")).to_have_count(23)
    expect(chats.get_by_role("link", name="Trip 01")).to_be_visible()
    expect(chats.get_by_role("link", name="Note 02")).to_have_count(0)
    expect(more).to_be_hidden()


def test_the_model_select_offers_the_servers_models_and_the_chosen_one_is_used(app, mock_llm_process):
    user = UserFactory()
    page, _ = app(OPENAI_MODEL="gpt-4.1-mini", OPENAI_ALLOWED_MODELS="gpt-4o-mini,gpt-4.1-mini,gpt-4.1-nano")
    log_in(page, user)

    page.get_by_role("button", name="New chat").click()
    model = page.get_by_label("Model", exact=True)
    expect(model.locator("option")).to_have_text(["gpt-4o-mini", "gpt-4.1-mini (default)", "gpt-4.1-nano"])
    expect(model).to_have_value("gpt-4.1-mini")  # the server's default, preselected
    model.select_option("gpt-4.1-nano")
    screenshot(page, "new-chat-model-select")
    page.get_by_role("button", name="Next").click()
    for _ in range(3):
        page.get_by_role("button", name="Skip").click()
    expect(page.locator(".chat-meta")).to_contain_text("gpt-4.1-nano")

    send(page, "Which model answers?")
    expect(page.locator(".message.assistant")).to_contain_text("Mock reply: Which model answers?")
    chat = ChatBot.objects.get(user=user)
    for _ in range(100):  # shown as it streams; stored a moment later
        if chat.replies.exists():
            break
        time.sleep(0.05)
    assert chat.config.model == "gpt-4.1-nano"
    assert chat.replies.get().model == "gpt-4.1-nano"
    received = [
        record["body"]
        for record in httpx.get(f"{mock_llm_process}/_mock/requests").json()
        if record["body"]["messages"][-1]["content"] == "Which model answers?"
    ]
    assert [body["model"] for body in received] == ["gpt-4.1-nano"]


def test_export_downloads_the_conversation_as_a_markdown_file_named_by_the_server(app):
    chat = ChatBotFactory(title="Career plan")
    exchange(chat, "Where do I start?", "With **one** habit.")
    page, _ = open_chat(app, chat)

    # The server's Content-Disposition names the file; the app must be allowed to read it (CORS).
    def renamed(route):
        response = route.fetch()
        headers = {**response.headers, "content-disposition": 'attachment; filename="career-plan.md"'}
        route.fulfill(response=response, headers=headers)

    page.route("**/export/?format=md", renamed)
    with page.expect_download() as download_info:
        page.get_by_role("button", name="Export").click()
    download = download_info.value

    assert download.suggested_filename == "career-plan.md"
    text = Path(download.path()).read_text(encoding="utf-8")
    assert text.startswith("# Career plan\n")
    assert text.index("Where do I start?") < text.index("With **one** habit.")
    expect(page.get_by_role("alert")).to_be_hidden()


def test_the_usage_chart_shows_todays_replies_among_thirty_days(app):
    chat = ChatBotFactory(title="Counting", config__stream=False)
    page, _ = open_chat(app, chat)
    send(page, "Count me")
    expect(page.locator(".message.assistant")).to_contain_text("Mock reply: Count me")

    page.get_by_role("link", name="Usage").click()
    expect(page.get_by_role("heading", name="Usage", level=1)).to_be_focused()
    expect(page.get_by_role("link", name="Usage")).to_have_attribute("aria-current", "page")
    today = timezone.localdate().isoformat()
    chart = page.get_by_role("img", name=re.compile("^Replies per day"))
    expect(chart).to_be_visible()
    expect(chart.locator(".bar")).to_have_count(30)  # the days without a reply are there too
    expect(chart.locator(".bar").last).to_have_attribute("data-day", today)
    expect(chart.locator(f'.bar[data-day="{today}"] .value')).to_have_text("1")
    expect(chart.locator(".bar .value")).to_have_count(1)
    expect(page.get_by_text("1 reply in the last 30 days")).to_be_visible()
    expect(page.get_by_role("img", name=re.compile("^Tokens per day"))).to_be_visible()
    expect(page.get_by_text("1 of 5 messages used today")).to_be_visible()
    expect(page.get_by_text(re.compile(r"4 left, resets in \d+ (hours?|minutes?)"))).to_be_visible()
    screenshot(page, "usage")

    table = page.get_by_role("table", name="Replies and tokens per day")
    expect(table.get_by_role("row")).to_have_count(31)  # the header and 30 days
    expect(table.locator(f'tr[data-day="{today}"] td').first).to_have_text("1")
    toggle = page.get_by_role("button", name="Show the numbers")
    toggle.focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("button", name="Hide the numbers")).to_have_attribute("aria-expanded", "true")
    assert table.bounding_box()["width"] > 200  # shown to everyone now, not only to screen readers


NO_SIDEWAYS_SCROLL = """() => document.documentElement.scrollWidth <= window.innerWidth
    && [...document.querySelectorAll('main')].every((main) => main.scrollWidth <= main.clientWidth)"""


@pytest.mark.parametrize("locale", ["en-US", "ko-KR"])
def test_a_phone_width_screen_never_scrolls_sideways(app, locale):
    user = UserFactory()
    chat = ChatBotFactory(user=user, title="A rather long title for a chat read on a small phone screen")
    exchange(chat, "https://example.com/a/very/long/address/that/does/not/break/on/its/own/anywhere", "Noted.")
    page, _ = app(viewport={"width": 375, "height": 740}, locale=locale)
    page.get_by_label(re.compile("Email|이메일")).fill(user.email)
    page.get_by_label(re.compile("Password|비밀번호")).fill("a-long-enough-password")
    page.get_by_label(re.compile("Password|비밀번호")).press("Enter")
    toggle = page.locator(".sidebar-toggle")
    expect(toggle).to_be_visible()
    name = locale[:2]

    views = (("#/chats", "welcome"), (f"#/chats/{chat.pk}", "chat"), ("#/usage", "usage"), ("#/keys", "keys"))
    for path, shot in views:
        page.goto(f"{page.url.split('#')[0]}{path}")
        expect(page.locator("main h1")).not_to_have_text(re.compile("Loading|불러오는"))
        if shot == "usage":
            expect(page.locator(".bar-chart")).to_have_count(2)
            page.get_by_role("button", name=re.compile("Show the numbers|숫자로 보기")).click()
            expect(page.locator(".usage-numbers")).not_to_have_class(re.compile("visually-hidden"))
        screenshot(page, f"phone-{name}-{shot}")
        assert page.evaluate(NO_SIDEWAYS_SCROLL), f"{path} scrolls sideways"
    toggle.click()
    expect(page.locator(".sidebar")).to_be_visible()
    screenshot(page, f"phone-{name}-chat-list")
    assert page.evaluate(NO_SIDEWAYS_SCROLL)
