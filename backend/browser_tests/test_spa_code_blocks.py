"""Code in answers: highlighted, named, copied block by block, and still never the model's own HTML."""

import re

import pytest
from playwright.sync_api import expect

from browser_tests.conftest import open_chat, screenshot, send
from chat.tests.factories import ChatBotFactory, exchange

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ANSWER = """Two ways:

```python
def add(a, b):
    return a + b  # <img src=x onerror="window.pwned=1">
```

```
plain text, no language
```

```js
console.log("<script>window.pwned = 2</script>");
```
"""


def test_each_code_block_is_highlighted_named_and_copied_on_its_own(app, spa_server):
    chat = ChatBotFactory(title="Adding")
    exchange(chat, "How do I add?", ANSWER)
    page, _ = open_chat(app, chat)
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=spa_server.url)
    blocks = page.locator(".message.assistant .code-block")

    expect(blocks).to_have_count(3)
    expect(blocks.locator(".code-language")).to_have_text(["Python", "Text", "JavaScript"])
    expect(blocks.nth(0).locator(".hljs-keyword").first).to_have_text("def")
    expect(blocks.nth(0).locator(".hljs-comment")).to_contain_text('<img src=x onerror="window.pwned=1">')
    expect(blocks.nth(2).locator(".hljs-string")).to_contain_text("<script>")
    assert page.locator(".message.assistant img, .message.assistant script").count() == 0
    assert page.evaluate("window.pwned") is None

    blocks.nth(0).get_by_role("button", name="Copy code").click()
    expect(blocks.nth(0).get_by_role("button", name="Copied")).to_be_visible()
    assert page.evaluate("navigator.clipboard.readText()") == (
        'def add(a, b):\n    return a + b  # <img src=x onerror="window.pwned=1">'
    )
    blocks.nth(1).get_by_role("button", name="Copy code").click()
    assert page.evaluate("navigator.clipboard.readText()") == "plain text, no language"
    screenshot(page, "code-blocks")


def test_a_streamed_code_block_is_highlighted_once_its_fence_closes(app):
    chat = ChatBotFactory(title="Streaming code")
    chat.config.stream = True
    chat.config.save()
    page, _ = open_chat(app, chat)

    send(
        page,
        "Here:\n```python\ndef add(a, b):\n    return a + b\n```\nand some words after it [[mock:chunk_delay=0.4]]",
    )
    answer = page.locator(".message.assistant").last
    code = answer.locator("pre code")
    # While the closing fence has not arrived the block is drawn plain, its language already named.
    expect(answer.locator('pre[data-fence="open"] > code:not(.hljs)')).to_contain_text("def")
    expect(answer.locator(".code-language")).to_have_text("Python")
    expect(page.get_by_role("button", name="Stop")).to_be_visible()

    expect(page.get_by_role("button", name="Stop")).to_be_hidden()
    expect(code.locator(".hljs-keyword").first).to_have_text("def")
    expect(answer).to_contain_text(re.compile("words after it"))
