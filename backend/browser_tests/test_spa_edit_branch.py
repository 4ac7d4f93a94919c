"""Editing a message in the browser (a new version, its own branch, the "n / m" switcher, kept over a
reload) and a long chat loaded a page at a time as the person scrolls up; against the real API and the mock."""

import pytest
from playwright.sync_api import expect

from browser_tests.conftest import open_chat, screenshot
from browser_tests.test_spa_personas import upstream
from chat.models import ChatBot, Prompt
from chat.tests.factories import ChatBotFactory, exchange

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_edited_message_starts_a_branch_and_the_switch_between_them_is_kept(app, mock_llm_process):
    chat = ChatBotFactory(title="Holidays", config__stream=True)
    first = exchange(chat, "Where should I go in May?", "Try Jeju.")
    exchange(chat, "And in June?", "Try Gangneung.")
    page, _ = open_chat(app, chat)
    question = page.locator(".message.user").first
    expect(question).to_contain_text("Where should I go in May?")

    question.get_by_role("button", name="Edit").click()
    editor = page.get_by_label("Your edit")
    expect(editor).to_have_value("Where should I go in May?")
    editor.fill("Where should I go in October?")
    page.get_by_role("button", name="Save").click()

    answer = page.locator(".message.assistant").first
    expect(answer.locator(".markdown")).to_have_text("Mock reply: Where should I go in October?")
    expect(page.get_by_text("And in June?")).to_have_count(0)  # the old branch's turn is not shown
    versions = question.get_by_role("group", name="Versions", exact=True)
    expect(versions).to_be_visible()
    expect(versions.locator(".counter")).to_have_text("2 / 2")
    [sent] = upstream(mock_llm_process, "Where should I go in October?")
    assert [m["role"] for m in sent["messages"]] == ["user"]  # the turns after it were not sent
    assert sent["stream"] is True
    screenshot(page, "edit-new-version")

    question.get_by_role("button", name="Previous version").click()

    expect(page.get_by_text("And in June?")).to_be_visible()
    expect(page.locator(".message.user").first).to_contain_text("Where should I go in May?")
    expect(page.locator(".message.user").first.locator(".counter")).to_have_text("1 / 2")
    expect(page.locator(".message.assistant").last.locator(".markdown")).to_have_text("Try Gangneung.")
    screenshot(page, "edit-switched-back")
    current = ChatBot.objects.get(pk=chat.pk).current_prompt
    assert (current.content, current.parent_id) == ("And in June?", first.pk)

    page.reload()  # the server remembers the branch
    expect(page.get_by_text("And in June?")).to_be_visible()
    expect(page.locator(".message.user").first.locator(".counter")).to_have_text("1 / 2")

    # Regenerate still answers the last turn of the branch shown.
    last = page.locator(".message.assistant").last
    last.get_by_role("button", name="Regenerate").click()
    expect(last.get_by_text("Answer 2 of 2")).to_have_count(1)
    expect(last.locator(".markdown")).to_have_text("Mock reply: And in June?")
    [again] = upstream(mock_llm_process, "And in June?")
    assert [m["content"] for m in again["messages"]][:2] == ["Where should I go in May?", "Try Jeju."]
    assert Prompt.objects.filter(chatbot=chat).count() == 3


def test_scrolling_to_the_top_of_a_long_chat_loads_the_older_turns_in_place(app):
    chat = ChatBotFactory(title="A long one")
    for n in range(45):
        exchange(chat, f"Question {n}", f"Answer {n}")
    page, _ = open_chat(app, chat)
    questions = page.locator(".message.user")
    expect(page.get_by_text("Question 44", exact=True)).to_be_visible()
    expect(questions).to_have_count(20)  # the newest page only
    expect(page.get_by_role("button", name="Show earlier messages")).to_be_attached()

    conversation = page.locator("main.conversation")
    conversation.evaluate("element => element.scrollTo({ top: 0 })")

    expect(questions).to_have_count(40)
    expect(questions.first).to_contain_text("Question 5")
    # The place is kept: what was at the top (Question 25) is still where the person was reading.
    assert conversation.evaluate("element => element.scrollTop") > 200
    top = page.get_by_text("Question 25", exact=True).bounding_box()
    assert top is not None and 0 <= top["y"] < page.viewport_size["height"]
    screenshot(page, "long-chat-older-loaded")

    conversation.evaluate("element => element.scrollTo({ top: 0 })")
    expect(questions).to_have_count(45)
    expect(questions.first).to_contain_text("Question 0")
    expect(page.get_by_role("button", name="Show earlier messages")).to_be_hidden()
    texts = questions.locator(".text").all_inner_texts()
    assert texts == [f"Question {n}" for n in range(45)]
