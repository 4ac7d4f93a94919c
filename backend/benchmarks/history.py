"""Section 4: reading history with many chats in the database: the list page and a 200-turn chat.

SQL queries per request, and the median time in-process (Django's test client) and over HTTP.
"""

from __future__ import annotations

import statistics
import time

import httpx

from benchmarks.figures import ms


def run(api_url: str, reader: tuple[str, int], repeats: int) -> dict:
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


def report(reads: dict, history_chats: int) -> None:
    print(f"\n## 4. History ({history_chats:,} chats in the database)\n")
    print("| request | SQL queries | median in-process | median over HTTP | target |")
    print("|---|---|---|---|---|")
    for name, figures in reads.items():
        print(
            f"| {name} | {figures['queries']} | {ms(figures['in_process'])} | {ms(figures['over_http'])} | "
            "<= 5 queries, <= 20 ms |"
        )
