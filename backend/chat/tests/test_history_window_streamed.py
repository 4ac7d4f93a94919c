"""A streamed send past the context window, through `make serve`'s server configured by the environment."""

import pytest

from chat.models import ChatSummary, DailyUsage
from chat.tests.factories import ChatBotFactory, exchange
from chat.tests.test_history_window import ENGLISH, MAX_TOKENS, SUMMARY_MARK, sent_tokens
from chat.tests.test_streaming import read_events, stream

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_streamed_send_folds_the_dropped_turns_first_and_the_window_holds(api_server, mock_llm):
    server = api_server(
        workers=1, OPENAI_CONTEXT_WINDOWS="gpt-4o-mini=1200", CHAT_SUMMARY_MAX_TOKENS="80", CHAT_SUMMARY="on"
    )
    chat = ChatBotFactory(config__max_tokens=MAX_TOKENS)
    for n in range(30):
        exchange(chat, ENGLISH.format(n=n), "Answer to " + ENGLISH.format(n=n))

    with stream(server, chat, "one more [[mock:words=5]]") as response:
        events = read_events(response)

    assert response.status_code == 200
    assert events[-1][1] == "done"
    summary_call, call = mock_llm.requests()
    assert summary_call["body"]["messages"][0]["content"].startswith(SUMMARY_MARK)
    assert not summary_call["stream"] and call["stream"]
    assert sent_tokens(call["body"]["messages"]) <= 1200 - MAX_TOKENS
    summary = ChatSummary.objects.get(chatbot=chat)
    assert summary.content in call["body"]["messages"][0]["content"]
    assert DailyUsage.objects.get(user=chat.user).used == 1
