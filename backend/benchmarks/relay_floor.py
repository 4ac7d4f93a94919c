"""`python -m benchmarks.relay_floor`: what the least a Python relay can do costs a chunk on this machine.

The floor under issue 24's chunk figure. A bare relay (`app` below: a raw ASGI app under the same
gunicorn, uvicorn, uvloop and httptools as `make serve`, two workers, the upstream read through
aiohttp as `chat.gateway` reads it) forwards the mock's bytes as they arrive: no Django, no
authentication, no JSON parsed, nothing stored, one write per upstream read. It is measured as
section 5 of `make bench` measures the API (its phase sizes and streams in flight; replies of 10
and of 50 chunks, 5 and 40 ms apart; `cpu = sends * a + chunks * b` solved through the two phases,
from the processes' own books), beside the mock's own CPU in the same phases. Whatever our relay
does on top of this can only add to it.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

UPSTREAM = os.environ.get("RELAY_FLOOR_UPSTREAM", "")
_session = None


async def app(scope, receive, send):
    """POST anything: the body goes to the upstream's chat completions, its answer comes back as it is read."""
    global _session
    if scope["type"] == "lifespan":
        while (message := await receive())["type"] != "lifespan.shutdown":
            await send({"type": "lifespan.startup.complete"})
        await send({"type": "lifespan.shutdown.complete"})
        return
    import aiohttp

    body, more = b"", True
    while more:
        message = await receive()
        body, more = body + message.get("body", b""), message.get("more_body", False)
    if _session is None:
        _session = aiohttp.ClientSession()
    headers = {"Content-Type": "application/json"}
    async with _session.post(f"{UPSTREAM}/v1/chat/completions", data=body, headers=headers) as upstream:
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/event-stream")]})
        async for data in upstream.content.iter_any():
            await send({"type": "http.response.body", "body": data, "more_body": True})
    await send({"type": "http.response.body", "body": b"", "more_body": False})


def main() -> None:
    from benchmarks.cpu_accounting import SPACED_DELAYS, SPACED_WORDS, solve, spaced_sends
    from benchmarks.cpu_books import Books
    from benchmarks.traffic import direct_request, load
    from testsupport.servers import Server, free_port, start_mock_llm, wait_until_up

    parser = argparse.ArgumentParser(description=__doc__)
    # Three times section 5's phases by default: a bare relay's CPU is a few clock ticks a phase there.
    parser.add_argument("--requests", type=int, default=900, help="as section 5's count: a third of it a phase")
    parser.add_argument("--concurrency", type=int, default=8, help="as make bench's: 4x this in flight")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    sends, in_flight = spaced_sends(args.requests), 4 * args.concurrency
    mock = start_mock_llm()
    port = free_port()
    relay = subprocess.Popen(  # as the API runs (testsupport.servers.start_api): make serve's gunicorn settings
        [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "benchmarks.relay_floor:app"],
        cwd=Path(__file__).resolve().parent.parent,
        env={
            **os.environ,
            "RELAY_FLOOR_UPSTREAM": mock.url,
            "PORT": str(port),
            "HOST": "127.0.0.1",
            "WEB_CONCURRENCY": str(args.workers),
            "ACCESS_LOG": "false",
        },
        start_new_session=True,
    )
    relay_server = Server(relay, f"http://127.0.0.1:{port}")
    try:
        wait_until_up(f"{relay_server.url}/v1/models", relay)
        books = Books(relay_server, mock)  # the relay in the API's place: master and workers, as section 5 books them
        print(f"{args.workers} workers, {sends} sends a phase, {in_flight} in flight")
        print("| chunks apart | bare relay, CPU a chunk | the mock, CPU a chunk | bare relay, CPU a stream besides |")
        print("|---|---|---|---|")
        for delay in SPACED_DELAYS:
            points = []
            for words in SPACED_WORDS:
                content = f"[[mock:words={words}]] [[mock:chunk_delay={delay:g}]] floor"
                requests = [direct_request(relay_server.url, content, close=False) for _ in range(sends)]
                result, cpu = books.measure(
                    lambda r=requests: load(relay_server.url, "direct", r, concurrency=in_flight)
                )
                assert result["completed"] == sends, result["statuses"] + result["errors"]
                chunks = result["total"] * words  # the content chunks, as the API's deltas count them
                points.append((result["total"], chunks, cpu["api"], cpu["mock"]))
            per_stream, per_chunk = solve(*((s, c, relay_cpu) for s, c, relay_cpu, _ in points))
            _, mock_per_chunk = solve(*((s, c, mock_cpu) for s, c, _, mock_cpu in points))
            print(
                f"| {delay * 1000:g} ms | {per_chunk * 1000:.3f} ms | {mock_per_chunk * 1000:.3f} ms "
                f"| {per_stream * 1000:.2f} ms |"
            )
    finally:
        relay_server.stop()
        mock.stop()


if __name__ == "__main__":
    main()
