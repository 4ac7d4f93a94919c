"""`make bench`: what the API adds on top of the model, measured against the mock upstream in one run.

1. latency a non-streamed send adds over calling the mock directly (median, p99);
2. time to first streamed token the API adds, same comparison;
3. N simultaneous streaming sends from N users (mock replies take ~2 s): all complete? added TTFT
   p50/p99 against N simultaneous direct streams, server CPU and peak memory;
4. history with 10,000 chats in the database: list page and a 200-turn chat, SQL queries and latency.

Options: `--quick` (small sizes, a smoke run), `--levels 100,300,1000`, `--requests 300`.
`BENCH_DATABASE_URL=postgres://...` runs it on PostgreSQL (the database is emptied first);
the default is a fresh SQLite file.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

BACKEND = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BACKEND))

from testing.servers import start_api, start_mock_llm  # noqa: E402

SLOW_REPLY = "[[mock:latency=0.5]] [[mock:chunk_delay=0.2]] [[mock:words=8]] go"  # ~1.9 s a reply
MODEL = "gpt-4o-mini"
PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")
TICKS = os.sysconf("SC_CLK_TCK")


# --- Set-up -----------------------------------------------------------------------------------


def configure_django(database_url: str) -> None:
    os.environ.update(
        {
            "DATABASE_URL": database_url,
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DJANGO_SECURE_SSL_REDIRECT": "false",
            "JWT_ACCESS_MINUTES": "600",
            "LOG_LEVEL": "WARNING",
        }
    )
    import django

    django.setup()
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v0"], cwd=BACKEND, check=True, env=os.environ
    )


def seed(users: int, *, chats_for_history: int, turns: int) -> dict:
    """Bench users with one chat each, and one user with many chats and a long one."""
    from django.contrib.auth.hashers import make_password
    from rest_framework_simplejwt.tokens import AccessToken

    from accounts.models import User
    from chat.models import ChatBot, Choice, Config, Prompt, Reply

    User.objects.all().delete()
    password = make_password("bench-password-123")
    people = User.objects.bulk_create(
        User(email=f"bench{n}@example.com", password=password, daily_limit=10**9) for n in range(users + 1)
    )
    chats = ChatBot.objects.bulk_create(ChatBot(user=u, title=f"bench {u.pk}") for u in people)
    reader = people[-1]
    chats += ChatBot.objects.bulk_create(
        ChatBot(user=reader, title=f"history {n}") for n in range(chats_for_history - 1)
    )
    Config.objects.bulk_create(Config(chatbot=c, model=MODEL, max_tokens=256) for c in chats)
    long_chat = chats[users]
    prompts = Prompt.objects.bulk_create(
        Prompt(chatbot=long_chat, content=f"question {n} " + "lorem ipsum " * 10) for n in range(turns)
    )
    replies = Reply.objects.bulk_create(
        Reply(chatbot=long_chat, prompt=p, model=MODEL, prompt_tokens=9, completion_tokens=9, total_tokens=18)
        for p in prompts
    )
    Choice.objects.bulk_create(
        Choice(reply=r, content="answer " + "dolor sit " * 20, finish_reason="stop") for r in replies
    )
    return {
        "senders": [(str(AccessToken.for_user(u)), chats[i].pk) for i, u in enumerate(people[:users])],
        "reader": (str(AccessToken.for_user(reader)), long_chat.pk),
    }


# --- Measuring --------------------------------------------------------------------------------


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def direct_body(content: str, stream: bool) -> dict:
    body = {"model": MODEL, "messages": [{"role": "user", "content": content}], "max_tokens": 256, "temperature": 1.0}
    if stream:
        body |= {"stream": True, "stream_options": {"include_usage": True}}
    return body


def is_first_token(line: str, direct: bool) -> bool:
    if not line.startswith("data: ") or line == "data: [DONE]":
        return False
    data = json.loads(line[6:])
    if direct:
        return bool(data.get("choices") and data["choices"][0]["delta"].get("content"))
    return "content" in data and "id" not in data


def time_to_first_token(response: httpx.Response, started: float, *, direct: bool) -> float:
    """Read the whole stream; return when its first content arrived."""
    first = None
    for line in response.iter_lines():
        if first is None and is_first_token(line, direct):
            first = time.perf_counter() - started
    assert first is not None, "the stream carried no content"
    return first


def sequential(mock_url: str, api_url: str, senders: list, requests: int, *, stream: bool) -> dict:
    """Alternate direct and API calls so both see the same machine state."""
    direct_times, api_times = [], []
    headers_stream = {"Accept": "text/event-stream"} if stream else {}
    with httpx.Client(timeout=30) as client:
        for n in range(requests + 20):
            token, chat_id = senders[n % len(senders)]
            content = f"benchmark message {n}"
            started = time.perf_counter()
            if stream:
                with client.stream("POST", f"{mock_url}/v1/chat/completions", json=direct_body(content, True)) as r:
                    direct_elapsed = time_to_first_token(r, started, direct=True)
            else:
                client.post(f"{mock_url}/v1/chat/completions", json=direct_body(content, False)).raise_for_status()
                direct_elapsed = time.perf_counter() - started
            started = time.perf_counter()
            url = f"{api_url}/api/v1/chats/{chat_id}/messages/"
            headers = {"Authorization": f"Bearer {token}", **headers_stream}
            if stream:
                with client.stream("POST", url, json={"content": content}, headers=headers) as r:
                    api_elapsed = time_to_first_token(r, started, direct=False)
            else:
                response = client.post(url, json={"content": content}, headers=headers)
                assert response.status_code == 201, response.text
                api_elapsed = time.perf_counter() - started
            if n >= 20:  # warm-up excluded
                direct_times.append(direct_elapsed)
                api_times.append(api_elapsed)
    return summarise(direct_times, api_times)


def summarise(direct: list[float], api: list[float]) -> dict:
    return {
        "direct_p50": statistics.median(direct),
        "direct_p99": percentile(direct, 99),
        "api_p50": statistics.median(api),
        "api_p99": percentile(api, 99),
        "added_p50": statistics.median(api) - statistics.median(direct),
        "added_p99": percentile(api, 99) - percentile(direct, 99),
    }


class ProcessGroupSampler:
    """CPU seconds and peak resident memory of a server's whole process group (master and workers)."""

    def __init__(self, pgid: int):
        self.pgid = pgid
        self.peak_rss = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _stats(self) -> tuple[float, int]:
        cpu, rss = 0.0, 0
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                fields = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[2]) == self.pgid:  # field 5 of stat: process group
                cpu += (int(fields[11]) + int(fields[12])) / TICKS
                rss += int(fields[21]) * PAGE_SIZE
        return cpu, rss

    def _run(self) -> None:
        while not self._stop.wait(0.2):
            self.peak_rss = max(self.peak_rss, self._stats()[1])

    def __enter__(self):
        self.cpu_start, self.peak_rss = self._stats()
        self.wall_start = time.monotonic()
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        self.cpu_seconds = self._stats()[0] - self.cpu_start
        self.wall_seconds = time.monotonic() - self.wall_start


async def one_stream(
    client: httpx.AsyncClient, url: str, body: dict, headers: dict, direct: bool, start: asyncio.Event
):
    await start.wait()
    started = time.perf_counter()
    ttft, done = None, False
    try:
        async with client.stream("POST", url, json=body, headers=headers) as response:
            async for line in response.aiter_lines():
                if ttft is None and is_first_token(line, direct):
                    ttft = time.perf_counter() - started
                if (direct and line == "data: [DONE]") or line == "event: done":
                    done = True
    except httpx.HTTPError:
        pass
    return ttft, done


async def burst(n: int, mock_url: str, api_url: str | None, senders: list) -> tuple[list[float], int]:
    limits = httpx.Limits(max_connections=n + 10, max_keepalive_connections=n + 10)
    async with httpx.AsyncClient(timeout=120, limits=limits) as client:
        start = asyncio.Event()
        tasks = []
        for i in range(n):
            if api_url is None:
                url, body, headers = f"{mock_url}/v1/chat/completions", direct_body(SLOW_REPLY, True), {}
            else:
                token, chat_id = senders[i]
                url = f"{api_url}/api/v1/chats/{chat_id}/messages/"
                body = {"content": SLOW_REPLY}
                headers = {"Authorization": f"Bearer {token}", "Accept": "text/event-stream"}
            tasks.append(asyncio.create_task(one_stream(client, url, body, headers, api_url is None, start)))
        await asyncio.sleep(0.2)
        start.set()
        results = await asyncio.gather(*tasks)
    ttfts = [t for t, _ in results if t is not None]
    return ttfts, sum(1 for _, done in results if done)


def concurrency(mock_url: str, api, senders: list, level: int) -> dict:
    direct_ttft, direct_done = asyncio.run(burst(level, mock_url, None, senders))
    with ProcessGroupSampler(api.pid) as sampler:
        api_ttft, api_done = asyncio.run(burst(level, mock_url, api.url, senders))
    return {
        "n": level,
        "completed": api_done,
        "direct_completed": direct_done,
        "added_p50": statistics.median(api_ttft) - statistics.median(direct_ttft) if api_ttft else float("nan"),
        "added_p99": percentile(api_ttft, 99) - percentile(direct_ttft, 99) if api_ttft else float("nan"),
        "cpu": sampler.cpu_seconds,
        "wall": sampler.wall_seconds,
        "peak_rss_mb": sampler.peak_rss / 2**20,
    }


def history(api_url: str, reader: tuple[str, int], repeats: int) -> dict:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    token, chat_id = reader
    paths = {"list page": "/api/v1/chats/", "200-turn chat": f"/api/v1/chats/{chat_id}/"}
    client = Client(HTTP_AUTHORIZATION=f"Bearer {token}", HTTP_HOST="127.0.0.1")
    results = {}
    with httpx.Client(timeout=30, headers={"Authorization": f"Bearer {token}"}) as http:
        for name, path in paths.items():
            with CaptureQueriesContext(connection) as captured:
                assert client.get(path).status_code == 200
            queries = len(captured)  # now: the next request clears the connection's log
            in_process, over_http = [], []
            for _ in range(repeats):
                started = time.perf_counter()
                client.get(path)
                in_process.append(time.perf_counter() - started)
                started = time.perf_counter()
                assert http.get(f"{api_url}{path}").status_code == 200
                over_http.append(time.perf_counter() - started)
            results[name] = {
                "queries": queries,
                "in_process": statistics.median(in_process),
                "over_http": statistics.median(over_http),
            }
    return results


# --- Report -----------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="small sizes: a smoke run")
    parser.add_argument("--levels", default=None, help="comma-separated concurrency levels (default 100,300,1000)")
    parser.add_argument("--requests", type=int, default=None, help="sequential sends per latency figure")
    parser.add_argument("--workers", type=int, default=2, help="API worker processes")
    args = parser.parse_args()
    levels = [int(n) for n in (args.levels or ("20,50" if args.quick else "100,300,1000")).split(",")]
    requests = args.requests or (30 if args.quick else 300)
    history_chats, turns = (500, 200) if args.quick else (10_000, 200)

    with tempfile.TemporaryDirectory() as scratch:
        database_url = os.environ.get("BENCH_DATABASE_URL") or f"sqlite:///{scratch}/bench.sqlite3"
        configure_django(database_url)
        print(f"database: {database_url.split('@')[-1]}; API workers: {args.workers}; cores: {os.cpu_count()}")
        data = seed(max(levels), chats_for_history=history_chats, turns=turns)
        mock = start_mock_llm()
        api = start_api(
            database_url=database_url,
            openai_base_url=f"{mock.url}/v1",
            workers=args.workers,
            JWT_ACCESS_MINUTES="600",
        )
        try:
            plain = sequential(mock.url, api.url, data["senders"], requests, stream=False)
            streamed = sequential(mock.url, api.url, data["senders"], requests, stream=True)
            bursts = [concurrency(mock.url, api, data["senders"], level) for level in levels]
            reads = history(api.url, data["reader"], 20 if args.quick else 50)
        finally:
            api.stop()
            mock.stop()

    print(f"\n## 1-2. Sequential sends ({requests} each, after 20 warm-up), API minus direct-to-mock\n")
    print("| figure | direct p50 | API p50 | added p50 | direct p99 | API p99 | added p99 | target |")
    print("|---|---|---|---|---|---|---|---|")
    for name, figures, target in (("non-streamed send", plain, "<= 5 ms"), ("streamed TTFT", streamed, "<= 10 ms")):
        print(
            f"| {name} | {ms(figures['direct_p50'])} | {ms(figures['api_p50'])} | **{ms(figures['added_p50'])}** | "
            f"{ms(figures['direct_p99'])} | {ms(figures['api_p99'])} | **{ms(figures['added_p99'])}** | {target} |"
        )
    print("\n## 3. Simultaneous streaming sends (one user each, mock reply ~1.9 s)\n")
    print("| N | completed | added TTFT p50 | added TTFT p99 | server CPU | server peak RSS | target |")
    print("|---|---|---|---|---|---|---|")
    for b in bursts:
        print(
            f"| {b['n']} | {b['completed']}/{b['n']} (direct {b['direct_completed']}) | {ms(b['added_p50'])} | "
            f"**{ms(b['added_p99'])}** | {b['cpu']:.1f} s CPU in {b['wall']:.1f} s | {b['peak_rss_mb']:.0f} MB | "
            f"all complete, p99 <= 250 ms |"
        )
    print(f"\n## 4. History ({history_chats:,} chats in the database)\n")
    print("| request | SQL queries | median in-process | median over HTTP | target |")
    print("|---|---|---|---|---|")
    for name, figures in reads.items():
        print(
            f"| {name} | {figures['queries']} | {ms(figures['in_process'])} | {ms(figures['over_http'])} | "
            "<= 5 queries, <= 20 ms |"
        )


if __name__ == "__main__":
    main()
