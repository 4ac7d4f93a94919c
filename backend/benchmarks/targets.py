"""The report's closing table: the performance targets, what was measured against each, met or missed."""

from __future__ import annotations

from benchmarks.figures import ms


def report(cpu: dict, streamed: dict, loop: dict, workers: int) -> None:
    def status(met: bool) -> str:
        return "met" if met else "**missed**"

    at_target = (loop["rate"], loop["duration"], workers) == (100, 30, 2)
    all_done = loop["api"]["completed"] == loop["n"]
    open_met = status(all_done and loop["added_p99"] <= 0.050)
    if not at_target:
        open_met += f" (at {loop['rate']:g}/s for {loop['duration']:g} s on {workers} workers: not the target load)"
    rows = (
        (
            "CPU per relayed chunk <= 0.06 ms, back to back",
            f"{cpu['per_chunk'] * 1000:.3f} ms",
            status(cpu["per_chunk"] <= 60e-6),
        ),
        *(
            (
                f"CPU per relayed chunk <= 0.06 ms, one a read {pause * 1000:g} ms apart",
                f"{p['per_chunk'] * 1000:.3f} ms",
                status(p["per_chunk"] <= 60e-6),
            )
            for pause, p in cpu["spaced"].items()
        ),
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
