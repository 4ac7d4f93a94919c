"""The README's pictures of the web app (docs/*.png), made again only on request:

    cd backend && UPDATE_DOCS_SCREENSHOTS=1 ../.venv/bin/python -m pytest browser_tests/test_readme_screenshots.py

Any other run skips this, so the committed pictures change only when someone means them to.
"""

import datetime as dt
import importlib
import os
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from accounts.tests.factories import UserFactory
from browser_tests.conftest import log_in
from chat.models import DailyUsage, Persona, PromptKind
from chat.tests.factories import ChatBotFactory, PromptFactory, ReplyFactory, exchange

DOCS = Path(__file__).resolve().parents[2] / "docs"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not os.environ.get("UPDATE_DOCS_SCREENSHOTS"), reason="set UPDATE_DOCS_SCREENSHOTS=1 to redo"),
]

ANSWER = """Start with one habit you can keep for a month:

1. **Review one pull request a day**, and write down what you would have done differently.
2. **Lead a small piece of work** end to end: plan it, split it, report on it.
3. **Ask for feedback** from your lead every two weeks.

A team lead's job is mostly `communication`; the code comes second."""

# Replies per day over the last 30 days, oldest first (today last).
REPLIES = [0, 2, 1, 0, 0, 3, 5, 4, 2, 0, 0, 1, 3, 2, 5, 5, 1, 0, 0, 2, 4, 3, 1, 0, 0, 2, 5, 4, 1, 3]


def seed(user):
    for title, question in (
        ("Trip to Busan", "Where should we eat?"),
        ("Django querysets", "What is select_related for?"),
        ("Pasta for six", "How much pasta do I need?"),
        ("Morning routine", "How do I wake up earlier?"),
    ):
        exchange(ChatBotFactory(user=user, title=title), question, "Here is an idea.")
    chat = ChatBotFactory(user=user, title="Becoming a team lead", config__stream=True)
    PromptFactory(chatbot=chat, kind=PromptKind.CURRENT_STATE, content="Junior developer, two years in")
    PromptFactory(chatbot=chat, kind=PromptKind.GOAL, content="Lead a small team within a year")
    exchange(chat, "Where do I start?", ANSWER)
    today = timezone.localdate()
    for offset, replies in enumerate(reversed(REPLIES)):
        if replies:
            DailyUsage.objects.create(
                user=user,
                day=today - dt.timedelta(days=offset),
                used=replies,
                prompt_tokens=replies * 180 + offset * 7,
                completion_tokens=replies * 240 + offset * 11,
            )
    return chat


def test_the_readme_pictures_of_a_conversation_and_of_the_usage_chart(app):
    user = UserFactory(nickname="Minji", email_verified=True)
    chat = seed(user)
    page, _ = app(viewport={"width": 1200, "height": 800})
    log_in(page, user)

    page.get_by_role("link", name=chat.title).click()
    expect(page.locator(".message.assistant")).to_contain_text("Review one pull request a day")
    page.get_by_label("Message").fill("How do I ask for more responsibility?")
    page.screenshot(path=str(DOCS / "screenshot-conversation.png"))

    page.get_by_role("link", name="Usage").click()
    expect(page.locator(".bar-chart")).to_have_count(2)
    page.screenshot(path=str(DOCS / "screenshot-usage.png"))


TUTOR = next(
    p for p in importlib.import_module("chat.migrations.0005_ship_personas").PERSONAS if p["key"] == "language-tutor"
)
# A learner's chat with the language tutor; the last message was answered twice (Regenerate).
TUTORING = [
    (
        "안녕하세요! 제 이름은 샘이에요. 저는 커피 좋아요.",
        [
            "Almost! With 좋아하다 the thing you like takes 을/를: 저는 커피**를 좋아해요**.\n\n"
            "반가워요, 샘 씨! 커피를 언제 마셔요?"
        ],
    ),
    (
        "아침에 마셔요. 카페에 가요 매일.",
        [
            "Nearly: 매일 카페에 가요. 좋아요! 어느 카페에 자주 가요?",
            "**Correction:** 카페에 가요 매일 → **매일** 카페에 가요. Words of time such as 매일 (every day) "
            "come before the verb.\n\n멋져요! 카페에서 보통 뭐 마셔요? 아메리카노? 라테?",
        ],
    ),
]


def test_the_readme_picture_of_a_persona_chat_with_two_answers(app):
    user = UserFactory(nickname="Sam", email_verified=True)
    tutor, _ = Persona.objects.update_or_create(key=TUTOR["key"], defaults=TUTOR)
    values = {"language": "Korean", "level": "beginner"}
    chat = ChatBotFactory(
        user=user,
        title="Korean practice",
        persona=tutor,
        persona_values=values,
        config__stream=True,
        config__system_prompt=TUTOR["template"].format(**values),
    )
    PromptFactory(chatbot=chat, kind=PromptKind.GOAL, content="Order coffee in Seoul without switching to English")
    for question, answers in TUTORING:
        prompt = exchange(chat, question, answers[0])
        for answer in answers[1:]:
            ReplyFactory(prompt=prompt, choice__content=answer)
    page, _ = app(viewport={"width": 1200, "height": 800})
    log_in(page, user)

    page.get_by_role("link", name=chat.title).click()
    expect(page.get_by_text("Answer 2 of 2")).to_have_count(1)
    page.screenshot(path=str(DOCS / "screenshot-persona.png"))


CODE_ANSWER = """A list comprehension keeps only what passes the test:

```python
def evens(numbers: list[int]) -> list[int]:
    \"\"\"The even numbers, in order.\"\"\"
    return [n for n in numbers if n % 2 == 0]  # 0 counts as even


print(evens([1, 2, 3, 4]))  # [2, 4]
```

`filter(lambda n: n % 2 == 0, numbers)` does the same, lazily."""


def test_the_readme_picture_of_a_dark_chat_with_highlighted_code_being_shared(app, spa_server):
    user = UserFactory(nickname="Jae", email_verified=True)
    chat = ChatBotFactory(user=user, title="Even numbers in Python")
    exchange(chat, "How do I keep only the even numbers of a list?", CODE_ANSWER)
    page, _ = app(viewport={"width": 1200, "height": 800}, SPA_URL=f"{spa_server.url}/")
    page.get_by_label("Theme").select_option("dark")
    log_in(page, user)

    page.get_by_role("link", name=chat.title).click()
    expect(page.locator(".code-block .hljs-keyword").first).to_be_visible()
    page.get_by_role("button", name="Share").click()
    expect(page.get_by_label("Link")).not_to_have_value("")
    page.screenshot(path=str(DOCS / "screenshot-dark-code-share.png"))
