"""The SSE writer's bounded coalescing window: the first event at once, close events together, none held
past the window."""

import asyncio
import time

from chat.api.event_stream import COALESCE_WINDOW, coalesced_writes

# The window is promised to add at most 20 ms to any piece; a loaded test machine gets some slack.
SLACK = 0.030


async def produced(pause: float, count: int, stamps: dict[bytes, float], finished: list[str]):
    """`count` events `pause` seconds apart, each stamped with when it was produced."""
    try:
        for n in range(count):
            if n:
                await asyncio.sleep(pause)
            event = f"<{n}>".encode()
            stamps[event] = time.monotonic()
            yield event
        finished.append("end")
    except asyncio.CancelledError:
        finished.append("cancelled")
        raise
    finally:
        finished.append("closed")


async def written(pause: float, count: int) -> tuple[list[tuple[float, bytes]], dict[bytes, float]]:
    stamps, writes = {}, []
    async for data in coalesced_writes(produced(pause, count, stamps, [])):
        writes.append((time.monotonic(), data))
    return writes, stamps


def delays(writes, stamps) -> list[float]:
    return [at - stamps[event] for at, data in writes for event in stamps if event in data]


def test_events_close_together_leave_in_fewer_writes_none_held_past_the_window():
    writes, stamps = asyncio.run(written(0.002, 60))

    assert b"".join(data for _, data in writes) == b"".join(f"<{n}>".encode() for n in range(60))
    assert writes[0][1] == b"<0>"  # the first token is never held
    assert len(writes) < 30
    assert max(delays(writes, stamps)) <= COALESCE_WINDOW + SLACK


def test_events_further_apart_than_the_window_each_leave_at_once():
    writes, stamps = asyncio.run(written(COALESCE_WINDOW * 3, 8))

    assert [data for _, data in writes] == [f"<{n}>".encode() for n in range(8)]
    waits = sorted(delays(writes, stamps))
    assert waits[len(waits) // 2] < COALESCE_WINDOW / 3  # not held for the window


def test_a_consumer_that_goes_away_during_a_held_read_cancels_the_source():
    async def go_away() -> list[str]:
        finished: list[str] = []
        writes = coalesced_writes(produced(0.004, 1000, {}, finished))
        for _ in range(3):
            await anext(writes)  # the second write comes from a read on the writer's own task
        await writes.aclose()
        return finished

    finished = asyncio.run(go_away())

    assert "end" not in finished
    assert finished[-1] == "closed"
