"""Showing the model a picture in the web app: attach, paste or drop an image, remove it before sending,
see it in the conversation and open it full size (fetched with the credentials it needs)."""

import base64
import io

import pytest
from PIL import Image
from playwright.sync_api import expect

from accounts.tests.factories import PASSWORD, UserFactory
from browser_tests.conftest import open_chat, screenshot
from chat.models import PromptImage
from chat.tests.factories import ChatBotFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def picture(width: int, height: int, colour=(40, 120, 200)) -> bytes:
    output = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(output, "PNG")
    return output.getvalue()


def test_an_attached_image_is_previewed_removable_sent_and_opens_full_size(app):
    chat = ChatBotFactory(user=UserFactory(), title="Homework")
    page, _ = open_chat(app, chat)
    attach = page.get_by_role("button", name="Attach image")
    previews = page.get_by_role("list", name="Images to send")

    with page.expect_file_chooser() as chooser:
        attach.focus()
        page.keyboard.press("Enter")  # the keyboard alone will do
    chooser.value.set_files(
        [
            {"name": "question.png", "mimeType": "image/png", "buffer": picture(160, 90)},
            {"name": "wrong.png", "mimeType": "image/png", "buffer": picture(30, 30, (250, 10, 10))},
        ]
    )
    expect(previews.get_by_role("img")).to_have_count(2)
    screenshot(page, "images-attached-preview")
    page.get_by_role("button", name="Remove image wrong.png").click()
    expect(previews.get_by_role("img")).to_have_count(1)

    page.get_by_label("Message").fill("What does this say?")
    page.get_by_label("Message").press("Enter")

    expect(page.get_by_text("Mock reply: What does this say? I see a 160x90 PNG image.", exact=True)).to_be_visible()
    expect(previews).to_be_hidden()
    [stored] = PromptImage.objects.filter(prompt__chatbot=chat)
    assert (stored.width, stored.height) == (160, 90)

    page.reload()  # the stored image, fetched from the API with the token into a blob: URL
    thumbnail = page.get_by_role("button", name="Open image 1 full size")
    expect(thumbnail).to_be_enabled()
    assert thumbnail.get_by_role("img").get_attribute("src").startswith("blob:")
    screenshot(page, "images-in-the-conversation")
    thumbnail.focus()
    page.keyboard.press("Enter")
    viewer = page.get_by_role("dialog")
    expect(viewer).to_be_visible()
    assert viewer.get_by_role("img").evaluate(
        "img => img.decode().then(() => [img.naturalWidth, img.naturalHeight])"
    ) == [160, 90]
    screenshot(page, "images-full-size")
    page.keyboard.press("Escape")
    expect(viewer).to_have_count(0)
    expect(thumbnail).to_be_focused()

    shown = thumbnail.get_by_role("img").get_attribute("src")
    page.evaluate("location.hash = '#/usage'")  # leaving the chat gives its images' memory back
    expect(thumbnail).to_have_count(0)
    assert page.evaluate("(url) => fetch(url).then(() => 'kept', () => 'revoked')", shown) == "revoked"


PASTE_AND_DROP = """([kind, base64Bytes]) => {
    const bytes = Uint8Array.from(atob(base64Bytes), (c) => c.charCodeAt(0));
    const transfer = new DataTransfer();
    transfer.items.add(new File([bytes], kind + ".png", { type: "image/png" }));
    const box = document.getElementById("message");
    if (kind === "pasted") {
        box.dispatchEvent(new ClipboardEvent("paste", { clipboardData: transfer, bubbles: true, cancelable: true }));
    } else {
        box.dispatchEvent(new DragEvent("dragover", { dataTransfer: transfer, bubbles: true, cancelable: true }));
        box.dispatchEvent(new DragEvent("drop", { dataTransfer: transfer, bubbles: true, cancelable: true }));
    }
}"""


def test_a_pasted_and_a_dropped_image_go_with_the_message(app):
    chat = ChatBotFactory(user=UserFactory(), title="Screenshots")
    page, _ = open_chat(app, chat)
    previews = page.get_by_role("list", name="Images to send")

    page.get_by_label("Message").click()
    page.evaluate(PASTE_AND_DROP, ["pasted", base64.b64encode(picture(64, 48)).decode()])
    page.evaluate(PASTE_AND_DROP, ["dropped", base64.b64encode(picture(20, 10)).decode()])
    expect(previews.get_by_role("img")).to_have_count(2)
    page.get_by_label("Message").press("Enter")  # an image alone is a message

    reply = page.get_by_text("Mock reply. I see a 64x48 PNG image. I see a 20x10 PNG image.", exact=True)
    expect(reply).to_be_visible()
    expect(page.get_by_role("button", name="Open image 2 full size")).to_be_visible()
    screenshot(page, "images-pasted-and-dropped")


def test_a_file_that_is_no_image_is_not_attached_and_the_korean_app_says_so(app):
    user = UserFactory()
    chat = ChatBotFactory(user=user, title="Files")
    page, _ = app(locale="ko-KR")
    page.get_by_label("이메일").fill(user.email)
    page.get_by_label("비밀번호").fill(PASSWORD)
    page.get_by_role("button", name="로그인").click()
    page.get_by_role("list", name="내 채팅").get_by_role("link", name=chat.title).click()

    with page.expect_file_chooser() as chooser:
        page.get_by_role("button", name="이미지 첨부").click()
    chooser.value.set_files([{"name": "notes.txt", "mimeType": "text/plain", "buffer": b"hello"}])

    expect(page.get_by_role("alert")).to_contain_text("JPEG, PNG, GIF, WEBP 이미지만 첨부할 수 있어요.")
    expect(page.get_by_role("list", name="보낼 이미지")).to_be_hidden()
