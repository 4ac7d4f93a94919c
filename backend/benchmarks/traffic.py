"""What the benchmark sends: request bodies for the mock and the API, the first token, and `load`.

`load` hands raw HTTP requests to the load generator (`benchmarks/loadgen.py`, a process of its
own) and sums up what it reports.
"""

from __future__ import annotations

import json
import subprocess
import sys

from benchmarks.environment import BACKEND, MODEL
from benchmarks.figures import percentile


def direct_body(content: str, stream: bool) -> dict:
    body = {"model": MODEL, "messages": [{"role": "user", "content": content}], "max_tokens": 256, "temperature": 1.0}
    if stream:
        body |= {"stream": True, "stream_options": {"include_usage": True}}
    return body


def is_first_token(line: str, direct: bool) -> bool:
    if not line.startswith("data: ") or line == "data: [DONE]":
        return False
    data = json.loads(line[6:])
    if direct:
        return bool(data.get("choices") and data["choices"][0]["delta"].get("content"))
    return "content" in data and "id" not in data


def raw_request(url: str, path: str, body: dict, headers: dict, *, close: bool) -> str:
    data = json.dumps(body)  # ASCII
    lines = [f"POST {path} HTTP/1.1", f"Host: {url.split('://', 1)[1]}", "Content-Type: application/json"]
    lines += [f"Content-Length: {len(data)}", *(f"{k}: {v}" for k, v in headers.items())]
    if close:
        lines.append("Connection: close")
    return "\r\n".join(lines) + "\r\n\r\n" + data


def api_request(api_url: str, sender: tuple[str, int], content: str, *, stream: bool, close: bool) -> str:
    token, chat_id = sender
    headers = {"Authorization": f"Bearer {token}"} | ({"Accept": "text/event-stream"} if stream else {})
    return raw_request(api_url, f"/api/v1/chats/{chat_id}/messages/", {"content": content}, headers, close=close)


def direct_request(mock_url: str, content: str, *, close: bool) -> str:
    return raw_request(mock_url, "/v1/chat/completions", direct_body(content, True), {}, close=close)


def load(url: str, kind: str, requests: list[str], *, rate: float | None = None, concurrency: int = 0) -> dict:
    """Run `benchmarks.loadgen` on these raw requests; its results, completed count, deltas and own CPU."""
    host, port = url.split("://", 1)[1].rsplit(":", 1)
    job = {"host": host, "port": int(port), "kind": kind, "requests": requests, "timeout": 120.0}
    job |= {"rate": rate} if rate else {"concurrency": concurrency}
    out = subprocess.run(
        [sys.executable, "-m", "benchmarks.loadgen"],
        cwd=BACKEND,
        input=json.dumps(job),
        capture_output=True,
        text=True,
        check=False,
    )
    if out.returncode:
        raise RuntimeError(f"the load generator failed:\n{out.stderr}")
    report = json.loads(out.stdout)
    results = report["results"]
    report |= {
        "total": len(results),
        "completed": sum(r["done"] for r in results),
        "deltas": sum(r["deltas"] for r in results),
        "ttfts": [r["ttft"] for r in results if r["ttft"] is not None],
        "lag_p99": percentile([r["lag"] for r in results], 99),
        "statuses": sorted({r["status"] for r in results if not r["done"]}),
        "errors": sorted({r.get("error", "") for r in results if r.get("error")}),
    }
    return report
