"""`make bench`: what the API adds on top of the model, measured against the mock upstream in one run.

1. latency a non-streamed send adds over calling the mock directly (median, p99);
2. time to first streamed token the API adds, same comparison;
3. (with `--bursts`) N simultaneous streaming sends from N users (mock replies take ~2 s): all
   complete? added TTFT p50/p99 against N simultaneous direct streams, server CPU and peak memory;
4. history with 10,000 chats in the database: list page and a 200-turn chat, SQL queries and latency;
5. CPU from the processes' own books (utime+stime in /proc/<pid>/stat of the gunicorn master and
   its workers, and of the mock): two phases of streamed sends, replies of 1 and of 200 chunks,
   solve cpu = sends * a + chunks * b for a (per send apart from its chunks) and b (per relayed
   chunk), the same for the mock; and CPU per non-streamed send;
6. open loop: new streamed sends arrive on a fixed clock (default 100 a second for 30 s), each from
   another user, replies of 50 chunks 40 ms apart; the same schedule straight to the mock first,
   then through the API: all finish? TTFT and added TTFT p50/p99, API CPU over the phase.

A "Targets" table closes the report. The load comes from `benchmarks/loadgen.py`, a process of its
own that does as little as it can (raw HTTP over asyncio, no SSE parsing beyond what it times).

Options: `--quick` (small sizes, a smoke run), `--requests 300`, `--cpu-sends 300`,
`--concurrency 8`, `--rate 100`, `--duration 30`, `--bursts` (section 3; `--levels 100,300,1000`
implies it). `BENCH_DATABASE_URL=postgres://...` runs it on PostgreSQL (the database is emptied
first); the default is a fresh SQLite file.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the backend, also when run as a script

from benchmarks.cpu_books import TICKS, Books, ProcessGroupSampler
from benchmarks.environment import configure_django, seed, servers
from benchmarks.figures import ms, percentile
from benchmarks.traffic import api_request, direct_body, direct_request, is_first_token, load

SLOW_REPLY = "[[mock:latency=0.5]] [[mock:chunk_delay=0.2]] [[mock:words=8]] go"  # ~1.9 s a reply


# --- Measuring --------------------------------------------------------------------------------


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


# --- CPU from the processes' own books, and the load generator --------------------------------


def solve(p1: tuple[float, float, float], p2: tuple[float, float, float]) -> tuple[float, float]:
    """cpu = sends * a + chunks * b through two (sends, chunks, cpu) points: (a, b)."""
    (s1, c1, cpu1), (s2, c2, cpu2) = p1, p2
    det = s1 * c2 - s2 * c1
    return (cpu1 * c2 - cpu2 * c1) / det, (s1 * cpu2 - s2 * cpu1) / det


def cpu_accounting(books: Books, api_url: str, senders: list, sends: int, concurrency: int, delay: float) -> dict:
    """Three closed-loop phases, `sends` each, every send from a chat of its own."""
    pace = f" [[mock:chunk_delay={delay:g}]]" if delay else ""
    cpu_phases = {  # name: (message, streamed)
        "streamed, 1-word replies": ("[[mock:words=1]] cpu", True),
        "streamed, 200-word replies": (f"[[mock:words=200]]{pace} cpu", True),
        "non-streamed, 1-word replies": ("[[mock:words=1]] cpu", False),
    }
    phases = {}
    for n, (name, (content, stream)) in enumerate(cpu_phases.items()):
        requests = [
            api_request(api_url, sender, content, stream=stream, close=False)
            for sender in senders[n * sends : (n + 1) * sends]
        ]
        kind = "api" if stream else "plain"
        report, cpu = books.measure(lambda r=requests, k=kind: load(api_url, k, r, concurrency=concurrency))
        phases[name] = {
            "sends": report["total"],
            "completed": report["completed"],
            "chunks": report["deltas"],
            "statuses": report["statuses"] + report["errors"],
            "client_cpu": report["cpu"],
            **cpu,
        }
    one, many, plain = phases.values()
    a, b = solve(*((p["sends"], p["chunks"], p["api"]) for p in (one, many)))
    a_mock, b_mock = solve(*((p["sends"], p["chunks"], p["mock"]) for p in (one, many)))
    return {
        "phases": phases,
        "per_send": a,
        "per_chunk": b,
        "mock_per_send": a_mock,
        "mock_per_chunk": b_mock,
        "plain_per_send": plain["api"] / plain["sends"],
        "plain_mock_per_send": plain["mock"] / plain["sends"],
    }


OPEN_LOOP_REPLY = "[[mock:words=50]] [[mock:chunk_delay=0.04]] open loop"  # 50 chunks 40 ms apart


def open_loop(books: Books, mock_url: str, api_url: str, senders: list, rate: float, duration: float) -> dict:
    """The same fixed arrival schedule, straight to the mock, then through the API (a user each)."""
    n = round(rate * duration)
    direct_requests = [direct_request(mock_url, OPEN_LOOP_REPLY, close=True)] * n
    direct, direct_cpu = books.measure(lambda: load(mock_url, "direct", direct_requests, rate=rate))
    time.sleep(1)
    api_requests = [api_request(api_url, s, OPEN_LOOP_REPLY, stream=True, close=True) for s in senders[:n]]
    api, api_cpu = books.measure(lambda: load(api_url, "api", api_requests, rate=rate))
    result = {"rate": rate, "duration": duration, "n": n, "direct": direct | direct_cpu, "api": api | api_cpu}
    for side in ("direct", "api"):
        ttfts = result[side]["ttfts"]
        result[side]["p50"] = statistics.median(ttfts) if ttfts else float("nan")
        result[side]["p99"] = percentile(ttfts, 99) if ttfts else float("nan")
    result["added_p50"] = result["api"]["p50"] - result["direct"]["p50"]
    result["added_p99"] = result["api"]["p99"] - result["direct"]["p99"]
    result["cpu_per_send"] = result["api"]["api"] / n
    return result


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
    parser.add_argument("--bursts", action="store_true", help="also section 3, the simultaneous bursts")
    parser.add_argument("--levels", default=None, help="burst sizes (default 100,300,1000); implies --bursts")
    parser.add_argument("--requests", type=int, default=None, help="sequential sends per latency figure")
    parser.add_argument("--cpu-sends", type=int, default=None, help="sends per CPU-accounting phase (default 300)")
    parser.add_argument("--concurrency", type=int, default=8, help="sends in flight in the CPU-accounting phases")
    parser.add_argument(
        "--cpu-chunk-delay", type=float, default=0.0, help="seconds between the 200 chunks of the CPU phase (default 0)"
    )
    parser.add_argument("--rate", type=float, default=None, help="open loop: new streams a second (default 100)")
    parser.add_argument("--duration", type=float, default=None, help="open loop: seconds of arrivals (default 30)")
    parser.add_argument("--workers", type=int, default=2, help="API worker processes")
    args = parser.parse_args()
    bursts_on = args.bursts or args.levels is not None
    levels = [int(n) for n in (args.levels or ("20,50" if args.quick else "100,300,1000")).split(",")]
    requests = args.requests or (30 if args.quick else 300)
    cpu_sends = args.cpu_sends or (40 if args.quick else 300)
    rate = args.rate or (50.0 if args.quick else 100.0)
    duration = args.duration or (5.0 if args.quick else 30.0)
    history_chats, turns = (500, 200) if args.quick else (10_000, 200)
    # Every send from a chat of its own: the first block serves sections 1-3, then one per phase.
    first_block = max([requests + 20, *(levels if bursts_on else [])])
    open_sends = round(rate * duration)

    with tempfile.TemporaryDirectory() as scratch:
        database_url = os.environ.get("BENCH_DATABASE_URL") or f"sqlite:///{scratch}/bench.sqlite3"
        configure_django(database_url)
        print(f"database: {database_url.split('@')[-1]}; API workers: {args.workers}; cores: {os.cpu_count()}")
        data = seed(first_block + 3 * cpu_sends + open_sends, chats_for_history=history_chats, turns=turns)
        senders = data["senders"]
        cpu_senders = senders[first_block : first_block + 3 * cpu_sends]
        open_senders = senders[first_block + 3 * cpu_sends :]
        with servers(database_url, workers=args.workers) as (mock, api):
            books = Books(api, mock)
            _, idle = books.measure(lambda: time.sleep(1.0))
            plain = sequential(mock.url, api.url, senders[:first_block], requests, stream=False)
            streamed = sequential(mock.url, api.url, senders[:first_block], requests, stream=True)
            cpu = cpu_accounting(books, api.url, cpu_senders, cpu_sends, args.concurrency, args.cpu_chunk_delay)
            loop = open_loop(books, mock.url, api.url, open_senders, rate, duration)
            bursts = [concurrency(mock.url, api, senders, level) for level in levels] if bursts_on else []
            reads = history(api.url, data["reader"], 20 if args.quick else 50)

    print(f"\n## 1-2. Sequential sends ({requests} each, after 20 warm-up), API minus direct-to-mock\n")
    print("| figure | direct p50 | API p50 | added p50 | direct p99 | API p99 | added p99 | target |")
    print("|---|---|---|---|---|---|---|---|")
    for name, figures, target in (("non-streamed send", plain, "<= 5 ms"), ("streamed TTFT", streamed, "<= 10 ms")):
        print(
            f"| {name} | {ms(figures['direct_p50'])} | {ms(figures['api_p50'])} | **{ms(figures['added_p50'])}** | "
            f"{ms(figures['direct_p99'])} | {ms(figures['api_p99'])} | **{ms(figures['added_p99'])}** | {target} |"
        )
    if bursts:
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
    report_cpu(cpu, idle, cpu_sends, args.concurrency, args.cpu_chunk_delay)
    report_open_loop(loop, cpu)
    report_targets(cpu, streamed, loop, args.workers)


def report_cpu(cpu: dict, idle: dict, sends: int, in_flight: int, delay: float) -> None:
    pace = f"{delay * 1000:g} ms between chunks" if delay else "no chunk delay"
    print(f"\n## 5. CPU from the processes' own books ({sends} sends a phase, {in_flight} in flight, {pace})\n")
    print(
        f"Idle for {idle['wall']:.1f} s: API workers {idle['api'] * 1000:.0f} ms CPU, mock "
        f"{idle['mock'] * 1000:.0f} ms (clock tick: {1000 / TICKS:.0f} ms); the machine's cores "
        f"{idle['machine_busy']:.0%} busy meanwhile.\n"
    )
    print(
        "| phase | completed | chunks received | API workers CPU | mock CPU | load generator CPU | wall | "
        "all cores busy | other CPU |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for name, p in cpu["phases"].items():
        failed = f" (failed: {', '.join(map(str, p['statuses']))})" if p["statuses"] else ""
        print(
            f"| {name} | {p['completed']}/{p['sends']}{failed} | {p['chunks']} | {p['api']:.2f} s | "
            f"{p['mock']:.2f} s | {p['client_cpu']:.2f} s | {p['wall']:.1f} s | {p['machine_busy']:.0%} | "
            f"{p['machine_cpu'] - p['api'] - p['mock'] - p['client_cpu']:.2f} s |"
        )
    print(
        "\n(other CPU: the machine's busy time less these three, i.e. the kernel's network work not charged to "
        "a process, and anything else running meanwhile)"
    )
    print("\nSolving cpu = sends * a + chunks * b over the two streamed phases:\n")
    print("| figure | API workers | mock | API / mock | target |")
    print("|---|---|---|---|---|")
    rows = (
        ("CPU per streamed send apart from its chunks (a)", "per_send", "mock_per_send", "<= 4 ms"),
        ("CPU per relayed chunk (b)", "per_chunk", "mock_per_chunk", "<= 0.06 ms"),
        ("CPU per non-streamed send (1-word reply)", "plain_per_send", "plain_mock_per_send", ""),
    )
    for name, ours, theirs, target in rows:
        ratio = cpu[ours] / cpu[theirs] if cpu[theirs] > 0 else float("nan")
        print(f"| {name} | **{cpu[ours] * 1000:.3f} ms** | {cpu[theirs] * 1000:.3f} ms | {ratio:.1f}x | {target} |")


def report_open_loop(loop: dict, cpu: dict) -> None:
    print(
        f"\n## 6. Open loop: {loop['rate']:g} new streams/s for {loop['duration']:g} s, one user each, "
        "50 chunks 40 ms apart\n"
    )
    print(
        "| run | completed | TTFT p50 | TTFT p99 | arrival lag p99 | API workers CPU | mock CPU | "
        "load generator CPU | wall | all cores busy | other CPU |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for name, side in (("direct to mock", loop["direct"]), ("through the API", loop["api"])):
        failed = side["statuses"] + side["errors"]
        failed = f" (failed: {', '.join(map(str, failed))})" if failed else ""
        print(
            f"| {name} | {side['completed']}/{side['total']}{failed} | {ms(side['p50'])} | {ms(side['p99'])} | "
            f"{ms(side['lag_p99'])} | {side['api']:.2f} s | {side['mock']:.2f} s | {side['cpu']:.2f} s | "
            f"{side['wall']:.1f} s | {side['machine_busy']:.0%} | "
            f"{side['machine_cpu'] - side['api'] - side['mock'] - side['cpu']:.2f} s |"
        )
    print(
        f"\nAdded TTFT (API minus direct): p50 **{ms(loop['added_p50'])}**, p99 **{ms(loop['added_p99'])}**; "
        f"API workers CPU per send: **{loop['cpu_per_send'] * 1000:.2f} ms** "
        f"({loop['api']['api'] / loop['api']['wall'] * 100:.0f}% of one core over the run); "
        f"section 5's a + 50 b predicts {(cpu['per_send'] + 50 * cpu['per_chunk']) * 1000:.2f} ms. "
        "Mock CPU per chunk here (direct run, less section 5's per-send a): "
        f"{(loop['direct']['mock'] / loop['n'] - cpu['mock_per_send']) / 50 * 1000:.3f} ms. "
        f"API CPU by worker: {', '.join(f'{w:.1f} s' for w in loop['api']['api_workers'])} "
        f"(the master: {loop['api']['api'] - sum(loop['api']['api_workers']):.2f} s)."
    )


def report_targets(cpu: dict, streamed: dict, loop: dict, workers: int) -> None:
    def status(met: bool) -> str:
        return "met" if met else "**missed**"

    at_target = (loop["rate"], loop["duration"], workers) == (100, 30, 2)
    all_done = loop["api"]["completed"] == loop["n"]
    open_met = status(all_done and loop["added_p99"] <= 0.050)
    if not at_target:
        open_met += f" (at {loop['rate']:g}/s for {loop['duration']:g} s on {workers} workers: not the target load)"
    rows = (
        ("CPU per relayed chunk <= 0.06 ms", f"{cpu['per_chunk'] * 1000:.3f} ms", status(cpu["per_chunk"] <= 60e-6)),
        (
            "CPU per streamed send apart from its chunks <= 4 ms",
            f"{cpu['per_send'] * 1000:.2f} ms",
            status(cpu["per_send"] <= 0.004),
        ),
        (
            "added time to first token p50 <= 3 ms, sequentially",
            ms(streamed["added_p50"]),
            status(streamed["added_p50"] <= 0.003),
        ),
        (
            "open loop, 100 new streams/s for 30 s on 2 workers: every stream finishes, added TTFT p99 <= 50 ms",
            f"{loop['api']['completed']}/{loop['n']} finished, added p99 {ms(loop['added_p99'])}",
            open_met,
        ),
    )
    print("\n## Targets\n")
    print("| target | measured | status |")
    print("|---|---|---|")
    for row in rows:
        print("| " + " | ".join(row) + " |")


if __name__ == "__main__":
    main()
