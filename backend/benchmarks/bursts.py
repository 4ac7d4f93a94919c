"""Section 3 (`--bursts`): N simultaneous streaming sends from N users against N simultaneous direct streams.

Mock replies take ~1.9 s, so all N are open at once: do they all complete, what do they add to the
time to first token, and what do the API's processes spend in CPU and peak memory meanwhile?
"""

from __future__ import annotations

import asyncio
import statistics
import time

import httpx

from benchmarks.cpu_books import ProcessGroupSampler
from benchmarks.figures import ms, percentile
from benchmarks.traffic import direct_body, is_first_token
from testsupport.servers import Server

SLOW_REPLY = "[[mock:latency=0.5]] [[mock:chunk_delay=0.2]] [[mock:words=8]] go"  # ~1.9 s a reply


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


def run(mock_url: str, api: Server, senders: list, level: int) -> dict:
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


def report(bursts: list[dict]) -> None:
    print("\n## 3. Simultaneous streaming sends (one user each, mock reply ~1.9 s)\n")
    print("| N | completed | added TTFT p50 | added TTFT p99 | server CPU | server peak RSS | target |")
    print("|---|---|---|---|---|---|---|")
    for b in bursts:
        print(
            f"| {b['n']} | {b['completed']}/{b['n']} (direct {b['direct_completed']}) | {ms(b['added_p50'])} | "
            f"**{ms(b['added_p99'])}** | {b['cpu']:.1f} s CPU in {b['wall']:.1f} s | {b['peak_rss_mb']:.0f} MB | "
            f"all complete, p99 <= 250 ms |"
        )
