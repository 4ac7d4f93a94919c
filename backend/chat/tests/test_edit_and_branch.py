"""Editing a message (a new version beside the old, its own branch), switching branch, and what
follows the current branch: the model's history, regenerate, the detail, the export, the shared page.
What the model was sent is read back from the mock server's request log."""

from __future__ import annotations

import threading

import httpx
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework_simplejwt.tokens import RefreshToken

from chat.models import ChatBot, DailyUsage, Prompt, QuotaReservation, Reply
from chat.tests.factories import ChatBotFactory, PromptFactory, exchange

pytestmark = pytest.mark.django_db


def edit(client, chat_id: int, prompt_id: int, content="A better question", **extra):
    url = f"/api/v1/chats/{chat_id}/messages/{prompt_id}/edit/"
    return client.post(url, {"content": content} if isinstance(content, str) else content, format="json", **extra)


def branch(client, chat_id: int, prompt_id):
    return client.post(f"/api/v1/chats/{chat_id}/branch/", {"prompt_id": prompt_id}, format="json")


def detail(client, chat_id: int, **query):
    return client.get(f"/api/v1/chats/{chat_id}/", query)


def conversation(messages: list[dict]) -> list[tuple[str, str]]:
    return [(m["role"], m["content"]) for m in messages if m["role"] != "system"]


@pytest.fixture
def three_turns(user):
    chat = ChatBotFactory(user=user)
    turns = [exchange(chat, f"q{n}", f"a{n}") for n in range(1, 4)]
    return chat, turns


def used(user) -> int:
    return DailyUsage.objects.filter(user=user).values_list("used", flat=True).first() or 0


# --- Edit -------------------------------------------------------------------------------------


def test_an_edit_asks_with_the_turns_before_it_and_keeps_the_old_branch(auth_client, user, mock_llm, three_turns):
    chat, (_first, second, _third) = three_turns

    response = edit(auth_client, chat.pk, second.pk, "q2, better")

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["content"] == "q2, better"
    assert body["reply"]["choices"][0]["content"] == "Mock reply: q2, better"
    assert [version["id"] for version in body["versions"]] == [second.pk, body["id"]]
    assert response["X-RateLimit-Remaining"] == "4"
    # The model saw the branch up to the edited turn, not the turns after it.
    assert conversation(mock_llm.last_messages()) == [("user", "q1"), ("assistant", "a1"), ("user", "q2, better")]
    shown = detail(auth_client, chat.pk).json()["prompts"]
    assert [prompt["content"] for prompt in shown] == ["q1", "q2, better"]
    assert [version["id"] for version in shown[1]["versions"]] == [second.pk, body["id"]]
    assert len(shown[0]["versions"]) == 1
    assert Prompt.objects.filter(chatbot=chat).count() == 4  # the old q2 and q3 are kept
    assert used(user) == 1


def test_switching_back_shows_the_old_branch_to_its_end_and_the_next_send_follows_it(
    auth_client, user, mock_llm, three_turns
):
    chat, (_first, second, third) = three_turns
    edited = edit(auth_client, chat.pk, second.pk, "q2, better").json()

    switched = branch(auth_client, chat.pk, second.pk)

    assert switched.status_code == 200
    assert [prompt["content"] for prompt in switched.json()["prompts"]] == ["q1", "q2", "q3"]
    # Remembered: the detail shows it from now on.
    assert [prompt["content"] for prompt in detail(auth_client, chat.pk).json()["prompts"]] == ["q1", "q2", "q3"]
    sent = auth_client.post(f"/api/v1/chats/{chat.pk}/messages/", {"content": "q4"}, format="json")
    assert sent.status_code == 201
    assert conversation(mock_llm.last_messages()) == [
        ("user", "q1"),
        ("assistant", "a1"),
        ("user", "q2"),
        ("assistant", "a2"),
        ("user", "q3"),
        ("assistant", "a3"),
        ("user", "q4"),
    ]
    assert Prompt.objects.get(pk=sent.json()["id"]).parent_id == third.pk
    # And over to the edit again: its branch ends at the edit (nothing was added there).
    assert [p["content"] for p in branch(auth_client, chat.pk, edited["id"]).json()["prompts"]] == ["q1", "q2, better"]


def test_switching_to_a_version_goes_down_its_newest_versions(auth_client, user, mock_llm, three_turns):
    chat, (first, _second, third) = three_turns
    edit(auth_client, chat.pk, third.pk, "q3, v2")
    edit(auth_client, chat.pk, first.pk, "q1, v2")

    shown = branch(auth_client, chat.pk, first.pk).json()["prompts"]

    assert [prompt["content"] for prompt in shown] == ["q1", "q2", "q3, v2"]


def test_the_first_message_can_be_edited(auth_client, user, mock_llm, three_turns):
    chat, (first, *_) = three_turns

    response = edit(auth_client, chat.pk, first.pk, "a new start")

    assert response.status_code == 201
    assert conversation(mock_llm.last_messages()) == [("user", "a new start")]
    assert [v["id"] for v in response.json()["versions"]] == [first.pk, response.json()["id"]]


def test_an_edit_that_the_model_fails_costs_nothing_and_changes_nothing(auth_client, user, mock_llm, three_turns):
    chat, (_first, second, third) = three_turns

    response = edit(auth_client, chat.pk, second.pk, "[[mock:status=500]] q2 again")

    assert response.status_code == 502
    assert response["X-RateLimit-Remaining"] == "5"
    assert used(user) == 0
    assert not QuotaReservation.objects.exists()
    assert Prompt.objects.filter(chatbot=chat).count() == 3
    assert ChatBot.objects.get(pk=chat.pk).current_prompt_id == third.pk


def test_an_edit_at_the_daily_limit_is_refused_without_calling_upstream(
    auth_client, user, mock_llm, three_turns, settings
):
    settings.CHAT_DAILY_LIMIT = 1
    chat, (_first, second, _third) = three_turns
    auth_client.post(f"/api/v1/chats/{chat.pk}/messages/", {"content": "q4"}, format="json")
    calls = len(mock_llm.requests())

    response = edit(auth_client, chat.pk, second.pk)

    assert response.status_code == 429
    assert response.json()["remaining"] == 0
    assert int(response["Retry-After"]) > 0
    assert response["X-RateLimit-Remaining"] == "0"
    assert len(mock_llm.requests()) == calls
    assert used(user) == 1


def test_someone_elses_message_or_a_context_prompt_cannot_be_edited(auth_client, user, mock_llm, three_turns):
    chat, (_first, *_) = three_turns
    theirs = exchange(ChatBotFactory(), "theirs", "answer")
    goal = PromptFactory(chatbot=chat, kind="goal", content="a goal")
    other_chat_of_mine = exchange(ChatBotFactory(user=user), "elsewhere", "answer")

    assert edit(auth_client, theirs.chatbot_id, theirs.pk).status_code == 404
    assert edit(auth_client, chat.pk, theirs.pk).status_code == 404
    assert edit(auth_client, chat.pk, goal.pk).status_code == 404
    assert edit(auth_client, chat.pk, other_chat_of_mine.pk).status_code == 404
    assert edit(auth_client, chat.pk, 10**9).status_code == 404
    assert mock_llm.requests() == []
    assert used(user) == 0


@pytest.mark.parametrize(
    "body", [{}, {"content": ""}, {"content": 5}, {"content": None}, ["q"], {"content": "x" * 40_000}]
)
def test_a_bad_edit_body_is_a_400_and_costs_nothing(auth_client, user, mock_llm, three_turns, body):
    chat, (first, *_) = three_turns

    response = edit(auth_client, chat.pk, first.pk, body)

    assert response.status_code == 400
    assert mock_llm.requests() == []
    assert used(user) == 0


def test_an_edit_body_that_is_not_json_is_a_400(auth_client, user, mock_llm, three_turns):
    chat, (first, *_) = three_turns
    url = f"/api/v1/chats/{chat.pk}/messages/{first.pk}/edit/"

    response = auth_client.post(url, "{not json", content_type="application/json")

    assert response.status_code == 400
    assert "detail" in response.json()


@pytest.mark.django_db(transaction=True)
def test_an_edit_streams_like_a_send(api_server, user, mock_llm):
    from chat.tests.test_streaming import read_events

    server = api_server(workers=1)
    chat = ChatBotFactory(user=user)
    first = exchange(chat, "q1", "a1")
    headers = {"Authorization": f"Bearer {RefreshToken.for_user(user).access_token}", "Accept": "text/event-stream"}
    url = f"{server.url}/api/v1/chats/{chat.pk}/messages/{first.pk}/edit/"

    with httpx.stream("POST", url, json={"content": "streamed edit"}, headers=headers, timeout=30) as response:
        assert response.status_code == 200
        assert response.headers["X-RateLimit-Remaining"] == "4"
        events = read_events(response)

    names = [name for _, name, _ in events]
    assert names[0] == "delta" and names[-1] == "done"
    done = events[-1][2]
    assert done["content"] == "streamed edit"
    assert [version["id"] for version in done["versions"]] == [first.pk, done["id"]]
    assert "".join(data["content"] for _, name, data in events if name == "delta") == "Mock reply: streamed edit"
    assert used(user) == 1


# --- Regenerate inside a branch ---------------------------------------------------------------------


def test_regenerate_answers_the_last_turn_of_the_current_branch_only(auth_client, user, mock_llm, three_turns):
    chat, (_first, second, third) = three_turns
    edited = edit(auth_client, chat.pk, second.pk, "q2, better").json()
    url = f"/api/v1/chats/{chat.pk}/messages/{{}}/regenerate/"

    assert auth_client.post(url.format(third.pk)).status_code == 400  # the old branch's last turn
    again = auth_client.post(url.format(edited["id"]))

    assert again.status_code == 201
    assert len(again.json()["replies"]) == 2
    assert len(again.json()["versions"]) == 2
    assert conversation(mock_llm.last_messages()) == [("user", "q1"), ("assistant", "a1"), ("user", "q2, better")]


# --- Branch ----------------------------------------------------------------------------------------


def test_switching_to_someone_elses_or_no_message_is_a_404_and_a_bad_body_a_400(auth_client, user, three_turns):
    chat, (_first, *_) = three_turns
    theirs = exchange(ChatBotFactory(), "theirs", "answer")

    assert branch(auth_client, chat.pk, theirs.pk).status_code == 404
    assert branch(auth_client, theirs.chatbot_id, theirs.pk).status_code == 404
    assert branch(auth_client, chat.pk, 10**9).status_code == 404
    for bad in ["1", None, True, -1, 0]:
        assert branch(auth_client, chat.pk, bad).status_code == 400
    assert auth_client.post(f"/api/v1/chats/{chat.pk}/branch/", {}, format="json").status_code == 400
    assert ChatBot.objects.get(pk=chat.pk).current_prompt_id == three_turns[1][2].pk


# --- The send reads the branch, not the chat ------------------------------------------------------


def test_a_send_in_a_long_chat_reads_only_the_turns_it_sends(user, mock_llm, settings):
    from chat.quota import quota_release
    from chat.sending import send_prepare

    settings.CHAT_SUMMARY = False
    settings.OPENAI_CONTEXT_WINDOWS = {settings.OPENAI_MODEL: 1200}
    chat = ChatBotFactory(user=user, config__max_tokens=100)
    for n in range(400):
        exchange(chat, f"question {n} " + "word " * 20, f"answer {n} " + "word " * 20)

    with CaptureQueriesContext(connection) as queries:
        plan = send_prepare(user=user, chat_id=chat.pk, content="the next one")
    quota_release(reservation=plan.reservation)

    walks = [query["sql"] for query in queries.captured_queries if "WITH RECURSIVE" in query["sql"]]
    assert len(walks) == 1  # one batch of the newest turns was enough
    sent = [m["content"] for m in plan.request.messages if m["role"] == "user"]
    assert 1 < len(sent) < 50
    assert sent[-2].startswith("question 399 ")


# --- Paged detail ------------------------------------------------------------------------------------


def test_the_detail_pages_through_the_current_branch_newest_first(auth_client, user):
    chat = ChatBotFactory(user=user)
    PromptFactory(chatbot=chat, kind="goal", content="a goal")
    turns = [exchange(chat, f"q{n}", f"a{n}") for n in range(5)]

    pages, cursor = [], None
    while True:
        query = {"turns": 2, **({"before": cursor} if cursor else {})}
        body = detail(auth_client, chat.pk, **query).json()
        pages.append([prompt["content"] for prompt in body["prompts"] if prompt["kind"] == "message"])
        assert body["context"]["goal"] == "a goal"
        cursor = body["older"]
        if cursor is None:
            break

    assert pages == [["q3", "q4"], ["q1", "q2"], ["q0"]]
    whole = detail(auth_client, chat.pk).json()
    assert [p["id"] for p in whole["prompts"] if p["kind"] == "message"] == [t.pk for t in turns]
    assert whole["older"] is None


@pytest.mark.parametrize(
    "query",
    [
        {"turns": "0"},
        {"turns": "101"},
        {"turns": "two"},
        {"turns": ""},
        {"turns": "2", "before": "nonsense!"},
        {"turns": "2", "before": ""},
        {"before": "YmVmb3JlOjE"},
    ],
)
def test_a_bad_page_is_a_400(auth_client, user, query):
    chat = ChatBotFactory(user=user)
    exchange(chat, "q", "a")

    assert detail(auth_client, chat.pk, **query).status_code == 400


def test_a_cursor_of_another_chat_is_a_400(auth_client, user):
    from chat.branches import cursor_for

    chat = ChatBotFactory(user=user)
    exchange(chat, "q", "a")
    theirs = exchange(ChatBotFactory(), "theirs", "a")

    response = detail(auth_client, chat.pk, turns=2, before=cursor_for(theirs.pk))

    assert response.status_code == 400
    assert "theirs" not in response.content.decode()


def test_a_page_of_a_long_chat_takes_as_many_queries_as_one_of_a_short_chat(
    auth_client, user, django_assert_max_num_queries
):
    chat = ChatBotFactory(user=user)
    for n in range(300):
        exchange(chat, f"q{n}", f"a{n}")

    with django_assert_max_num_queries(8):
        body = detail(auth_client, chat.pk, turns=20).json()

    assert [p["content"] for p in body["prompts"]][-1] == "q299"
    assert len(body["prompts"]) == 20


# --- Export and the shared page ------------------------------------------------------------------


def test_markdown_export_follows_the_current_branch_and_json_has_every_branch(auth_client, user, mock_llm, three_turns):
    chat, (first, second, third) = three_turns
    edited = edit(auth_client, chat.pk, second.pk, "q2, better").json()

    markdown = auth_client.get(f"/api/v1/chats/{chat.pk}/export/", {"format": "md"}).content.decode()
    exported = auth_client.get(f"/api/v1/chats/{chat.pk}/export/", {"format": "json"})

    assert "q2, better" in markdown
    assert "q3" not in markdown and "\nq2\n" not in markdown
    data = __import__("json").loads(exported.content)
    parents = {prompt["id"]: prompt["parent"] for prompt in data["prompts"]}
    assert parents == {first.pk: None, second.pk: first.pk, third.pk: second.pk, edited["id"]: first.pk}
    assert data["current_prompt"] == edited["id"]


def test_the_shared_page_shows_the_current_branch(auth_client, api_client, user, mock_llm, three_turns):
    chat, (_first, second, _third) = three_turns
    token = auth_client.post(f"/api/v1/chats/{chat.pk}/share/").json()["token"]
    edit(auth_client, chat.pk, second.pk, "q2, better")

    shared = api_client.get(f"/api/v1/shared/{token}/").json()

    assert [prompt["content"] for prompt in shared["prompts"]] == ["q1", "q2, better"]
    branch(auth_client, chat.pk, second.pk)
    assert [p["content"] for p in api_client.get(f"/api/v1/shared/{token}/").json()["prompts"]] == ["q1", "q2", "q3"]


# --- Existing chats ------------------------------------------------------------------------------------


def test_the_migration_makes_each_existing_chat_one_branch(user):
    import importlib

    from django.apps import apps

    chat = ChatBotFactory(user=user)
    turns = [exchange(chat, f"q{n}", f"a{n}") for n in range(3)]
    PromptFactory(chatbot=chat, kind="goal", content="g")
    Prompt.objects.filter(chatbot=chat).update(parent=None)
    ChatBot.objects.filter(pk=chat.pk).update(current_prompt=None)

    importlib.import_module("chat.migrations.0013_prompt_branches").link_turns(apps, None)

    assert [Prompt.objects.get(pk=t.pk).parent_id for t in turns] == [None, turns[0].pk, turns[1].pk]
    assert ChatBot.objects.get(pk=chat.pk).current_prompt_id == turns[2].pk


# --- Concurrency ---------------------------------------------------------------------------------------


def _race(calls) -> list:
    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)

    def run(index, call):
        barrier.wait()
        results[index] = call()

    threads = [threading.Thread(target=run, args=(n, call)) for n, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


@pytest.mark.django_db(transaction=True)
def test_two_edits_of_a_turn_and_a_send_at_once_all_land_and_count_once_each(api_server, mock_llm):
    from accounts.tests.factories import UserFactory

    user = UserFactory()
    chat = ChatBotFactory(user=user)
    first = exchange(chat, "q1", "a1")
    second = exchange(chat, "q2", "a2")
    server = api_server(workers=2)
    headers = {"Authorization": f"Bearer {RefreshToken.for_user(user).access_token}"}
    base = f"{server.url}/api/v1/chats/{chat.pk}/messages/"

    def post(path, content):
        return httpx.post(base + path, json={"content": f"[[mock:latency=0.3]] {content}"}, headers=headers, timeout=30)

    statuses = [
        response.status_code
        for response in _race(
            [
                lambda: post(f"{second.pk}/edit/", "edit one"),
                lambda: post(f"{second.pk}/edit/", "edit two"),
                lambda: post("", "a send"),
            ]
        )
    ]

    assert statuses == [201, 201, 201]
    assert DailyUsage.objects.get(user=user).used == 3
    assert not QuotaReservation.objects.exists()
    edits = Prompt.objects.filter(chatbot=chat, content__contains="edit")
    assert [prompt.parent_id for prompt in edits] == [first.pk, first.pk]
    # No orphan: every message hangs on the chat's tree, and the current branch ends at a leaf.
    ids = set(Prompt.objects.filter(chatbot=chat).values_list("pk", flat=True))
    assert all(parent is None or parent in ids for parent in Prompt.objects.values_list("parent_id", flat=True))
    current = ChatBot.objects.get(pk=chat.pk).current_prompt_id
    assert not Prompt.objects.filter(parent_id=current).exists()
    assert Reply.objects.filter(chatbot=chat).count() == 5


@pytest.mark.django_db(transaction=True)
def test_an_edit_of_a_chat_deleted_while_the_model_answers_stores_nothing_and_costs_nothing(mock_llm):
    from asgiref.sync import async_to_sync

    from accounts.tests.factories import UserFactory
    from chat.exceptions import ChatDeletedMidAnswer
    from chat.gateway import get_gateway
    from chat.sending import edit_prepare, send_complete
    from core.database import run_db

    user = UserFactory()
    chat = ChatBotFactory(user=user)
    first = exchange(chat, "q1", "a1")
    threading.Timer(0.3, lambda: ChatBot.objects.filter(pk=chat.pk).delete()).start()

    async def edit_slowly():
        plan = await run_db(
            edit_prepare, user=user, chat_id=chat.pk, prompt_id=first.pk, content="[[mock:latency=1]] q1 again"
        )
        await send_complete(plan=plan, gateway=get_gateway())

    with pytest.raises(ChatDeletedMidAnswer):
        async_to_sync(edit_slowly)()

    assert not Prompt.objects.exists()
    assert not QuotaReservation.objects.exists()
    assert not DailyUsage.objects.filter(used__gt=0).exists()


def test_an_edited_message_keeps_its_images_as_its_own_and_they_are_not_counted_again(
    auth_client, user, mock_llm, settings
):
    from chat.models import PromptImage
    from chat.tests.test_images import picture, send_with_images, upload

    settings.CHAT_IMAGES_PER_DAY = 2
    chat = ChatBotFactory(user=user)
    sent = send_with_images(auth_client, chat, upload(picture()), upload(picture(20, 10, "JPEG"), "b.jpg"))
    assert sent.status_code == 201

    edited = edit(auth_client, chat.pk, sent.json()["id"], "And what colour is it?")

    assert edited.status_code == 201
    shown = [(image["width"], image["height"]) for image in edited.json()["images"]]
    assert shown == [(40, 30), (20, 10)]
    asked = mock_llm.requests()[-1]["body"]["messages"][-1]["content"]
    assert [part["type"] for part in asked] == ["text", "image_url", "image_url"]
    assert "I see a 40x30 PNG image." in edited.json()["reply"]["choices"][0]["content"]
    old, new = (list(PromptImage.objects.filter(prompt_id=pk)) for pk in (sent.json()["id"], edited.json()["id"]))
    assert {image.file.name for image in old}.isdisjoint(image.file.name for image in new)  # copies of their own
    assert DailyUsage.objects.get(user=user).images == 2  # counted once, when first sent
    assert auth_client.get(edited.json()["images"][0]["url"]).status_code == 200


def test_editing_a_message_with_images_on_a_text_only_model_is_refused_in_words(auth_client, user, mock_llm, settings):
    from chat.tests.test_images import picture, send_with_images, upload

    chat = ChatBotFactory(user=user)
    sent = send_with_images(auth_client, chat, upload(picture()))
    settings.OPENAI_VISION_MODELS = ["gpt-4o"]  # the chat's gpt-4o-mini reads text only from now on

    refused = edit(auth_client, chat.pk, sent.json()["id"], "Again?")

    assert refused.status_code == 400
    assert "This message has images and the model gpt-4o-mini reads text only" in refused.json()["detail"]
    korean = edit(auth_client, chat.pk, sent.json()["id"], "Again?", HTTP_ACCEPT_LANGUAGE="ko")
    assert "이 메시지에는 이미지가 있는데 gpt-4o-mini 모델은 텍스트만 읽어요" in korean.json()["detail"]
    assert used(user) == 1


def test_an_edit_of_a_message_whose_images_are_gone_meanwhile_is_a_404(auth_client, user, mock_llm):
    from django.core.files.storage import default_storage

    from chat.models import PromptImage
    from chat.tests.test_images import picture, send_with_images, upload

    chat = ChatBotFactory(user=user)
    sent = send_with_images(auth_client, chat, upload(picture()))
    default_storage.delete(PromptImage.objects.get().file.name)  # as when its chat is being deleted

    gone = edit(auth_client, chat.pk, sent.json()["id"], "Again?")

    assert gone.status_code == 404
    assert used(user) == 1
