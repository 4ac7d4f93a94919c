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
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the backend, also when run as a script

from benchmarks import bursts, history, sequential
from benchmarks.cpu_books import TICKS, Books
from benchmarks.environment import configure_django, seed, servers
from benchmarks.figures import ms, percentile
from benchmarks.traffic import api_request, direct_request, load

# --- Sections 5 and 6: CPU accounting and the open loop -----------------------------------------


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
            plain = sequential.run(mock.url, api.url, senders[:first_block], requests, stream=False)
            streamed = sequential.run(mock.url, api.url, senders[:first_block], requests, stream=True)
            cpu = cpu_accounting(books, api.url, cpu_senders, cpu_sends, args.concurrency, args.cpu_chunk_delay)
            loop = open_loop(books, mock.url, api.url, open_senders, rate, duration)
            burst_results = [bursts.run(mock.url, api, senders, level) for level in levels] if bursts_on else []
            reads = history.run(api.url, data["reader"], 20 if args.quick else 50)

    sequential.report(plain, streamed, requests)
    if burst_results:
        bursts.report(burst_results)
    history.report(reads, history_chats)
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
