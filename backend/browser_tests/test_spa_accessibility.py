"""Accessibility measured: axe-core (vendored, browser_tests/vendor/axe.min.js) audits every main page of
the SPA, in English and Korean, light and dark, at desktop and phone width. Any WCAG 2.x A/AA or
best-practice violation fails, with what axe says and where."""

from pathlib import Path

import pytest
from playwright.sync_api import expect

from accounts.tests.factories import PASSWORD, UserFactory
from browser_tests.conftest import screenshot
from chat.tests.factories import ChatBotFactory, exchange

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

AXE = (Path(__file__).parent / "vendor" / "axe.min.js").read_text(encoding="utf-8")
RULES = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]
DESKTOP = {"width": 1200, "height": 800}
PHONE = {"width": 390, "height": 844}
ANSWER = "Try this:\n\n```python\nfor n in range(3):\n    print(n)  # counts\n```\n\nand `len(items)`; see [the docs](https://docs.python.org/)."


def violations(page) -> list[str]:
    """axe's findings on the page as it is, one line per rule and element."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(AXE)  # DevTools' evaluate: the page's CSP (script-src 'self') does not apply to it
    result = page.evaluate(
        "(tags) => axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})", RULES
    )
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at {node['target']} {node['failureSummary']!r}"
        for v in result["violations"]
        for node in v["nodes"]
    ]


@pytest.mark.parametrize(
    ("theme", "locale", "viewport"),
    [("light", "en-US", DESKTOP), ("dark", "en-US", DESKTOP), ("light", "ko-KR", PHONE), ("dark", "ko-KR", PHONE)],
    ids=["light-en-desktop", "dark-en-desktop", "light-ko-phone", "dark-ko-phone"],
)
def test_every_main_page_passes_axe(app, spa_server, theme, locale, viewport):
    user = UserFactory()
    chat = ChatBotFactory(user=user, title="Loops")
    exchange(chat, "How do I loop?", ANSWER)
    page, _ = app(viewport=viewport, locale=locale, SPA_URL=f"{spa_server.url}/")
    page.locator("#theme").select_option(theme)
    found: dict[str, list[str]] = {}
    name = f"{theme}-{locale}-{viewport['width']}"

    def audit(label: str) -> None:
        page.wait_for_load_state("networkidle")
        found[label] = violations(page)
        screenshot(page, f"a11y-{name}-{label}")

    def go(route: str, ready) -> None:
        page.goto(f"{spa_server.url}/#/{route}")
        expect(ready).to_be_visible()

    audit("login")
    go("signup", page.locator("#field-nickname"))
    audit("signup")
    go("login", page.locator("#field-email"))
    page.locator("#field-email").fill(user.email)
    page.locator("#field-password").fill(PASSWORD)
    page.locator("#field-password").press("Enter")
    expect(page.locator(".log-out")).to_be_visible()
    audit("chat-list")
    go("new", page.locator(".new-chat"))
    audit("new-chat")
    go(f"chats/{chat.pk}", page.locator(".code-block"))
    audit("conversation")
    page.locator(".chat-heading button[aria-controls='share-panel']").click()
    expect(page.locator("#share-url")).not_to_have_value("")
    shared_url = page.locator("#share-url").input_value()
    audit("conversation-sharing")
    go("usage", page.locator(".usage-charts"))
    audit("usage")
    go("keys", page.locator("#key-name"))
    audit("keys")
    go("account", page.locator(".account"))
    audit("account")
    page.goto(shared_url)
    expect(page.locator(".conversation.shared .code-block")).to_be_visible()
    audit("shared")

    failures = {label: lines for label, lines in found.items() if lines}
    assert not failures, "\n".join(f"{label}:\n  " + "\n  ".join(lines) for label, lines in failures.items())


def test_the_audit_reports_a_fault_when_there_is_one(app):
    page, _ = app()
    expect(page.locator("#field-email")).to_be_visible()
    page.evaluate("document.querySelector('#field-email').removeAttribute('id')")  # its label now names nothing
    page.evaluate("document.querySelector('.auth-page').style.color = '#f6f7f9'")  # text as light as the page

    found = "\n".join(violations(page))

    assert "label (critical)" in found
    assert "color-contrast (serious)" in found


def test_a_streamed_answer_is_read_out_once_when_it_is_complete_not_word_by_word(app):
    chat = ChatBotFactory(title="Live")
    chat.config.stream = True
    chat.config.save()
    page, _ = app()
    page.locator("#field-email").fill(chat.user.email)
    page.locator("#field-password").fill(PASSWORD)
    page.locator("#field-password").press("Enter")
    page.get_by_role("list", name="Your chats").get_by_role("link", name="Live").click()
    expect(page.get_by_label("Message")).to_be_visible()
    # What assistive technology is told: every text a live region (or an element inside one) takes on.
    page.evaluate("""() => {
        window.announced = [];
        const last = new WeakMap();  // each region's text when last seen
        new MutationObserver(() => {
            for (const region of document.querySelectorAll('[aria-live], [role=status], [role=alert]')) {
                const text = region.textContent.trim();
                if (text && last.get(region) !== text) window.announced.push(text);
                last.set(region, text);
            }
        }).observe(document.body, {subtree: true, childList: true, characterData: true});
    }""")

    page.get_by_label("Message").fill("one two three four five [[mock:chunk_delay=0.15]]")
    page.get_by_label("Message").press("Enter")
    expect(page.locator(".message.assistant[aria-busy=true]")).to_be_visible()  # being written: busy
    expect(page.get_by_role("button", name="Stop")).to_be_hidden()

    assert page.locator(".message.assistant[aria-busy]").count() == 0
    # The answer's text is in no live region (one would read every streamed word as it came).
    assert page.locator(".message.assistant .text").last.evaluate(
        "(text) => !text.closest('[aria-live], [role=status], [role=log], [role=alert]')"
    )
    announced = [text for text in page.evaluate("window.announced") if "Mock reply" in text]
    assert announced == ["The assistant answered: Mock reply: one two three four five"]
