"""The theme: the system's by default (and as it changes), or light or dark as chosen, remembered."""

import pytest
from playwright.sync_api import expect

from accounts.tests.factories import UserFactory
from browser_tests.conftest import log_in, screenshot
from chat.tests.factories import ChatBotFactory, exchange

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DARK_BG = "rgb(17, 21, 28)"
LIGHT_BG = "rgb(246, 247, 249)"


def background(page) -> str:
    return page.evaluate("getComputedStyle(document.documentElement).backgroundColor")


def code_theme(page) -> str:
    return page.evaluate(
        "[...document.querySelectorAll('link[id^=code-theme]')].filter((l) => !l.disabled).map((l) => l.id).join()"
    )


def test_the_theme_follows_the_system_until_one_is_chosen_and_the_choice_is_remembered(app):
    chat = ChatBotFactory(title="Colours")
    exchange(chat, "Show code", "```python\nprint('hi')  # a comment\n```")
    page, _ = app()
    page.emulate_media(color_scheme="dark")
    expect(page.locator("html")).to_have_attribute("data-theme", "dark")
    assert background(page) == DARK_BG
    screenshot(page, "login-dark")

    log_in(page, chat.user)
    page.get_by_role("list", name="Your chats").get_by_role("link", name="Colours").click()
    theme = page.get_by_label("Theme")
    expect(theme).to_have_value("system")
    assert code_theme(page) == "code-theme-dark"
    expect(page.locator(".code-block .hljs-comment")).to_have_css("color", "rgb(212, 208, 171)")  # a11y-dark's
    screenshot(page, "conversation-dark")

    page.emulate_media(color_scheme="light")  # the system switches: so does the page
    expect(page.locator("html")).to_have_attribute("data-theme", "light")
    assert background(page) == LIGHT_BG

    page.emulate_media(color_scheme="dark")
    theme.select_option("light")
    expect(page.locator("html")).to_have_attribute("data-theme", "light")
    assert code_theme(page) == "code-theme-light"
    expect(page.locator(".code-block .hljs-comment")).to_have_css("color", "rgb(105, 105, 105)")  # a11y-light's
    page.reload()
    expect(page.get_by_label("Theme")).to_have_value("light")
    expect(page.locator("html")).to_have_attribute("data-theme", "light")
    assert background(page) == LIGHT_BG

    page.get_by_label("Theme").select_option("dark")
    page.emulate_media(color_scheme="light")
    expect(page.locator("html")).to_have_attribute("data-theme", "dark")
    assert background(page) == DARK_BG


def test_the_theme_switch_speaks_korean_and_survives_a_language_switch(app):
    user = UserFactory()
    page, _ = app(locale="ko-KR")
    page.get_by_label("테마").select_option("dark")
    log_in_korean = page.get_by_role("button", name="로그인")
    expect(log_in_korean).to_be_visible()
    page.get_by_label("언어").select_option("en")
    expect(page.get_by_label("Theme")).to_have_value("dark")
    expect(page.get_by_label("Theme").locator("option")).to_have_text(["Light", "Dark", "System"])
    log_in(page, user)
    page.get_by_role("link", name="Usage").click()
    expect(page.locator("html")).to_have_attribute("data-theme", "dark")
    expect(page.get_by_role("heading", name="Usage")).to_be_visible()
    screenshot(page, "usage-dark")


def test_a_chat_in_dark_at_phone_width(app):
    chat = ChatBotFactory(title="Phone")
    exchange(chat, "Hi", "Hello! `inline` and\n\n```js\nconst x = 1;\n```")
    page, _ = app(viewport={"width": 390, "height": 800})
    log_in(page, chat.user)
    page.get_by_role("button", name="Chats").click()
    page.get_by_role("list", name="Your chats").get_by_role("link", name="Phone").click()
    page.get_by_label("Theme").select_option("dark")
    expect(page.locator(".code-block")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    screenshot(page, "conversation-dark-phone")


def test_the_first_paint_has_the_theme_before_the_app_has_run(browser, spa_server):
    """js/theme-early.js, a classic script in <head>: no light flash on a dark page, even with the
    app's own scripts not loaded (they are blocked here)."""
    context = browser.new_context(color_scheme="dark")
    try:
        page = context.new_page()
        page.route("**/js/app.js", lambda route: route.abort())
        page.goto(spa_server.url)
        assert page.evaluate("document.documentElement.dataset.theme") == "dark"
        assert background(page) == DARK_BG

        page.evaluate("localStorage.setItem('chatbot.theme', 'light')")  # chosen: it wins over the system
        page.reload()
        assert page.evaluate("document.documentElement.dataset.theme") == "light"
        assert background(page) == LIGHT_BG
    finally:
        context.close()
