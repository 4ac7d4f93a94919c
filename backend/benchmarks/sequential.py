"""Sections 1-2: what the API adds to one send at a time, non-streamed (latency) and streamed (time to first token).

Direct-to-mock and API calls alternate so both see the same machine state; the first 20 of each warm up.
"""

from __future__ import annotations

import statistics
import time

import httpx

from benchmarks.figures import ms, percentile
from benchmarks.traffic import direct_body, is_first_token


def time_to_first_token(response: httpx.Response, started: float, *, direct: bool) -> float:
    """Read the whole stream; return when its first content arrived."""
    first = None
    for line in response.iter_lines():
        if first is None and is_first_token(line, direct):
            first = time.perf_counter() - started
    assert first is not None, "the stream carried no content"
    return first


def run(mock_url: str, api_url: str, senders: list, requests: int, *, stream: bool) -> dict:
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


def report(plain: dict, streamed: dict, requests: int) -> None:
    print(f"\n## 1-2. Sequential sends ({requests} each, after 20 warm-up), API minus direct-to-mock\n")
    print("| figure | direct p50 | API p50 | added p50 | direct p99 | API p99 | added p99 | target |")
    print("|---|---|---|---|---|---|---|---|")
    for name, figures, target in (("non-streamed send", plain, "<= 5 ms"), ("streamed TTFT", streamed, "<= 10 ms")):
        print(
            f"| {name} | {ms(figures['direct_p50'])} | {ms(figures['api_p50'])} | **{ms(figures['added_p50'])}** | "
            f"{ms(figures['direct_p99'])} | {ms(figures['api_p99'])} | **{ms(figures['added_p99'])}** | {target} |"
        )
