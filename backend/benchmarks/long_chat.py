"""`make bench-long-chat`: a 200-turn chat past the model's window, with summaries on and off.

1. In-process: CPU to build one send's request from the 200-turn chat (chat.history), with each
   turn's token count stored, and with none stored (every turn counted again, as before counts
   were kept), for a window the whole chat fits in and one it does not;
2. over HTTP (`make serve`'s server, the mock upstream): streamed sends to copies of the chat
   (`OPENAI_CONTEXT_WINDOWS=gpt-4o-mini=4000`), `CHAT_SUMMARY` on and off: prompt tokens sent
   upstream (o200k_base), the time to the first token (the first send of each chat makes the
   summary, the next ones reuse it), and the API's CPU per send.

Options: `--sends 10` (per chat phase), `--chats 3`.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx

from benchmarks.cpu_books import Books
from benchmarks.environment import MODEL, configure_django
from benchmarks.figures import ms
from benchmarks.seeding import chain_turns
from benchmarks.sequential import time_to_first_token
from testsupport.servers import start_api, start_mock_llm

TURNS = 200
QUESTION = (
    "Question {n}: my sister's wedding is in Busan; I need the bus from Seoul, a hotel near the beach and a gift."
)
ANSWER = "Answer {n}: take the KTX or an express bus from Seoul Express Bus Terminal, about four hours; " * 2


def make_chats(count: int):
    from rest_framework_simplejwt.tokens import AccessToken

    from accounts.models import User
    from chat.models import ChatBot, Choice, Config, Prompt, Reply

    user = User.objects.create(email=f"long{time.monotonic_ns()}@example.com", daily_limit=10**9)
    chats = []
    for _ in range(count):
        chat = ChatBot.objects.create(user=user, title="long chat")
        Config.objects.create(chatbot=chat, model=MODEL, max_tokens=256)
        prompts = Prompt.objects.bulk_create(Prompt(chatbot=chat, content=QUESTION.format(n=n)) for n in range(TURNS))
        chain_turns(prompts)
        replies = Reply.objects.bulk_create(Reply(chatbot=chat, prompt=p, model=MODEL) for p in prompts)
        Choice.objects.bulk_create(Choice(reply=r, content=ANSWER.format(n=n)) for n, r in enumerate(replies))
        chats.append(chat.pk)
    return str(AccessToken.for_user(user)), chats


def build_cpu(chat_id: int, repeats: int) -> dict:
    from django.test import override_settings

    from chat.history import build_history
    from chat.models import ChatBot, Choice, Prompt

    chat = ChatBot.objects.select_related("config").get(pk=chat_id)
    results = {}
    for window_name, window in (("whole chat fits (128k)", 128_000), ("past the window (4k)", 4000)):
        with override_settings(OPENAI_CONTEXT_WINDOWS={MODEL: window}, CHAT_SUMMARY=False):
            for counts in ("stored", "none stored"):
                times, sent = [], 0
                for _ in range(repeats):
                    if counts == "none stored":
                        Prompt.objects.filter(chatbot=chat).update(tokens=None, tokens_by="")
                        Choice.objects.filter(reply__chatbot=chat).update(tokens=None, tokens_by="")
                    else:
                        build_history(chat=chat, content="warm")
                    started = time.process_time()
                    history = build_history(chat=chat, content="And what should I wear?")
                    times.append(time.process_time() - started)
                    sent = len(history.turns)
                results[(window_name, counts)] = (statistics.median(times), sent)
    return results


def http_phase(api, books: Books, mock_url: str, token: str, chats: list[int], sends: int) -> dict:
    from chat.tokens import TOKENS_PER_MESSAGE, counter_for

    counter = counter_for(MODEL)
    first, later, tokens = [], [], []
    headers = {"Authorization": f"Bearer {token}", "Accept": "text/event-stream"}

    def run():
        with httpx.Client(timeout=60) as http:
            for chat_id in chats:
                for number in range(sends):
                    httpx.delete(f"{mock_url}/_mock/requests")
                    started = time.perf_counter()
                    with http.stream(
                        "POST",
                        f"{api.url}/api/v1/chats/{chat_id}/messages/",
                        json={"content": f"send {number} [[mock:words=20]]"},
                        headers=headers,
                    ) as response:
                        ttft = time_to_first_token(response, started, direct=False)
                    (first if number == 0 else later).append(ttft)
                    call = httpx.get(f"{mock_url}/_mock/requests").json()[-1]["body"]["messages"]
                    tokens.append(sum(counter.count(m["content"]) + TOKENS_PER_MESSAGE for m in call) + 3)

    _, cpu = books.measure(run)
    return {
        "first_ttft": statistics.median(first),
        "later_ttft": statistics.median(later) if later else 0.0,
        "tokens": statistics.median(tokens),
        "max_tokens_sent": max(tokens),
        "cpu_per_send": cpu["api"] / (len(chats) * sends),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sends", type=int, default=10)
    parser.add_argument("--chats", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        database_url = os.environ.get("BENCH_DATABASE_URL") or f"sqlite:///{scratch}/bench.sqlite3"
        configure_django(database_url)
        _, (cpu_chat,) = make_chats(1)
        cpu = build_cpu(cpu_chat, repeats=20)
        phases = {}
        mock = start_mock_llm()
        try:
            for summary in ("on", "off"):
                token, chats = make_chats(args.chats)
                api = start_api(
                    database_url=database_url,
                    openai_base_url=f"{mock.url}/v1",
                    workers=1,
                    JWT_ACCESS_MINUTES="600",
                    OPENAI_CONTEXT_WINDOWS=f"{MODEL}=4000",
                    CHAT_SUMMARY=summary,
                )
                try:
                    phases[summary] = http_phase(api, Books(api, mock), mock.url, token, chats, args.sends)
                finally:
                    api.stop()
        finally:
            mock.stop()

    print(f"\n## Long chat ({TURNS} turns)\n")
    print("| building one send's request | median CPU | turns sent |")
    print("|---|---|---|")
    for (window, counts), (seconds, sent) in cpu.items():
        print(f"| {window}, token counts {counts} | {ms(seconds)} | {sent} |")
    print("\n| streamed sends, window 4000, max_tokens 256 | summary on | summary off |")
    print("|---|---|---|")
    on, off = phases["on"], phases["off"]
    print(
        f"| prompt tokens sent upstream (median / max) | {on['tokens']:.0f} / {on['max_tokens_sent']} | "
        f"{off['tokens']:.0f} / {off['max_tokens_sent']} |"
    )
    print(f"| time to first token, a chat's first send | {ms(on['first_ttft'])} | {ms(off['first_ttft'])} |")
    print(f"| time to first token, the next sends | {ms(on['later_ttft'])} | {ms(off['later_ttft'])} |")
    print(f"| API CPU per send | {ms(on['cpu_per_send'])} | {ms(off['cpu_per_send'])} |")


if __name__ == "__main__":
    main()
