"""Section 5: CPU per streamed send and per relayed chunk, from the processes' own books.

Closed loop (a fixed number of sends in flight), every send from a chat of its own, three phases:
streamed with replies of 1 and of 200 chunks, then non-streamed. `cpu = sends * a + chunks * b`
through the two streamed phases gives `a` (per send apart from its chunks) and `b` (per relayed
chunk), for the API and for the mock. Back to back, one network read carries many chunks.

Then the chunk as models stream it, one token per event with a pause between events
(`SPACED_DELAYS`, 5 and 40 ms), so every chunk is a network read of its own: for each pause two
phases, replies of 10 and of 50 chunks, more sends in flight (the phases are mostly waiting), and
the same solve gives `b` per read (independent of the noisier per-send figure).
"""

from __future__ import annotations

from benchmarks.cpu_books import TICKS, Books
from benchmarks.traffic import api_request, load


def solve(p1: tuple[float, float, float], p2: tuple[float, float, float]) -> tuple[float, float]:
    """cpu = sends * a + chunks * b through two (sends, chunks, cpu) points: (a, b)."""
    (s1, c1, cpu1), (s2, c2, cpu2) = p1, p2
    det = s1 * c2 - s2 * c1
    return (cpu1 * c2 - cpu2 * c1) / det, (s1 * cpu2 - s2 * cpu1) / det


SPACED_DELAYS = (0.005, 0.04)  # seconds between events, as models stream
SPACED_WORDS = (10, 50)


def spaced_sends(sends: int) -> int:
    """Sends in each spaced phase (each reply takes 50 x the delay)."""
    return max(16, sends // 3)


def senders_needed(sends: int) -> int:
    return 3 * sends + len(SPACED_DELAYS) * len(SPACED_WORDS) * spaced_sends(sends)


def run(books: Books, api_url: str, senders: list, sends: int, concurrency: int, delay: float) -> dict:
    """Three closed-loop phases, `sends` each, then the spaced ones; every send from a chat of its own."""
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
        result, cpu = books.measure(lambda r=requests, k=kind: load(api_url, k, r, concurrency=concurrency))
        phases[name] = {
            "sends": result["total"],
            "completed": result["completed"],
            "chunks": result["deltas"],
            "statuses": result["statuses"] + result["errors"],
            "client_cpu": result["cpu"],
            **cpu,
        }
    one, many, plain = phases.values()
    a, b = solve(*((p["sends"], p["chunks"], p["api"]) for p in (one, many)))
    a_mock, b_mock = solve(*((p["sends"], p["chunks"], p["mock"]) for p in (one, many)))
    spaced, start, count = {}, 3 * sends, spaced_sends(sends)
    for pause in SPACED_DELAYS:
        points = []
        for words in SPACED_WORDS:
            content = f"[[mock:words={words}]] [[mock:chunk_delay={pause:g}]] cpu"
            requests = [
                api_request(api_url, s, content, stream=True, close=False) for s in senders[start : start + count]
            ]
            start += count
            result, cpu = books.measure(lambda r=requests: load(api_url, "api", r, concurrency=4 * concurrency))
            points.append((result, cpu))
        (short, short_cpu), (long, long_cpu) = points
        per_send, per_chunk = solve(*((r["total"], r["deltas"], c["api"]) for r, c in points))
        _, mock_per_chunk = solve(*((r["total"], r["deltas"], c["mock"]) for r, c in points))
        spaced[pause] = {
            "sends": short["total"] + long["total"],
            "completed": short["completed"] + long["completed"],
            "chunks": short["deltas"] + long["deltas"],
            "statuses": sorted({*short["statuses"], *short["errors"], *long["statuses"], *long["errors"]}),
            "per_send": per_send,
            "per_chunk": per_chunk,
            "mock_per_chunk": mock_per_chunk,
            "machine_busy": (short_cpu["machine_busy"] + long_cpu["machine_busy"]) / 2,
        }
    return {
        "spaced": spaced,
        "phases": phases,
        "per_send": a,
        "per_chunk": b,
        "mock_per_send": a_mock,
        "mock_per_chunk": b_mock,
        "plain_per_send": plain["api"] / plain["sends"],
        "plain_mock_per_send": plain["mock"] / plain["sends"],
    }


def report(cpu: dict, idle: dict, sends: int, in_flight: int, delay: float) -> None:
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
    for pause, p in cpu["spaced"].items():
        ratio = p["per_chunk"] / p["mock_per_chunk"] if p["mock_per_chunk"] > 0 else float("nan")
        failed = f", failed: {', '.join(map(str, p['statuses']))}" if p["statuses"] else ""
        print(
            f"| CPU per relayed chunk, one a read, {pause * 1000:g} ms apart ({p['completed']}/{p['sends']} sends, "
            f"{p['chunks']} chunks{failed}; a: {p['per_send'] * 1000:.2f} ms) | **{p['per_chunk'] * 1000:.3f} ms** | "
            f"{p['mock_per_chunk'] * 1000:.3f} ms | {ratio:.1f}x | <= 0.06 ms |"
        )
