"""`make bench`: what the API adds on top of the model, measured against the mock upstream in one run.

1. latency a non-streamed send adds over calling the mock directly (median, p99);
2. time to first streamed token the API adds, same comparison;
3. (with `--bursts`) N simultaneous streaming sends from N users (mock replies take ~2 s): all
   complete? added TTFT p50/p99 against N simultaneous direct streams, server CPU and peak memory;
4. history with 10,000 chats in the database: list page and a 200-turn chat, SQL queries and latency;
5. CPU from the processes' own books (utime+stime in /proc/<pid>/stat of the gunicorn master and
   its workers, and of the mock): two phases of streamed sends, replies of 1 and of 200 chunks,
   solve cpu = sends * a + chunks * b for a (per send apart from its chunks) and b (per relayed
   chunk), the same for the mock; and CPU per non-streamed send; then the chunk as models stream
   it, one token per event 5 ms and 40 ms apart (one network read a chunk);
6. open loop: new streamed sends arrive on a fixed clock (default 100 a second for 30 s), each from
   another user, replies of 50 chunks 40 ms apart; the same schedule straight to the mock first,
   then through the API: all finish? TTFT and added TTFT p50/p99, API CPU over the phase. A
   stream lasts 2 seconds;
7. history at scale (`benchmarks/history_scale.py`): one user with 100,000 messages in 2,000 chats
   among 300,000 of others: `?search=`, the list's first page, a 2,000-turn chat's detail (full and
   `?turns=20`) against a 10-turn chat's, p50/p99 over HTTP and the ratio to a direct mock request.

A "Targets" table closes the report. The load comes from `benchmarks/loadgen.py`, a process of its
own that does as little as it can (raw HTTP over asyncio, no SSE parsing beyond what it times).

Options: `--quick` (small sizes, a smoke run), `--requests 300`, `--cpu-sends 300`,
`--concurrency 8`, `--rate 100`, `--duration 30`, `--bursts` (section 3; `--levels 100,300,1000`
implies it), `--only history` (sections 4 and 7 alone, no sends). `BENCH_DATABASE_URL=postgres://...`
runs it on PostgreSQL (the database is emptied first: give it a fresh one, deleting 400,000 seeded
prompts row by row is slow); the default is a fresh SQLite file.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the backend, also when run as a script

from benchmarks import bursts, cpu_accounting, history, history_scale, open_loop, sequential, targets
from benchmarks.cpu_books import Books
from benchmarks.environment import configure_django, seed, servers
from benchmarks.history_seed import FULL, QUICK, seed_history


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
    parser.add_argument("--only", choices=["history"], help="only these sections (history: 4 and 7)")
    args = parser.parse_args()
    bursts_on = args.bursts or args.levels is not None
    levels = [int(n) for n in (args.levels or ("20,50" if args.quick else "100,300,1000")).split(",")]
    requests = args.requests or (30 if args.quick else 300)
    cpu_sends = args.cpu_sends or (40 if args.quick else 300)
    rate = args.rate or (50.0 if args.quick else 100.0)
    duration = args.duration or (5.0 if args.quick else 30.0)
    history_chats, turns = (500, 200) if args.quick else (10_000, 200)
    scale_reads = 20 if args.quick else 100
    # Every send from a chat of its own: the first block serves sections 1-3, then one per phase.
    first_block = max([requests + 20, *(levels if bursts_on else [])])
    open_sends = round(rate * duration)

    with tempfile.TemporaryDirectory() as scratch:
        database_url = os.environ.get("BENCH_DATABASE_URL") or f"sqlite:///{scratch}/bench.sqlite3"
        configure_django(database_url)
        print(f"database: {database_url.split('@')[-1]}; API workers: {args.workers}; cores: {os.cpu_count()}")
        if args.only == "history":
            first_block = cpu_sends = open_sends = 0
        cpu_block = cpu_accounting.senders_needed(cpu_sends) if cpu_sends else 0
        data = seed(first_block + cpu_block + open_sends, chats_for_history=history_chats, turns=turns)
        at_scale = seed_history(QUICK if args.quick else FULL)
        senders = data["senders"]
        cpu_senders = senders[first_block : first_block + cpu_block]
        open_senders = senders[first_block + cpu_block :]
        with servers(database_url, workers=args.workers) as (mock, api):
            if args.only == "history":
                history.report(history.run(api.url, data["reader"], 20 if args.quick else 50), history_chats)
                history_scale.report(history_scale.run(mock.url, api.url, at_scale, scale_reads), at_scale, scale_reads)
                return
            books = Books(api, mock)
            _, idle = books.measure(lambda: time.sleep(1.0))
            plain = sequential.run(mock.url, api.url, senders[:first_block], requests, stream=False)
            streamed = sequential.run(mock.url, api.url, senders[:first_block], requests, stream=True)
            cpu = cpu_accounting.run(books, api.url, cpu_senders, cpu_sends, args.concurrency, args.cpu_chunk_delay)
            loop = open_loop.run(books, mock.url, api.url, open_senders, rate, duration)
            burst_results = [bursts.run(mock.url, api, senders, level) for level in levels] if bursts_on else []
            reads = history.run(api.url, data["reader"], 20 if args.quick else 50)
            reads_at_scale = history_scale.run(mock.url, api.url, at_scale, scale_reads)

    sequential.report(plain, streamed, requests)
    if burst_results:
        bursts.report(burst_results)
    history.report(reads, history_chats)
    history_scale.report(reads_at_scale, at_scale, scale_reads)
    cpu_accounting.report(cpu, idle, cpu_sends, args.concurrency, args.cpu_chunk_delay)
    open_loop.report(loop, cpu)
    targets.report(cpu, streamed, loop, args.workers)


if __name__ == "__main__":
    main()
