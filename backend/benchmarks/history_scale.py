"""Section 7: reads that could grow with the tables, over HTTP, against a direct request to the mock.

The searcher of `history_seed` has 100,000 messages in 2,000 chats (others have 300,000 more). Each
request is timed over HTTP to the API, alternating with a `GET /v1/models` straight to the mock in
the same run (the cheapest round trip this machine does), so the ratio says how far a read is from
a bare HTTP answer. SQL statements per request are counted in-process (Django's test client).
"""

from __future__ import annotations

import statistics
import time

import httpx

from benchmarks.figures import ms, percentile

WARM_UP = 10


def requests_to_time(data: dict) -> dict[str, tuple[str, str]]:
    """name -> (path, target): the search, the list, the long and the short chat's full and paged detail."""
    scale = data["scale"]
    long_chat, short_chat = data["long_chat"], data["short_chat"]
    page = scale.short_turns  # a page the short chat fills: both pages then hold the same turns' worth
    return {
        f"search, {scale.messages:,} messages": (f"/api/v1/chats/?search={data['search_word']}", "<= 20 ms p50"),
        "search, no match": ("/api/v1/chats/?search=zzqqxx", ""),
        f"chat list, first page of {scale.chats:,}": ("/api/v1/chats/", "<= 10 ms p50"),
        f"detail, {scale.long_turns:,}-turn chat": (f"/api/v1/chats/{long_chat}/", ""),
        f"detail, {scale.short_turns}-turn chat": (f"/api/v1/chats/{short_chat}/", ""),
        f"detail ?turns={page}, {scale.long_turns:,}-turn chat": (
            f"/api/v1/chats/{long_chat}/?turns={page}",
            "within 10 %",
        ),
        f"detail ?turns={page}, {scale.short_turns}-turn chat": (f"/api/v1/chats/{short_chat}/?turns={page}", ""),
    }


def run(mock_url: str, api_url: str, data: dict, repeats: int) -> dict:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(HTTP_AUTHORIZATION=f"Bearer {data['token']}", HTTP_HOST="127.0.0.1")
    results = {}
    with httpx.Client(timeout=60, headers={"Authorization": f"Bearer {data['token']}"}) as http:
        for name, (path, target) in requests_to_time(data).items():
            # A long chat's full detail takes a second or more here: fewer rounds of it.
            long = f"/{data['long_chat']}/" in path
            rounds, warm_up = (max(5, repeats // 5), 2) if long else (repeats, WARM_UP)
            with CaptureQueriesContext(connection) as captured:
                assert client.get(path).status_code == 200
            queries = len(captured)
            direct, api = [], []
            for n in range(rounds + warm_up):
                started = time.perf_counter()
                http.get(f"{mock_url}/v1/models").raise_for_status()
                direct_elapsed = time.perf_counter() - started
                started = time.perf_counter()
                response = http.get(f"{api_url}{path}")
                api_elapsed = time.perf_counter() - started
                assert response.status_code == 200, response.text
                if n >= warm_up:
                    direct.append(direct_elapsed)
                    api.append(api_elapsed)
            results[name] = {
                "target": target,
                "rounds": rounds,
                "queries": queries,
                "results": response.json().get("count", len(response.json().get("prompts", []))),
                "direct_p50": statistics.median(direct),
                "api_p50": statistics.median(api),
                "api_p99": percentile(api, 99),
            }
    return results


def report(reads: dict, data: dict, repeats: int) -> None:
    scale = data["scale"]
    print(
        f"\n## 7. History at scale: one user with {scale.messages:,} messages in {scale.chats:,} chats, "
        f"{scale.other_messages:,} more of {scale.others} others ({repeats} requests each over HTTP, "
        f"{max(5, repeats // 5)} of the long chat's detail)\n"
    )
    print("| request | SQL | chats or turns | API p50 | API p99 | direct p50 | p50 ratio to direct | target |")
    print("|---|---|---|---|---|---|---|---|")
    for name, f in reads.items():
        print(
            f"| {name} | {f['queries']} | {f['results']:,} | **{ms(f['api_p50'])}** | {ms(f['api_p99'])} | "
            f"{ms(f['direct_p50'])} | {f['api_p50'] / f['direct_p50']:.1f}x | {f['target']} |"
        )
    page = scale.short_turns
    long_paged = reads[f"detail ?turns={page}, {scale.long_turns:,}-turn chat"]["api_p50"]
    short_paged = reads[f"detail ?turns={page}, {scale.short_turns}-turn chat"]["api_p50"]
    print(f"\nPaged detail, long chat against short: {long_paged / short_paged:.2f}x (target <= 1.10x).")
