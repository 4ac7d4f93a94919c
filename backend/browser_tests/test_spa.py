"""What a person does in the browser, against the real API and the mock OpenAI server."""

import re

import httpx
import pytest
from playwright.sync_api import expect

from accounts.tests.factories import PASSWORD, UserFactory
from browser_tests.conftest import log_in, open_chat, screenshot, send
from chat.models import ChatBot, Choice
from chat.tests.factories import ChatBotFactory, exchange

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_new_user_signs_up_starts_a_guided_chat_sees_the_reply_stream_and_finds_it_after_a_reload(app):
    page, _ = app()
    page.get_by_role("link", name="Create an account").click()
    page.get_by_label("Email").fill("ann@example.com")
    page.get_by_label("Password").fill("password")
    page.get_by_role("button", name="Sign up").click()
    expect(page.locator("#field-password-error")).to_contain_text("too common")  # the server's own words
    screenshot(page, "signup-field-error")
    page.get_by_label("Password").fill("correct horse battery")
    page.get_by_role("button", name="Sign up").click()
    expect(page.get_by_role("status", name="Daily quota")).to_contain_text("5 of 5 left today, resets at")

    page.get_by_role("button", name="New chat").click()
    page.get_by_role("button", name="Next").click()
    page.get_by_label("Where are you now?").fill("Junior developer")
    page.get_by_role("button", name="Next").click()
    page.get_by_label("What would you like to achieve?").fill("Lead a team")
    page.get_by_role("button", name="Next").click()
    screenshot(page, "new-chat-question")
    page.get_by_role("button", name="Start chat").click()
    expect(page.get_by_label("Message")).to_be_visible()

    send(page, "How do I get there? Tell me in many words [[mock:chunk_delay=0.3]]")
    reply = page.locator(".message.assistant").last
    expect(page.get_by_role("button", name="Stop")).to_be_visible()  # still streaming...
    expect(reply).to_contain_text("Mock reply: How")  # ...and the first words are already there
    assert "many words" not in reply.inner_text()
    expect(reply).to_contain_text("Tell me in many words")
    expect(page.get_by_role("button", name="Stop")).to_be_hidden()
    expect(page.get_by_role("status", name="Daily quota")).to_contain_text("4 of 5 left today")
    expect(page.get_by_role("link", name=re.compile("How do I get there"))).to_be_visible()
    screenshot(page, "conversation")

    page.reload()
    expect(page.locator(".message.assistant")).to_contain_text("Mock reply: How do I get there?")
    expect(page.locator(".context")).to_contain_text("What the assistant knows about you")
    assert ChatBot.objects.get().prompts.filter(kind="goal").get().content == "Lead a team"


def test_chats_can_be_renamed_searched_and_deleted_one_or_all(app):
    user = UserFactory()
    for title, question in (
        ("Trip to Busan", "Where to eat?"),
        ("Django help", "What is a queryset?"),
        ("Cooking", "Pasta"),
    ):
        exchange(ChatBotFactory(user=user, title=title), question, f"About {title}")
    page, _ = app()
    log_in(page, user)
    chats = page.get_by_role("list", name="Your chats")

    chats.get_by_role("link", name="Trip to Busan").click()
    page.get_by_role("button", name="Rename chat").click()
    page.get_by_label("Chat title").fill("Busan food tour")
    page.get_by_role("button", name="Save").click()
    expect(chats.get_by_role("link", name="Busan food tour")).to_be_visible()
    expect(page.get_by_role("heading", name="Busan food tour")).to_be_visible()

    page.get_by_label("Search chats").fill("queryset")
    expect(chats.get_by_role("link")).to_have_count(1)
    expect(chats.get_by_role("link", name="Django help")).to_be_visible()
    page.get_by_label("Search chats").fill("")
    expect(chats.get_by_role("link")).to_have_count(3)

    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Delete chat").click()
    expect(chats.get_by_role("link")).to_have_count(2)
    assert not ChatBot.objects.filter(title="Busan food tour").exists()

    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Delete all chats").click()
    expect(page.get_by_text("No chats yet.")).to_be_visible()
    assert not ChatBot.objects.filter(user=user).exists()


def test_an_upstream_failure_and_the_end_of_the_quota_are_explained(app):
    chat = ChatBotFactory(user=UserFactory(daily_limit=1), title="Limits", config__stream=True)
    page, _ = open_chat(app, chat)

    send(page, "Fail please [[mock:status=500]]")
    banner = page.get_by_role("alert").filter(has_text="language model service")
    expect(banner).to_contain_text("answered with an error")
    expect(page.get_by_role("status", name="Daily quota")).to_contain_text("1 of 1 left today")
    expect(page.get_by_label("Message")).to_have_value("Fail please [[mock:status=500]]")  # nothing lost
    screenshot(page, "upstream-failure")
    page.get_by_label("Message").fill("Now it works")
    page.get_by_role("button", name="Retry").click()
    expect(page.locator(".message.assistant")).to_contain_text("Mock reply: Now it works")
    expect(page.get_by_role("status", name="Daily quota")).to_contain_text("0 of 1 left today")

    send(page, "One more?")
    expect(page.get_by_role("alert").filter(has_text="used all 1")).to_contain_text("You can send more after")
    screenshot(page, "quota-exhausted")
    assert chat.prompts.filter(kind="message").count() == 1


def test_markup_and_scripts_in_a_reply_are_inert(app):
    page, _ = open_chat(app, ChatBotFactory(title="XSS", config__stream=False))
    payload = (
        '<img src=x onerror="window.__xss=1"> <script>window.__xss=2</script> '
        "[click me](javascript:window.__xss=3) ![tracker](http://127.0.0.1:9/pixel.png) "
        '<a href="#" onclick="window.__xss=4">link</a> **bold** `code`'
    )

    send(page, payload)

    reply = page.locator(".message.assistant").last
    expect(reply.locator("strong")).to_have_text("bold")
    expect(reply.locator("code")).to_have_text("code")
    reply.get_by_text("click me").click()
    reply.get_by_text("link").click()
    assert page.evaluate("window.__xss") is None
    assert reply.locator("script, [onerror], [onclick], img[src^='http']").count() == 0
    assert "javascript:" not in (reply.get_by_text("click me").get_attribute("href") or "")
    screenshot(page, "xss-inert")
    assert Choice.objects.get().content.startswith("Mock reply: <img")  # stored as the model sent it


def test_stop_cancels_a_streaming_reply_and_keeps_what_was_shown(app):
    page, _ = open_chat(app, ChatBotFactory(title="Long one", config__stream=True))

    send(page, "[[mock:words=60]] [[mock:chunk_delay=0.1]]")
    expect(page.locator(".message.assistant").last).to_contain_text("word3")
    page.get_by_role("button", name="Stop").click()

    expect(page.get_by_text("Stopped before the end.")).to_be_visible()
    page.wait_for_timeout(500)
    page.reload()
    expect(page.get_by_text("Stopped before the end.")).to_be_visible()
    assert Choice.objects.get().finish_reason == "cancelled"


def test_logging_out_ends_the_session_for_good(app):
    user = UserFactory()
    page, api = app()
    log_in(page, user)
    refresh = page.evaluate("localStorage.getItem('chatbot.refresh')")

    page.get_by_role("button", name="Log out").click()

    expect(page.get_by_role("button", name="Log in")).to_be_visible()
    page.reload()
    expect(page.get_by_role("button", name="Log in")).to_be_visible()
    assert page.evaluate("localStorage.getItem('chatbot.refresh')") is None
    assert httpx.post(f"{api.url}/api/v1/auth/token/refresh/", json={"refresh": refresh}).status_code == 401


def test_the_app_works_on_a_phone_width_screen(app):
    user = UserFactory()
    exchange(ChatBotFactory(user=user, title="On the go"), "Hello from my phone", "Hello back")
    page, _ = app(viewport={"width": 390, "height": 844})
    log_in(page, user)

    page.get_by_role("button", name="Chats").click()
    page.get_by_role("link", name="On the go").click()

    expect(page.locator(".message.assistant")).to_contain_text("Hello back")
    expect(page.get_by_label("Message")).to_be_visible()
    expect(page.get_by_role("button", name="Send")).to_be_in_viewport()
    screenshot(page, "phone")


def test_a_message_sent_while_the_chat_is_still_loading_goes_out_once_it_has_loaded(app):
    chat = ChatBotFactory(title="Slow to load", config__stream=True)
    page, _ = app()
    log_in(page, chat.user)
    held = []
    # Hold the chat's own GET (its first page of turns: `/chats/<id>/?turns=...`).
    page.route(re.compile(r"/api/v1/chats/\d+/(\?[^/]*)?$"), lambda route: held.append(route))

    page.get_by_role("link", name="Slow to load").click()
    page.wait_for_function("() => document.querySelector('#message') !== null")
    for _ in range(200):  # 10 s at most
        if held:
            break
        page.wait_for_timeout(50)
    assert held, "the chat's GET was never made"
    send(page, "Quick question")
    held[0].continue_()

    expect(page.locator(".message.assistant").last).to_contain_text("Mock reply: Quick question")
    expect(page.get_by_role("alert").filter(has_text="Cannot read")).to_have_count(0)


def test_api_keys_are_made_with_a_copy_button_listed_and_revoked(app):
    user = UserFactory()
    page, api = app()
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=page.url.split("/#")[0].rstrip("/"))
    log_in(page, user)

    page.get_by_role("link", name="API keys").click()
    expect(page.get_by_role("heading", name="API keys")).to_be_visible()
    expect(page.locator(".base-url")).to_have_text(f"{api.url}/api/openai/v1")
    page.get_by_label("Key name").fill("my laptop")
    page.get_by_label("Current password").fill("not my password")
    page.get_by_role("button", name="Create key").click()
    expect(page.get_by_role("alert")).to_contain_text("current password")  # a stolen session is not enough
    page.get_by_label("Current password").fill(PASSWORD)
    page.get_by_role("button", name="Create key").click()
    key = page.get_by_label("New API key").input_value()
    assert key.startswith("cbk_")
    page.get_by_role("button", name="Copy").click()
    expect(page.get_by_role("button", name="Copied")).to_be_visible()
    assert page.evaluate("navigator.clipboard.readText()") == key
    listed = page.get_by_role("list", name="Your API keys")
    expect(listed).to_contain_text("my laptop")
    expect(listed).to_contain_text(key[: len("cbk_") + 12])
    screenshot(page, "api-keys")

    assert httpx.get(f"{api.url}/api/v1/auth/me/", headers={"Authorization": f"Bearer {key}"}).status_code == 200
    page.set_viewport_size({"width": 390, "height": 800})
    assert page.evaluate("document.scrollingElement.scrollWidth <= window.innerWidth")  # no sideways scroll
    screenshot(page, "api-keys-phone")
    page.set_viewport_size({"width": 1200, "height": 800})
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Revoke my laptop").click()
    expect(page.get_by_text("No API keys yet.")).to_be_visible()
    assert httpx.get(f"{api.url}/api/v1/auth/me/", headers={"Authorization": f"Bearer {key}"}).status_code == 401


@pytest.mark.parametrize(
    ("path", "operation"), [("/api/docs/", "/api/v1/chats/{id}/messages/"), ("/api/redoc/", "Send a message")]
)
def test_the_api_docs_work_with_the_outside_network_blocked_and_a_strict_csp(browser, api_server, path, operation):
    api = api_server(workers=1)
    context = browser.new_context()
    outside, csp_errors = [], []

    def only_local(route):
        if route.request.url.startswith(api.url):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    context.route("**/*", only_local)
    page = context.new_page()
    page.on("console", lambda message: "Content Security Policy" in message.text and csp_errors.append(message.text))
    page.goto(f"{api.url}{path}")

    expect(page.get_by_text(operation).first).to_be_visible(timeout=15_000)
    screenshot(page, f"docs-offline-{path.strip('/').replace('/', '-')}")
    context.close()
    assert outside == []
    # ReDoc's "API docs by Redocly" footer links a logo on their CDN: the CSP stops it (nothing
    # leaves the machine) and the page works without it. Anything else blocked would be a bug.
    assert [e for e in csp_errors if "cdn.redoc.ly/redoc/logo-mini.svg" not in e] == []
