"""`GET /api/v1/chats/?search=`: titles and messages of your own chats, the text taken literally, on an index."""

import pytest
from django.db import connection
from django.utils import timezone

from accounts.tests.factories import UserFactory
from chat.models import ChatBot, Prompt, PromptKind
from chat.selectors import chat_list_for
from chat.tests.factories import ChatBotFactory, PromptFactory, exchange

CHATS = "/api/v1/chats/"
pytestmark = pytest.mark.django_db


def found(client, text: str) -> list[int]:
    response = client.get(CHATS, {"search": text})
    assert response.status_code == 200, response.content
    return [chat["id"] for chat in response.json()["results"]]


def test_search_finds_titles_and_messages_most_recently_active_first(auth_client, user):
    by_title = ChatBotFactory(user=user, title="Trip to Jeju")
    by_message = ChatBotFactory(user=user, title="Holidays")
    exchange(by_message, "Which ferry goes to JEJU island?", "The one from Mokpo.")
    ChatBotFactory(user=user, title="Groceries")
    ChatBot.objects.filter(pk=by_title.pk).update(updated_at=timezone.now())  # the latest activity

    assert found(auth_client, "jeju") == [by_title.pk, by_message.pk]


def test_a_chat_matching_by_title_and_by_message_is_listed_once(auth_client, user):
    chat = ChatBotFactory(user=user, title="Kimchi recipes")
    exchange(chat, "more kimchi please", "here")
    exchange(chat, "and kimchi stew?", "sure")

    response = auth_client.get(CHATS, {"search": "kimchi"}).json()

    assert response["count"] == 1
    assert [c["id"] for c in response["results"]] == [chat.pk]


def test_search_results_are_paginated_without_repeats_or_gaps(auth_client, user):
    by_title = [ChatBotFactory(user=user, title=f"tea {n}") for n in range(12)]
    by_message = [ChatBotFactory(user=user, title=f"chat {n}") for n in range(13)]
    for chat in by_message:
        exchange(chat, "green TEA?", "yes")

    first = auth_client.get(CHATS, {"search": "tea"}).json()
    second = auth_client.get(CHATS, {"search": "tea", "page": 2}).json()

    assert first["count"] == 25
    ids = [c["id"] for c in first["results"] + second["results"]]
    assert sorted(ids) == sorted(c.pk for c in by_title + by_message)
    assert ids == [c.pk for c in ChatBot.objects.filter(pk__in=ids).order_by("-updated_at", "-id")]


def test_search_finds_only_the_callers_chats(auth_client, user):
    mine = ChatBotFactory(user=user, title="mine")
    exchange(mine, "the secret word is papaya", "noted")
    theirs = ChatBotFactory(user=UserFactory(), title="papaya salad")
    exchange(theirs, "papaya again", "noted")

    assert found(auth_client, "papaya") == [mine.pk]


def test_search_ignores_the_context_prompts_and_the_model_replies(auth_client, user):
    chat = ChatBotFactory(user=user, title="plain")
    PromptFactory(chatbot=chat, kind=PromptKind.GOAL, content="become a pilot")
    exchange(chat, "hello", "you could become a pilot")

    assert found(auth_client, "pilot") == []


@pytest.mark.parametrize(
    ("text", "matching", "not_matching"),
    [
        ("100%", "I am 100% sure", "I am 1000 sure"),
        ("a_b", "call a_b()", "call axb()"),
        ("%", "50% off", "fifty off"),
        ("_", "snake_case", "camelCase"),
        ("C:\\temp", "open C:\\temp now", "open C:temp now"),
        ("\\", "a back\\slash", "no slash"),
        ("[a-z]", "regex [a-z] class", "regex a class"),
        ("🐍 py", "I ❤️ 🐍 Python", "I ❤️ python"),
    ],
)
def test_wildcards_and_special_characters_in_the_search_are_matched_literally(
    auth_client, user, text, matching, not_matching
):
    hit = ChatBotFactory(user=user, title="one")
    exchange(hit, matching, "ok")
    miss = ChatBotFactory(user=user, title="two")
    exchange(miss, not_matching, "ok")

    assert found(auth_client, text) == [hit.pk]


@pytest.mark.parametrize(
    ("text", "status"),
    [
        ("x" * 200, 200),
        ("x" * 201, 400),
        ("%" * 200, 200),
        ("_" * 200, 200),
        ("\\" * 200, 200),
        ("\x00", 400),
        ("nul\x00inside", 400),
        ("🐍" * 200, 200),
        ("   ", 200),
        ("'; DROP TABLE chat_prompt; --", 200),
        ("\u202e\ufeff\u0301", 200),
    ],
)
def test_search_input_of_any_shape_is_answered_not_a_server_error(auth_client, user, text, status):
    exchange(ChatBotFactory(user=user, title="a chat"), "some text", "ok")

    response = auth_client.get(CHATS, {"search": text})

    assert response.status_code == status, response.content
    if status == 400:
        assert "search" in response.json()


@pytest.mark.parametrize("raw", ["%ED%A0%BD", "%FF%FE", "%C0%80", "%25%00"])
def test_search_bytes_that_are_not_utf8_or_are_nul_are_no_server_error(auth_client, user, raw):
    response = auth_client.get(f"{CHATS}?search={raw}")

    assert response.status_code in (200, 400), response.content
    assert response.headers["Content-Type"] == "application/json"


def test_a_blank_search_lists_every_chat(auth_client, user):
    chats = [ChatBotFactory(user=user, title=f"chat {n}") for n in range(3)]

    assert set(found(auth_client, "  ")) == {c.pk for c in chats}


postgresql_only = pytest.mark.skipif(connection.vendor != "postgresql", reason="the trigram index is PostgreSQL's")


@postgresql_only
def test_the_messages_text_has_a_trigram_index():
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname = 'chat_prompt_content_trgm'")
        (definition,) = cursor.fetchone()

    assert "USING gin (upper(content) gin_trgm_ops)" in definition


@postgresql_only
def test_the_search_query_is_answered_from_the_trigram_index(user):
    # Enough messages that reading them all is dearer than the index (below a few thousand rows the
    # planner rightly prefers to read them); then what autovacuum would do: the index's pending
    # entries merged (a test's transaction cannot VACUUM) and the statistics taken.
    chats = [ChatBotFactory(user=user) for _ in range(20)]
    Prompt.objects.bulk_create(
        (Prompt(chatbot=chats[n % 20], content=f"message {n} about the weather") for n in range(10_000)),
        batch_size=2000,
    )
    Prompt.objects.create(chatbot=chats[3], content="where is my kumquat?")
    with connection.cursor() as cursor:
        cursor.execute("SELECT gin_clean_pending_list('chat_prompt_content_trgm'::regclass)")
        cursor.execute("ANALYZE chat_prompt")
        cursor.execute("ANALYZE chat_chatbot")
    sql, params = chat_list_for(user, search="kumquat").query.sql_with_params()

    with connection.cursor() as cursor:
        cursor.execute("SET enable_seqscan = off")
        try:
            cursor.execute(f"EXPLAIN {sql}", params)
            plan = "\n".join(row[0] for row in cursor.fetchall())
        finally:
            cursor.execute("RESET enable_seqscan")

    assert "chat_prompt_content_trgm" in plan, plan
    assert [c.pk for c in chat_list_for(user, search="KUMQUAT")] == [chats[3].pk]


@postgresql_only
def test_the_titles_are_searched_on_their_own_trigram_index(user):
    # A user with thousands of chats: comparing every title would be dearer than the index.
    ChatBot.objects.bulk_create(ChatBot(user=user, title=f"chat number {n}") for n in range(3000))
    wanted = ChatBotFactory(user=user, title="Planning the kumquat harvest")
    with connection.cursor() as cursor:
        cursor.execute("SELECT gin_clean_pending_list('chat_chatbot_title_trgm'::regclass)")
        cursor.execute("ANALYZE chat_chatbot")
    # What the list runs (chat.selectors.SearchResults): the ids in their order.
    sql, params = chat_list_for(user, search="kumquat").values_list("pk", "updated_at").query.sql_with_params()

    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())

    assert "chat_chatbot_title_trgm" in plan, plan
    assert [c.pk for c in chat_list_for(user, search="KUMQUAT")] == [wanted.pk]
