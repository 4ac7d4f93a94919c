from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from accounts.tests.factories import UserFactory
from chat.models import ChatBot, Prompt
from chat.tests.factories import ChatBotFactory, ChoiceFactory, PromptFactory, exchange
from conftest import bearer_client

CHATS = "/api/v1/chats/"
pytestmark = pytest.mark.django_db


def chat_url(chat) -> str:
    return f"{CHATS}{chat.pk}/"


def test_creating_a_chat_without_a_body_uses_the_default_config(auth_client, settings):
    response = auth_client.post(CHATS, {}, format="json")

    assert response.status_code == 201
    body = response.json()
    assert body["title"] == ""
    assert body["config"] == {
        "model": settings.OPENAI_MODEL,
        "temperature": 1.0,
        "max_tokens": settings.CHAT_DEFAULT_MAX_TOKENS,
        "stream": True,
        "system_prompt": "",
    }
    assert body["context"] == {"current_state": None, "goal": None, "misc": None}
    assert body["prompts"] == []


def test_creating_a_chat_stores_its_config_and_context_as_typed_prompts(auth_client, user):
    response = auth_client.post(
        CHATS,
        {
            "title": "Career advice",
            "config": {
                "model": "gpt-4.1-mini",
                "temperature": 0.3,
                "max_tokens": 200,
                "stream": False,
                "system_prompt": "Be brief.",
            },
            "context": {"current_state": "junior dev", "goal": "senior dev", "misc": "no meetings"},
        },
        format="json",
    )

    assert response.status_code == 201
    body = response.json()
    assert body["config"] == {
        "model": "gpt-4.1-mini",
        "temperature": 0.3,
        "max_tokens": 200,
        "stream": False,
        "system_prompt": "Be brief.",
    }
    assert body["context"] == {"current_state": "junior dev", "goal": "senior dev", "misc": "no meetings"}
    chat = ChatBot.objects.get(pk=body["id"], user=user)
    assert sorted(chat.prompts.values_list("kind", "content")) == [
        ("current_state", "junior dev"),
        ("goal", "senior dev"),
        ("misc", "no meetings"),
    ]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"config": {"model": "gpt-9-ultra"}}, "config"),
        ({"config": {"temperature": 2.5}}, "config"),
        ({"config": {"temperature": -0.1}}, "config"),
        ({"config": {"temperature": "warm"}}, "config"),
        ({"config": {"max_tokens": 0}}, "config"),
        ({"config": {"max_tokens": 10**9}}, "config"),
        ({"config": {"system_prompt": "x" * 5000}}, "config"),
        ({"config": "gpt-4o-mini"}, "config"),
        ({"context": {"goal": "g" * 2001}}, "context"),
        ({"context": ["goal"]}, "context"),
        ({"title": "t" * 201}, "title"),
        ({"title": {"nested": True}}, "title"),
    ],
)
def test_creating_a_chat_with_bad_fields_is_a_400_and_creates_nothing(auth_client, body, field):
    response = auth_client.post(CHATS, body, format="json")

    assert response.status_code == 400
    assert field in response.json()
    assert not ChatBot.objects.exists()


def test_the_list_shows_own_chats_most_recently_active_first_with_pages(auth_client, user):
    old, _, new = (ChatBotFactory(user=user, title=t) for t in ("old", "middle", "new"))
    exchange(old, "bump", "bumped")  # a message makes "old" the most recently active
    ChatBot.objects.filter(pk=old.pk).update(updated_at=new.updated_at.replace(year=new.updated_at.year + 1))
    ChatBotFactory.create_batch(20, user=user)

    first = auth_client.get(CHATS).json()
    second = auth_client.get(first["next"]).json()

    assert first["count"] == 23
    assert len(first["results"]) == 20
    assert first["results"][0]["title"] == "old"
    assert set(first["results"][0]) == {"id", "title", "created_at", "updated_at"}
    assert len(second["results"]) == 3
    assert second["previous"]


def test_search_matches_titles_and_message_text_case_insensitively(auth_client, user):
    by_title = ChatBotFactory(user=user, title="Django questions")
    by_message = ChatBotFactory(user=user, title="Misc")
    exchange(by_message, "How do I write a DJANGO view?", "Like this.")
    unrelated = ChatBotFactory(user=user, title="Cooking")
    exchange(unrelated, "pasta", "boil water")

    results = auth_client.get(CHATS, {"search": "django"}).json()["results"]

    assert {r["id"] for r in results} == {by_title.pk, by_message.pk}


def test_a_page_past_the_end_is_a_404(auth_client):
    assert auth_client.get(CHATS, {"page": 99}).status_code == 404
    assert auth_client.get(CHATS, {"page": "abc"}).status_code == 404


def test_detail_shows_prompts_oldest_first_with_their_replies(auth_client, user):
    chat = ChatBotFactory(user=user)
    first = exchange(chat, "first?", "first!")
    second = exchange(chat, "second?", "second!")

    body = auth_client.get(chat_url(chat)).json()

    assert [p["id"] for p in body["prompts"]] == [first.pk, second.pk]
    reply = body["prompts"][0]["reply"]
    assert reply["choices"] == [
        {"index": 0, "role": "assistant", "content": "first!", "tool_calls": [], "finish_reason": "stop"}
    ]
    assert {"prompt_tokens", "completion_tokens", "total_tokens", "model"} <= set(reply)


def test_detail_of_a_long_chat_takes_a_fixed_number_of_queries(auth_client, user, django_assert_max_num_queries):
    chat = ChatBotFactory(user=user)
    for n in range(30):
        exchange(chat, f"q{n}", f"a{n}")
    PromptFactory(chatbot=chat, kind="goal", content="g")

    # the chat, its branch (one walk), its prompts, replies, choices, images, versions; the user
    with django_assert_max_num_queries(8):
        response = auth_client.get(chat_url(chat))

    assert len(response.json()["prompts"]) == 31


def test_renaming_and_reconfiguring_a_chat_keeps_what_is_not_sent(auth_client, user):
    chat = ChatBotFactory(user=user, title="old", config__system_prompt="Be kind.")

    response = auth_client.patch(chat_url(chat), {"title": "new", "config": {"temperature": 0.5}}, format="json")

    assert response.status_code == 200
    body = response.json()
    assert body["title"] == "new"
    assert body["config"]["temperature"] == 0.5
    assert body["config"]["system_prompt"] == "Be kind."


def test_context_can_be_changed_and_removed(auth_client, user):
    chat = ChatBotFactory(user=user)
    auth_client.patch(chat_url(chat), {"context": {"goal": "learn", "misc": "fast"}}, format="json")

    response = auth_client.patch(chat_url(chat), {"context": {"goal": "master", "misc": ""}}, format="json")

    assert response.json()["context"] == {"current_state": None, "goal": "master", "misc": None}
    assert list(Prompt.objects.filter(chatbot=chat).values_list("kind", "content")) == [("goal", "master")]


@pytest.mark.parametrize("body", [{"config": {"max_tokens": "many"}}, {"title": None}, [1]])
def test_a_bad_update_is_a_400_and_changes_nothing(auth_client, user, body):
    chat = ChatBotFactory(user=user, title="keep")

    response = auth_client.patch(chat_url(chat), body, format="json")

    assert response.status_code == 400
    chat.refresh_from_db()
    assert chat.title == "keep"
    assert chat.config.max_tokens == 256


def test_deleting_a_chat_deletes_its_whole_history(auth_client, user):
    chat = ChatBotFactory(user=user)
    exchange(chat, "q", "a")

    response = auth_client.delete(chat_url(chat))

    assert response.status_code == 204
    assert not ChatBot.objects.filter(pk=chat.pk).exists()
    assert not Prompt.objects.exists()
    assert auth_client.get(chat_url(chat)).status_code == 404


def test_deleting_all_chats_deletes_only_your_own(auth_client, user):
    ChatBotFactory.create_batch(3, user=user)
    someone_elses = ChatBotFactory()
    ChoiceFactory()

    response = auth_client.delete(CHATS)

    assert response.status_code == 204
    assert not ChatBot.objects.filter(user=user).exists()
    assert ChatBot.objects.filter(pk=someone_elses.pk).exists()


def test_put_is_not_offered(auth_client, user):
    chat = ChatBotFactory(user=user)
    assert auth_client.put(chat_url(chat), {"title": "x"}, format="json").status_code == 405


def test_unknown_urls_answer_json_404(auth_client):
    response = auth_client.get("/api/v1/chats/not-a-number/")

    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}


def test_list_and_detail_take_a_fixed_number_of_queries_with_10000_chats(
    auth_client, user, django_assert_max_num_queries
):
    ChatBot.objects.bulk_create(ChatBot(user=user, title=f"chat {n}") for n in range(10_000))
    long_chat = ChatBotFactory(user=user)
    for n in range(200):
        exchange(long_chat, f"q{n}", f"a{n}")

    with django_assert_max_num_queries(5):
        page = auth_client.get(CHATS)
    with django_assert_max_num_queries(8):  # as in the test above: the branch's walk and versions are two
        detail = auth_client.get(chat_url(long_chat))

    assert page.json()["count"] == 10_001
    assert len(detail.json()["prompts"]) == 200


@pytest.mark.parametrize("page", ["", "0", "-1", "1.5", "two"])
def test_a_page_that_is_not_a_positive_integer_is_a_404(auth_client, user, page):
    ChatBotFactory(user=user)

    response = auth_client.get(CHATS, {"page": page})

    assert response.status_code == 404
    assert response.json()["detail"]


@pytest.mark.parametrize(
    "config",
    [
        {"stream": "true"},
        {"stream": 1},
        {"max_tokens": "100"},
        {"max_tokens": 10.5},
        {"temperature": "0.5"},
        {"temperature": True},
        {"system_prompt": 5},
    ],
)
def test_config_values_must_have_their_json_types(auth_client, config):
    response = auth_client.post(CHATS, {"config": config}, format="json")

    assert response.status_code == 400
    assert set(config) <= set(response.json()["config"])


def test_creating_chats_faster_than_the_rate_is_a_429(auth_client, settings):
    """Probe finding 8: one user created 1,500 chats in seconds."""
    settings.CHAT_CREATE_THROTTLE_RATE = "3/minute"

    statuses = [auth_client.post("/api/v1/chats/", {}, format="json").status_code for _ in range(5)]

    assert statuses == [201, 201, 201, 429, 429]
    assert auth_client.get("/api/v1/chats/").status_code == 200  # reading is not limited


def test_a_user_at_the_chat_cap_gets_a_clear_400_until_they_delete_some(auth_client, user, settings):
    settings.CHAT_MAX_PER_USER = 2
    first = auth_client.post("/api/v1/chats/", {}, format="json").json()
    auth_client.post("/api/v1/chats/", {}, format="json")

    refused = auth_client.post("/api/v1/chats/", {}, format="json")
    auth_client.delete(f"/api/v1/chats/{first['id']}/")
    allowed = auth_client.post("/api/v1/chats/", {}, format="json")

    assert refused.status_code == 400
    assert "at most 2 chats" in refused.json()["detail"]
    assert allowed.status_code == 201


@pytest.mark.django_db(transaction=True)
def test_the_chat_cap_holds_for_simultaneous_creations_across_two_workers(api_server):
    """Probe 2, finding 8: 1,500 concurrent creations stored 1,002 chats with a cap of 1,000."""
    server = api_server(workers=2, CHAT_MAX_PER_USER="5", CHAT_CREATE_THROTTLE_RATE="1000/minute")
    user = UserFactory()
    ChatBotFactory.create_batch(2, user=user)
    headers = {"Authorization": bearer_client(user)._credentials["HTTP_AUTHORIZATION"]}

    def create(_):
        return httpx.post(f"{server.url}/api/v1/chats/", json={}, headers=headers, timeout=30).status_code

    with ThreadPoolExecutor(8) as pool:
        statuses = list(pool.map(create, range(24)))

    assert sorted(statuses) == [201] * 3 + [400] * 21
    assert ChatBot.objects.filter(user=user).count() == 5
