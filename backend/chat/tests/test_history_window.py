"""The history within the model's context window: token counts, the budget, the summary of dropped turns.

Sends go through our API to the mock OpenAI server over HTTP; what the model was sent is read back
from the mock's request log and counted with OpenAI's own encoding.
"""

import pytest

from chat.history import SUMMARY_HEADING
from chat.models import ChatSummary, Choice, DailyUsage, Prompt, ServiceTokenUsage
from chat.sending.summary import SUMMARY_SYSTEM_PROMPT
from chat.tests.factories import ChatBotFactory, exchange
from chat.tokens import TOKENS_PER_MESSAGE, counter_for

pytestmark = pytest.mark.django_db

WINDOW = 1500
MAX_TOKENS = 256
SUMMARY_MARK = SUMMARY_SYSTEM_PROMPT[:40]

ENGLISH = (
    "Turn {n}: my sister's wedding is in Busan and I need a plan for the bus from Seoul, "
    "the hotel near Haeundae beach, and a gift that is not too expensive."
)
KOREAN = (
    "{n}번째 질문: 다음 달 부산에서 언니 결혼식이 있어서 "
    "서울에서 가는 버스와 해운대 근처 호텔, 너무 비싸지 않은 선물을 알려 주세요."
)


@pytest.fixture
def small_window(settings):
    settings.OPENAI_CONTEXT_WINDOWS = {**settings.OPENAI_CONTEXT_WINDOWS, "gpt-4o-mini": WINDOW}
    settings.CHAT_SUMMARY_MAX_TOKENS = 100
    settings.CHAT_SUMMARY = True


def send(client, chat, content):
    return client.post(f"/api/v1/chats/{chat.pk}/messages/", {"content": content}, format="json")


def sent_tokens(messages) -> int:
    """What OpenAI counts for these messages (o200k_base, three tokens a message, three to prime the reply)."""
    counter = counter_for("gpt-4o-mini")
    assert counter.by == "o200k_base"
    return sum(counter.count(m["content"]) + TOKENS_PER_MESSAGE for m in messages) + 3


def long_chat(user, template, turns=40):
    chat = ChatBotFactory(user=user, config__max_tokens=MAX_TOKENS)
    for n in range(turns):
        exchange(chat, template.format(n=n), "Answer to " + template.format(n=n))
    return chat


def summary_calls(mock_llm):
    return [r for r in mock_llm.requests() if r["body"]["messages"][0]["content"].startswith(SUMMARY_MARK)]


def chat_calls(mock_llm):
    return [r for r in mock_llm.requests() if not r["body"]["messages"][0]["content"].startswith(SUMMARY_MARK)]


@pytest.mark.parametrize("template", [ENGLISH, KOREAN], ids=["english", "korean"])
def test_a_chat_past_the_window_sends_a_summary_and_the_newest_turns_within_the_budget(
    auth_client, user, mock_llm, small_window, template
):
    chat = long_chat(user, template)

    response = send(auth_client, chat, "And what should I wear?")

    assert response.status_code == 201
    (summary_call,) = summary_calls(mock_llm)
    (call,) = chat_calls(mock_llm)
    messages = call["body"]["messages"]
    assert sent_tokens(messages) <= WINDOW - MAX_TOKENS
    assert messages[0]["role"] == "system"
    assert messages[0]["content"].startswith(SUMMARY_HEADING)
    assert messages[-1] == {"role": "user", "content": "And what should I wear?"}
    turns = messages[1:-1]
    assert 2 <= len(turns) < 40 * 2
    assert turns[-2]["content"] == template.format(n=39)  # the newest turn is kept

    # The summary call folded the oldest turns (from the first on), asked for the chat's language.
    fold = summary_call["body"]["messages"]
    assert "language the conversation is held in" in fold[0]["content"]
    assert template.format(n=0) in fold[1]["content"]
    assert summary_call["body"]["max_tokens"] == 100
    # It is stored with the chat and shown in its detail, covering the turns not sent.
    stored = ChatSummary.objects.get(chatbot=chat)
    assert messages[0]["content"] == SUMMARY_HEADING + stored.content
    first_sent = Prompt.objects.get(chatbot=chat, content=turns[0]["content"])
    assert stored.covers_until_prompt_id < first_sent.pk
    detail = auth_client.get(f"/api/v1/chats/{chat.pk}/").json()
    assert detail["summary"]["content"] == stored.content
    assert detail["summary"]["covers_until_prompt_id"] == stored.covers_until_prompt_id
    assert detail["summary"]["updated_at"]


def test_the_summary_costs_no_completion_and_is_kept_as_the_service_usage(auth_client, user, mock_llm, small_window):
    from prometheus_client import REGISTRY

    def counted(kind):
        labels = {"purpose": "summary", "kind": kind}
        return REGISTRY.get_sample_value("chatbot_service_tokens_total", labels) or 0.0

    chat = long_chat(user, ENGLISH)
    before = counted("prompt"), counted("completion")

    send(auth_client, chat, "next")

    assert auth_client.get("/api/v1/auth/me/").json()["quota"]["used"] == 1
    (summary_call,) = summary_calls(mock_llm)
    usage = ServiceTokenUsage.objects.get()
    assert (usage.kind, usage.model, usage.user_id, usage.chatbot_id) == ("summary", "gpt-4o-mini", user.pk, chat.pk)
    # what the upstream reported for that call (the mock counts words), its reply cut at max_tokens
    assert usage.prompt_tokens == sum(len(m["content"].split()) for m in summary_call["body"]["messages"])
    assert usage.completion_tokens == 100
    assert (counted("prompt") - before[0], counted("completion") - before[1]) == (usage.prompt_tokens, 100)
    day = DailyUsage.objects.get(user=user)
    reply = Prompt.objects.get(chatbot=chat, content="next").reply
    assert (day.used, day.prompt_tokens, day.completion_tokens) == (1, reply.prompt_tokens, reply.completion_tokens)


def test_the_next_sends_reuse_the_summary_until_more_turns_fall_out(
    auth_client, user, mock_llm, small_window, settings
):
    settings.CHAT_DAILY_LIMIT = 20
    chat = long_chat(user, ENGLISH)
    send(auth_client, chat, "first")
    summary = ChatSummary.objects.get(chatbot=chat)

    send(auth_client, chat, "second")

    assert len(summary_calls(mock_llm)) == 1  # room was left for the chat to grow
    assert chat_calls(mock_llm)[-1]["body"]["messages"][0]["content"] == SUMMARY_HEADING + summary.content
    for n in range(8):
        send(auth_client, chat, ENGLISH.format(n=100 + n))
    assert len(summary_calls(mock_llm)) == 2  # then the summary is folded further
    again = ChatSummary.objects.get(chatbot=chat)
    assert again.covers_until_prompt_id > summary.covers_until_prompt_id
    assert summary.content[:200] in summary_calls(mock_llm)[-1]["body"]["messages"][1]["content"]
    for call in chat_calls(mock_llm):
        assert sent_tokens(call["body"]["messages"]) <= WINDOW - MAX_TOKENS


def test_a_failing_summary_call_leaves_plain_trimming_and_the_send_goes_on(auth_client, user, mock_llm, small_window):
    chat = ChatBotFactory(user=user, config__max_tokens=MAX_TOKENS)
    exchange(chat, "[[mock:status=500]] an old turn that makes the summary call fail", "ok")
    for n in range(40):
        exchange(chat, ENGLISH.format(n=n), "Answer")

    response = send(auth_client, chat, "still there?")

    assert response.status_code == 201
    assert len(summary_calls(mock_llm)) == 1
    messages = chat_calls(mock_llm)[-1]["body"]["messages"]
    assert not any(m["content"].startswith(SUMMARY_HEADING) for m in messages)
    assert sent_tokens(messages) <= WINDOW - MAX_TOKENS
    assert messages[-3]["content"] == ENGLISH.format(n=39)
    assert not ChatSummary.objects.exists()
    assert ServiceTokenUsage.objects.get().completion_tokens == 0  # a 500 may come after the work: held still
    assert DailyUsage.objects.get(user=user).used == 1


def test_a_summary_call_that_times_out_keeps_its_worst_case_on_the_services_book(
    auth_client, user, mock_llm, small_window, settings
):
    settings.CHAT_SUMMARY_TIMEOUT = 0.3
    chat = ChatBotFactory(user=user, config__max_tokens=MAX_TOKENS)
    exchange(chat, "[[mock:hang]] an old turn that makes the summary call hang", "ok")
    for n in range(40):
        exchange(chat, ENGLISH.format(n=n), "Answer")

    response = send(auth_client, chat, "still there?")

    assert response.status_code == 201  # plain trimming
    assert len(summary_calls(mock_llm)) == 1
    assert not ChatSummary.objects.exists()
    (held,) = ServiceTokenUsage.objects.all()  # the model may have generated all the same
    assert (held.kind, held.completion_tokens) == ("summary", 0)
    assert held.prompt_tokens > settings.CHAT_SUMMARY_MAX_TOKENS  # the estimate of the prompt and max_tokens


def test_with_summaries_off_the_oldest_turns_are_only_dropped(auth_client, user, mock_llm, small_window, settings):
    settings.CHAT_SUMMARY = False
    chat = long_chat(user, ENGLISH)

    send(auth_client, chat, "plain")

    assert summary_calls(mock_llm) == []
    messages = chat_calls(mock_llm)[-1]["body"]["messages"]
    assert messages[0]["role"] == "user"
    assert sent_tokens(messages) <= WINDOW - MAX_TOKENS
    assert WINDOW - MAX_TOKENS - sent_tokens(messages) < 400  # the room is used, not wasted
    assert auth_client.get(f"/api/v1/chats/{chat.pk}/").json()["summary"] is None


def test_each_turn_keeps_its_token_count_and_older_turns_are_counted_once(auth_client, user, mock_llm, small_window):
    chat = long_chat(user, KOREAN, turns=5)
    assert set(Prompt.objects.filter(chatbot=chat).values_list("tokens", flat=True)) == {None}

    send(auth_client, chat, "안녕하세요")

    counter = counter_for("gpt-4o-mini")
    for prompt in Prompt.objects.filter(chatbot=chat):
        assert (prompt.tokens, prompt.tokens_by) == (counter.count(prompt.content), "o200k_base")
    for choice in Choice.objects.filter(reply__chatbot=chat):
        assert (choice.tokens, choice.tokens_by) == (counter.count(choice.content), "o200k_base")


def test_an_unknown_model_is_estimated_then_calibrated_on_the_upstream_usage(auth_client, user, mock_llm, settings):
    from chat import tokens

    settings.OPENAI_ALLOWED_MODELS = [*settings.OPENAI_ALLOWED_MODELS, "local-llama"]
    chat = ChatBotFactory(user=user, config__model="local-llama")
    exchange(chat, "one two three four five six seven eight", "nine ten eleven twelve")
    assert counter_for("local-llama").by == "estimate"
    assert tokens.counter_for("local-llama").scale() == 1.0

    assert send(auth_client, chat, "thirteen fourteen").status_code == 201

    # The mock counts words, fewer than the estimate: the next budget is in the upstream's tokens.
    reported = Prompt.objects.get(chatbot=chat, content="thirteen fourteen").reply.prompt_tokens
    assert reported > 0
    assert tokens.counter_for("local-llama").scale() < 1.0
    prompt = Prompt.objects.get(chatbot=chat, content="thirteen fourteen")
    assert (prompt.tokens, prompt.tokens_by) == (tokens.estimate("thirteen fourteen"), "estimate")


def test_the_export_carries_the_summary(auth_client, user, mock_llm, small_window):
    chat = long_chat(user, ENGLISH)
    send(auth_client, chat, "next")
    summary = ChatSummary.objects.get(chatbot=chat)

    markdown = auth_client.get(f"/api/v1/chats/{chat.pk}/export/", HTTP_ACCEPT="text/markdown").content.decode()
    document = auth_client.get(f"/api/v1/chats/{chat.pk}/export/", {"format": "json"}).json()

    assert "## Earlier turns summarised" in markdown
    assert summary.content in markdown
    assert markdown.index("## Earlier turns summarised") < markdown.index("## Conversation")
    assert document["summary"]["content"] == summary.content
    assert document["summary"]["covers_until_prompt_id"] == summary.covers_until_prompt_id


def test_a_summary_the_services_ceiling_cannot_take_is_not_asked_for_and_the_send_trims(
    auth_client, user, mock_llm, small_window, settings
):
    from prometheus_client import REGISTRY

    def over_ceiling():
        labels = {"purpose": "summary", "outcome": "over_ceiling"}
        return REGISTRY.get_sample_value("chatbot_service_calls_total", labels)

    # The send's worst case (its window of history and max_tokens, ~3,000 tokens) fits; folding
    # 120 turns' worth (~17,000 estimated) does not.
    settings.SERVICE_DAILY_TOKENS = 10_000
    chat = long_chat(user, ENGLISH, turns=120)
    before = over_ceiling() or 0.0

    response = send(auth_client, chat, "And what should I wear?")

    assert response.status_code == 201
    assert summary_calls(mock_llm) == []
    (call,) = chat_calls(mock_llm)
    assert sent_tokens(call["body"]["messages"]) <= WINDOW - MAX_TOKENS  # plain trimming
    assert not ChatSummary.objects.filter(chatbot=chat).exists()
    assert not ServiceTokenUsage.objects.exists()  # nothing held is left behind
    assert over_ceiling() == before + 1
