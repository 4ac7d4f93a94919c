"""Section 6: the open loop: new streamed sends arrive on a fixed clock, each from another user.

Replies of 50 chunks 40 ms apart; the same schedule straight to the mock first, then through the
API: do all finish, TTFT and added TTFT p50/p99, and the API's CPU over the phase.
"""

from __future__ import annotations

import statistics
import time

from benchmarks.cpu_books import Books
from benchmarks.figures import ms, percentile
from benchmarks.traffic import api_request, direct_request, load

OPEN_LOOP_REPLY = "[[mock:words=50]] [[mock:chunk_delay=0.04]] open loop"  # 50 chunks 40 ms apart


def run(books: Books, mock_url: str, api_url: str, senders: list, rate: float, duration: float) -> dict:
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


def report(loop: dict, cpu: dict) -> None:
    print(
        f"\n## 6. Open loop: {loop['rate']:g} new streams/s for {loop['duration']:g} s, one user each, "
        "2-second streams (50 chunks 40 ms apart)\n"
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
