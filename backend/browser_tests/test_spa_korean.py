"""The web app in Korean and English: it follows the browser, and a switch that is remembered."""

import re

import pytest
from playwright.sync_api import expect

from accounts.tests.factories import UserFactory
from browser_tests.conftest import FRONTEND, log_in, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
# Latin words a Korean page may show: the mock's echo, model names, keys and the user's own address.
NOT_ENGLISH_UI = {"Mock", "reply", "gpt", "mini", "API", "Enter", "Shift", "English", "minji", "example", "com"}


def english_words(page) -> set[str]:
    """Words of three Latin letters or more that the page shows, bar the ones above."""
    return set(re.findall(r"[A-Za-z]{3,}", page.locator("body").inner_text())) - NOT_ENGLISH_UI


def test_a_korean_browser_gets_the_whole_flow_in_korean_and_a_switch_to_english_is_remembered(app):
    page, _ = app(locale="ko-KR", CHAT_DAILY_LIMIT="1")
    expect(page.locator("html")).to_have_attribute("lang", "ko")
    expect(page.get_by_role("heading", name="로그인")).to_be_visible()

    page.get_by_role("link", name="계정 만들기").click()
    page.get_by_label("이메일").fill("minji@example.com")
    page.get_by_label("비밀번호").fill("correct horse battery")
    expect(page.get_by_text("8자 이상으로")).to_be_visible()
    screenshot(page, "ko-signup")
    page.get_by_role("button", name="회원가입").click()
    quota = page.get_by_role("status", name="오늘 남은 횟수")
    expect(quota).to_contain_text("오늘 1회 중 1회 남음")
    expect(page.get_by_text("아직 채팅이 없어요.")).to_be_visible()
    expect(page.get_by_role("heading", name="환영해요")).to_be_visible()

    page.get_by_role("button", name="새 채팅").click()
    expect(page.get_by_role("heading", name="설정 (선택)")).to_be_visible()
    expect(page.get_by_label("모델", exact=True)).to_have_value("gpt-4o-mini")
    page.get_by_role("button", name="다음").click()
    expect(page.get_by_text("질문 1/3")).to_be_visible()
    page.get_by_label("지금 어떤 상황인가요?").fill("주니어 개발자예요")
    page.get_by_role("button", name="다음").click()
    page.get_by_role("button", name="건너뛰기").click()
    page.get_by_role("button", name="채팅 시작").click()

    page.get_by_label("메시지").fill("어떻게 시작하면 좋을까요?")
    page.get_by_role("button", name="보내기").click()
    expect(page.locator(".message.assistant")).to_contain_text("Mock reply: 어떻게 시작하면 좋을까요?")
    expect(page.locator(".message.assistant .author")).to_contain_text("어시스턴트")
    expect(quota).to_contain_text("오늘 1회 중 0회 남음")
    expect(page.locator(".chat-meta")).to_contain_text("온도 1")
    for name in ("이름 바꾸기", "내려받기", "채팅 삭제"):
        expect(page.get_by_role("button", name=name, exact=True)).to_be_visible()
    expect(page.get_by_role("button", name="모든 채팅 삭제")).to_be_visible()
    expect(page.get_by_role("list", name="내 채팅").get_by_role("link")).to_contain_text(["어떻게 시작하면"])
    expect(page.get_by_role("list", name="내 채팅").locator("time")).to_have_text(re.compile("지금|초 전"))
    assert english_words(page) == set()

    page.get_by_label("메시지").fill("한 번 더요")
    page.get_by_role("button", name="보내기").click()
    refusal = page.get_by_role("alert").filter(has_text="오늘 보낼 수 있는 메시지 1개를 모두 썼어요")
    expect(refusal).to_contain_text(re.compile(r"\d+(시간|분) 후\(\d\d:\d\d\)부터 다시 보낼 수 있어요"))
    expect(page.get_by_label("메시지")).to_have_value("한 번 더요")  # nothing lost
    screenshot(page, "ko-quota-exhausted")

    page.get_by_role("link", name="사용량").click()
    expect(page.get_by_role("heading", name="사용량", level=1)).to_be_focused()
    expect(page.get_by_role("img", name=re.compile("^일별 답변 수"))).to_be_visible()
    expect(page.get_by_text("오늘 1회 중 1회 사용")).to_be_visible()
    expect(page.get_by_text(re.compile(r"0회 남음 · \d+(시간|분) 후\(\d\d:\d\d\) 초기화"))).to_be_visible()
    page.get_by_role("button", name="숫자로 보기").click()
    assert english_words(page) == set()
    screenshot(page, "ko-usage")

    page.get_by_role("button", name="로그아웃").click()
    expect(page.get_by_role("button", name="로그인")).to_be_visible()
    page.get_by_label("이메일").fill("minji@example.com")
    page.get_by_label("비밀번호").fill("not the password")
    page.get_by_role("button", name="로그인").click()
    expect(page.get_by_role("alert").filter(has_text="이메일 또는 비밀번호가 맞지 않아요.")).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", "ko")

    language = page.get_by_label("언어")
    language.focus()
    language.select_option("en")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", name="Log in")).to_be_visible()
    expect(page.get_by_label("Language")).to_be_focused()  # the page changed around the switch
    page.reload()
    expect(page.get_by_role("button", name="Log in")).to_be_visible()
    expect(page.get_by_label("Email")).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", "en")


def test_an_english_browser_gets_english_and_can_switch_the_signed_in_app_to_korean(app):
    user = UserFactory()
    page, _ = app()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    log_in(page, user)

    language = page.get_by_label("Language")
    language.focus()
    page.keyboard.press("ArrowDown")  # English, then 한국어: the keyboard alone switches
    expect(page.locator("html")).to_have_attribute("lang", "ko")
    expect(page.get_by_label("언어")).to_be_focused()
    expect(page.get_by_role("button", name="로그아웃")).to_be_visible()
    expect(page.get_by_role("button", name="새 채팅")).to_be_visible()
    expect(page.get_by_label("채팅 검색")).to_be_visible()
    expect(page.get_by_role("status", name="오늘 남은 횟수")).to_contain_text("오늘 5회 중 5회 남음")
    page.reload()
    expect(page.get_by_role("heading", name="환영해요")).to_be_visible()


def test_every_text_has_an_english_and_a_korean_version(app):
    page, _ = app()
    keys = page.evaluate(
        """async () => {
            const { dictionaries } = await import("./js/i18n.js");
            const keys = (node, prefix = "") => Object.entries(node).flatMap(([key, value]) =>
                typeof value === "object" && !("other" in value)
                    ? keys(value, `${prefix}${key}.`)
                    : [`${prefix}${key}`]);
            return { en: keys(dictionaries.en).sort(), ko: keys(dictionaries.ko).sort() };
        }"""
    )
    assert keys["en"] == keys["ko"]
    used = set()
    for source in (FRONTEND / "js").rglob("*.js"):
        used |= set(re.findall(r"""\bt\(\s*["']([\w.]+)["']""", source.read_text(encoding="utf-8")))
    assert used, "no t() calls found"
    assert sorted(used - set(keys["en"])) == []  # every text the views ask for exists
