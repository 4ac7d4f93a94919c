"""`python -m benchmarks.relay_floor`: what the least a Python relay can do costs a chunk on this machine.

The floor under issue 24's chunk figure. A bare relay (`app` below: a raw ASGI app on the same
uvicorn, uvloop and httptools as `make serve`, one worker, the upstream read through aiohttp as
`chat.gateway` reads it) forwards the mock's bytes as they arrive: no Django, no authentication,
no JSON parsed, nothing stored, one write per upstream read. It is measured as section 5 of
`make bench` measures the API (replies of 10 and of 50 chunks, `--delay` apart; `cpu = sends * a
+ chunks * b` solved through the two phases, from the processes' own books), beside the mock's own
CPU in the same phases. Whatever our relay does on top of this can only add to it.
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
    from benchmarks.cpu_accounting import solve
    from benchmarks.cpu_books import cpu_of
    from benchmarks.traffic import direct_request, load
    from testsupport.servers import Server, free_port, start_mock_llm, wait_until_up

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sends", type=int, default=200, help="streams in each of the two phases")
    parser.add_argument("--delay", type=float, action="append", help="seconds between chunks (again for more)")
    parser.add_argument("--in-flight", type=int, default=32)
    args = parser.parse_args()
    mock = start_mock_llm()
    port = free_port()
    server = ["--port", str(port), "--no-access-log", "--log-level", "warning", "--loop", "uvloop"]
    server += ["--http", "httptools"]
    relay = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "benchmarks.relay_floor:app", *server],
        cwd=Path(__file__).resolve().parent.parent,
        env={**os.environ, "RELAY_FLOOR_UPSTREAM": mock.url},
        start_new_session=True,
    )
    relay_server = Server(relay, f"http://127.0.0.1:{port}")
    try:
        wait_until_up(f"{relay_server.url}/v1/models", relay)
        print("| chunks apart | bare relay, CPU a chunk | the mock, CPU a chunk | bare relay, CPU a stream besides |")
        print("|---|---|---|---|")
        for delay in args.delay or [0.005, 0.04]:
            points = []
            for words in (10, 50):
                content = f"[[mock:words={words}]] [[mock:chunk_delay={delay:g}]] floor"
                requests = [direct_request(relay_server.url, content, close=False) for _ in range(args.sends)]
                before = cpu_of(relay.pid), cpu_of(mock.pid)
                result = load(relay_server.url, "direct", requests, concurrency=args.in_flight)
                after = cpu_of(relay.pid), cpu_of(mock.pid)
                assert result["completed"] == args.sends, result["statuses"] + result["errors"]
                chunks = result["total"] * words  # the content chunks, as the API's deltas count them
                points.append((result["total"], chunks, after[0] - before[0], after[1] - before[1]))
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
