"""Personas, what the assistant knows, Regenerate and Copy in the browser, against the real API and the mock."""

import importlib
import re

import httpx
import pytest
from playwright.sync_api import expect

from accounts.tests.factories import UserFactory
from browser_tests.conftest import log_in, open_chat, screenshot, send
from chat.models import ChatBot, Choice, Persona, PromptKind, Reply
from chat.tests.factories import ChatBotFactory, PromptFactory, ReplyFactory, exchange

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHIPPED = importlib.import_module("chat.migrations.0005_ship_personas").PERSONAS
TUTOR = next(persona for persona in SHIPPED if persona["key"] == "language-tutor")
NO_SIDEWAYS_SCROLL = """() => document.documentElement.scrollWidth <= window.innerWidth
    && [...document.querySelectorAll('main')].every((main) => main.scrollWidth <= main.clientWidth)"""


@pytest.fixture(autouse=True)
def shipped_personas():
    """The personas the service ships with (a data migration; the flush between browser tests empties it)."""
    for position, persona in enumerate(SHIPPED):
        Persona.objects.update_or_create(key=persona["key"], defaults={**persona, "position": position})


def upstream(mock_url: str, text: str) -> list[dict]:
    """The requests the mock received whose last message is `text`, oldest first."""
    return [
        record["body"]
        for record in httpx.get(f"{mock_url}/_mock/requests").json()
        if record["body"]["messages"][-1]["content"] == text
    ]


def grant_clipboard(page) -> None:
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=page.url.split("/#")[0].rstrip("/"))


def test_a_language_tutor_chat_sends_its_prompt_and_regenerate_keeps_every_answer(app, mock_llm_process):
    user = UserFactory()
    page, _ = app()
    log_in(page, user)

    page.get_by_role("button", name="New chat").click()
    expect(page.get_by_role("radio", name="No persona")).to_be_checked()
    page.get_by_role("radio", name="Language tutor").check()
    expect(page.get_by_text(TUTOR["description"])).to_be_visible()
    page.get_by_role("button", name="Next").click()  # its variables are required
    expect(page.get_by_label("Language to practise")).to_be_focused()
    expect(page.get_by_label("Language to practise")).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_text("Please fill this in.")).to_have_count(2)
    screenshot(page, "persona-variables-required")
    page.get_by_label("Language to practise").fill("Korean")
    page.get_by_label("Your level (e.g. beginner)").fill("beginner")
    page.get_by_label("Your level (e.g. beginner)").press("Enter")  # the keyboard alone goes on
    expect(page.get_by_text("Question 1 of 3")).to_be_visible()
    for _ in range(3):
        page.get_by_role("button", name="Skip").click()

    expect(page.locator(".chat-persona")).to_have_text("Persona: Language tutor (Korean, beginner)")
    chat = ChatBot.objects.get(user=user)
    rendered = TUTOR["template"].replace("{language}", "Korean").replace("{level}", "beginner")
    assert (chat.persona.key, chat.persona_values) == ("language-tutor", {"language": "Korean", "level": "beginner"})
    assert chat.config.system_prompt == rendered

    send(page, "Annyeong! How do I say hello?")
    answer = page.locator(".message.assistant").last
    expect(answer).to_contain_text("Mock reply: Annyeong! How do I say hello?")
    [first] = upstream(mock_llm_process, "Annyeong! How do I say hello?")
    assert first["messages"][0] == {"role": "system", "content": rendered}
    expect(answer.get_by_role("group", name="Answers")).to_be_hidden()  # one answer: nothing to switch
    # The mock answers the same words each time; mark the stored first answer to tell the two apart.
    Choice.objects.filter(reply__chatbot=chat).update(content="First answer: 안녕하세요!")

    answer.get_by_role("button", name="Regenerate").click()
    expect(answer.get_by_text("Answer 2 of 2")).to_have_count(1)
    expect(answer.locator(".counter")).to_have_text("2 / 2")
    expect(answer.locator(".markdown")).to_have_text("Mock reply: Annyeong! How do I say hello?")
    expect(page.get_by_role("status", name="Daily quota")).to_contain_text("3 of 5 left today")
    again = upstream(mock_llm_process, "Annyeong! How do I say hello?")[1]["messages"]
    assert again[0] == {"role": "system", "content": rendered}
    assert [m["role"] for m in again] == ["system", "user"]  # the turn is asked afresh, without its answer
    screenshot(page, "persona-regenerated")

    previous = answer.get_by_role("button", name="Previous answer")
    previous.focus()
    page.keyboard.press("Enter")
    expect(answer.locator(".markdown")).to_have_text("First answer: 안녕하세요!")
    expect(answer.get_by_text("Answer 1 of 2")).to_have_count(1)
    expect(answer).to_contain_text("the conversation goes on from the newest one")
    expect(previous).to_have_attribute("aria-disabled", "true")
    expect(previous).to_be_focused()  # at the first answer the button stays put, and so does the focus
    answer.get_by_role("button", name="Next answer").click()
    expect(answer.locator(".markdown")).to_have_text("Mock reply: Annyeong! How do I say hello?")
    expect(answer.get_by_text("Answer 2 of 2")).to_have_count(1)
    assert Reply.objects.filter(chatbot=chat).count() == 2

    send(page, "Gamsahamnida!")
    expect(page.locator(".message.assistant").last).to_contain_text("Mock reply: Gamsahamnida!")
    # Regenerate is offered on the last answer only; Copy on every one.
    expect(page.get_by_role("button", name="Regenerate")).to_have_count(1)
    expect(page.locator(".message.assistant").last.get_by_role("button", name="Regenerate")).to_be_visible()
    expect(page.get_by_role("button", name="Copy")).to_have_count(2)
    history = upstream(mock_llm_process, "Gamsahamnida!")[0]["messages"]
    assert history[2] == {"role": "assistant", "content": "Mock reply: Annyeong! How do I say hello?"}  # the newest

    page.reload()
    answers = page.locator(".message.assistant")
    expect(answers.first.locator(".counter")).to_have_text("2 / 2")  # the newest shown by default
    expect(page.locator(".chat-persona")).to_contain_text("Language tutor")


def test_editing_the_context_and_system_prompt_changes_what_the_next_message_sends(app, mock_llm_process):
    chat = ChatBotFactory(title="Running", config__stream=True, config__system_prompt="Be brief.")
    PromptFactory(chatbot=chat, kind=PromptKind.GOAL, content="Run a marathon")
    PromptFactory(chatbot=chat, kind=PromptKind.MISC, content="Bad knee")
    page, _ = open_chat(app, chat)
    panel = page.locator(".context")

    panel.get_by_text("What the assistant knows about you, and its settings").click()
    expect(panel).to_contain_text("Run a marathon")
    expect(panel).to_contain_text("Be brief.")
    expect(panel).to_contain_text("Changes apply to the next message")
    panel.get_by_role("button", name="Edit").click()
    expect(page.get_by_label("Current situation")).to_be_focused()
    page.get_by_label("Current situation").fill("I jog twice a week")
    page.get_by_label("Goal", exact=True).fill("Run a half marathon in May")
    page.get_by_label("Anything else").fill("")  # empty: forgotten
    page.get_by_label("System prompt").fill("Answer like a running coach.")
    expect(page.get_by_label("Model", exact=True)).to_have_value("gpt-4o-mini")
    temperature = page.get_by_label("Temperature (0 to 2)")
    temperature.fill("3")
    page.get_by_role("button", name="Save").click()
    expect(temperature).to_be_focused()
    expect(temperature).to_have_attribute("aria-invalid", "true")
    expect(panel.get_by_text("Enter a number from 0 to 2.")).to_be_visible()
    screenshot(page, "context-panel-error")

    # The server's refusal is put in words, by the field it is about, and the edit is kept.
    temperature.fill("0.4")
    model = page.get_by_label("Model", exact=True)
    model.evaluate("(select) => select.add(new Option('not-a-model', 'not-a-model', true, true))")
    page.get_by_role("button", name="Save").click()
    expect(panel.get_by_role("alert")).to_have_text("Please check what you entered.")
    expect(model).to_have_attribute("aria-invalid", "true")
    expect(panel.locator("#context-model-error")).to_contain_text("Choose one of: gpt-4o-mini")
    expect(model).to_be_focused()
    expect(page.get_by_label("System prompt")).to_have_value("Answer like a running coach.")
    model.select_option("gpt-4o-mini")

    page.get_by_role("button", name="Save").click()
    expect(panel.get_by_role("status")).to_have_text("Saved.")
    expect(panel.get_by_role("button", name="Edit")).to_be_focused()
    expect(panel).to_contain_text("Run a half marathon in May")
    expect(panel).not_to_contain_text("Bad knee")
    expect(page.locator(".chat-meta")).to_contain_text("temperature 0.4")
    screenshot(page, "context-panel-saved")

    send(page, "What should I do this week?")
    expect(page.locator(".message.assistant").last).to_contain_text("Mock reply: What should I do this week?")
    [body] = upstream(mock_llm_process, "What should I do this week?")
    system, context = body["messages"][0], body["messages"][1]
    assert system == {"role": "system", "content": "Answer like a running coach."}
    assert "I jog twice a week" in context["content"]
    assert "Run a half marathon in May" in context["content"]
    assert "Bad knee" not in context["content"]
    assert body["temperature"] == 0.4

    panel.get_by_role("button", name="Edit").click()
    page.get_by_label("Goal", exact=True).fill("Something else")
    page.keyboard.press("Escape")  # cancels: nothing saved
    expect(panel.get_by_role("button", name="Edit")).to_be_focused()
    expect(panel).to_contain_text("Run a half marathon in May")
    assert chat.prompts.get(kind=PromptKind.GOAL).content == "Run a half marathon in May"


def test_a_stopped_answer_can_be_regenerated_and_stays_as_the_earlier_version(app):
    page, _ = open_chat(app, ChatBotFactory(title="Counting", config__stream=True))
    send(page, "[[mock:words=20]] [[mock:chunk_delay=0.1]]")
    answer = page.locator(".message.assistant").last
    expect(answer).to_contain_text("word3")
    page.get_by_role("button", name="Stop").click()
    expect(answer).to_contain_text("Stopped before the end.")

    answer.get_by_role("button", name="Regenerate").click()  # the stopped answer was stored: it can be
    expect(page.get_by_role("button", name="Stop")).to_be_visible()  # streamed like a send
    expect(answer.locator(".markdown")).to_contain_text("word1")
    # 20 words 0.1 s apart: more than the default 5 s wait on a loaded machine
    expect(answer.locator(".markdown")).to_have_text(" ".join(f"word{n}" for n in range(1, 21)), timeout=15_000)
    expect(answer.get_by_text("Answer 2 of 2")).to_have_count(1)
    expect(answer).not_to_contain_text("Stopped before the end.")
    answer.get_by_role("button", name="Previous answer").click()
    expect(answer).to_contain_text("Stopped before the end.")
    assert Reply.objects.get(choices__finish_reason="cancelled").prompt.replies.count() == 2


def test_copy_puts_a_replys_text_on_the_clipboard_or_selects_it_where_it_cannot(app):
    chat = ChatBotFactory(title="Shopping")
    exchange(chat, "What do I need?", "1. **Rice**\n2. Kimchi")
    page, _ = open_chat(app, chat)
    grant_clipboard(page)
    answer = page.locator(".message.assistant")

    answer.get_by_role("button", name="Copy").click()
    expect(answer.get_by_role("button", name="Copied")).to_be_visible()
    assert page.evaluate("navigator.clipboard.readText()") == "1. **Rice**\n2. Kimchi"  # the reply as written
    expect(answer.get_by_role("button", name="Copy")).to_be_visible(timeout=5_000)  # and back

    page.evaluate("Object.defineProperty(navigator, 'clipboard', { value: undefined, configurable: true })")
    answer.get_by_role("button", name="Copy").click()
    expect(answer.get_by_role("status")).to_contain_text("the text is selected, press Ctrl+C")
    assert page.evaluate("window.getSelection().toString()").startswith("Rice")
    screenshot(page, "copy-fallback")


def test_regenerate_without_streaming_counts_and_at_the_daily_limit_says_so_and_keeps_the_answer(app):
    chat = ChatBotFactory(user=UserFactory(daily_limit=2), title="Last ones today", config__stream=False)
    page, _ = open_chat(app, chat)
    send(page, "Only two today")
    answer = page.locator(".message.assistant")
    expect(answer).to_contain_text("Mock reply: Only two today")
    quota = page.get_by_role("status", name="Daily quota")
    expect(quota).to_contain_text("1 of 2 left today")

    answer.get_by_role("button", name="Regenerate").click()  # a plain (JSON) answer for this chat
    expect(answer.get_by_text("Answer 2 of 2")).to_have_count(1)
    expect(quota).to_contain_text("0 of 2 left today")

    answer.get_by_role("button", name="Regenerate").click()
    expect(page.get_by_role("alert").filter(has_text="used all 2")).to_contain_text("You can send more after")
    expect(answer.locator(".markdown")).to_have_text("Mock reply: Only two today")  # the answer stays
    expect(answer.get_by_text("Answer 2 of 2")).to_have_count(1)
    expect(answer.get_by_role("button", name="Regenerate")).to_be_focused()
    expect(quota).to_contain_text("0 of 2 left today")
    screenshot(page, "regenerate-quota")
    assert Reply.objects.filter(chatbot=chat).count() == 2


def test_the_new_controls_speak_korean_and_fit_a_phone(app):
    user = UserFactory()
    tutor = Persona.objects.get(key="language-tutor")
    chat = ChatBotFactory(
        user=user,
        title="한국어 연습",
        persona=tutor,
        persona_values={"language": "Korean", "level": "beginner"},
        config__system_prompt=TUTOR["template"],
    )
    prompt = exchange(chat, "안녕하세요! 저는 학생이에요.", "첫 번째 답변이에요.")
    ReplyFactory(prompt=prompt, choice__content="두 번째 답변이에요. 무엇을 공부해요?")
    page, _ = app(locale="ko-KR", viewport={"width": 375, "height": 740})
    page.get_by_label("이메일").fill(user.email)
    page.get_by_label("비밀번호").fill("a-long-enough-password")
    page.get_by_label("비밀번호").press("Enter")
    expect(page.get_by_role("button", name="로그아웃")).to_be_visible()

    page.goto(f"{page.url.split('#')[0]}#/chats/{chat.pk}")
    answer = page.locator(".message.assistant")
    expect(answer.locator(".markdown")).to_have_text("두 번째 답변이에요. 무엇을 공부해요?")
    expect(page.locator(".chat-persona")).to_have_text("페르소나: Language tutor (Korean, beginner)")
    versions = answer.get_by_role("group", name="답변 버전")
    expect(versions.get_by_role("button", name="이전 답변")).to_be_visible()
    expect(versions.get_by_role("button", name="다음 답변")).to_be_visible()
    expect(versions.get_by_text("답변 2/2")).to_have_count(1)
    expect(answer.get_by_role("button", name="복사")).to_be_visible()
    expect(answer.get_by_role("button", name="다시 생성")).to_be_visible()
    versions.get_by_role("button", name="이전 답변").click()
    expect(answer).to_contain_text("이전 답변이에요. 대화는 가장 최근 답변에서 이어져요.")
    screenshot(page, "phone-ko-persona-chat")
    assert page.evaluate(NO_SIDEWAYS_SCROLL)

    page.get_by_text("어시스턴트가 알고 있는 내 정보와 설정").click()
    expect(page.locator(".context")).to_contain_text("바꾼 내용은 다음 메시지부터 적용돼요.")
    page.get_by_role("button", name="편집").click()
    for label in ("현재 상황", "목표", "기타", "시스템 프롬프트", "모델", "온도 (0~2)"):
        expect(page.get_by_label(label, exact=True)).to_be_visible()
    expect(page.get_by_role("button", name="저장")).to_be_visible()
    expect(page.get_by_role("button", name="취소")).to_be_visible()
    screenshot(page, "phone-ko-context-edit")
    assert page.evaluate(NO_SIDEWAYS_SCROLL)

    page.goto(f"{page.url.split('#')[0]}#/new")
    expect(page.get_by_role("group", name="페르소나")).to_be_visible()
    expect(page.get_by_role("radio", name="페르소나 없음")).to_be_checked()
    page.get_by_role("radio", name="Code reviewer").check()
    page.get_by_role("button", name="다음").click()
    expect(page.get_by_text("이 항목을 입력해 주세요.")).to_be_visible()
    screenshot(page, "phone-ko-persona-picker")
    assert page.evaluate(NO_SIDEWAYS_SCROLL)
    assert not re.search(r"Persona|Regenerate|Copy|Answer", page.locator("body").inner_text())
