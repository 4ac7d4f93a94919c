"""The benchmark's load generator: a process of its own, stdlib (and uvloop if present) only.

It shares the machine's cores with the API and the mock, so it does as little as it can: raw
HTTP/1.1 over asyncio protocols, the response de-chunked but not otherwise parsed, except to find

- "api": the first `event: delta` (first token) and `event: done` (finished); it counts the deltas;
- "direct": the first OpenAI chunk with non-empty content (a few JSON lines) and `data: [DONE]`;
- "plain": a whole non-streamed response (its status says whether it succeeded).

Reads a JSON job on stdin, writes a JSON result on stdout (see `main`). Two schedules:
`rate` (open loop: request i starts at start + i/rate, whatever happened to the earlier ones,
each on a new connection, times measured from the scheduled start) or `concurrency` (closed
loop: that many keep-alive connections, each sending its next request when the last one ended).
"""

from __future__ import annotations

import asyncio
import json
import sys
import time

perf_counter = time.perf_counter

END = {"api": b"event: done", "direct": b"data: [DONE]"}


class Response:
    """One HTTP response, fed bytes as they come."""

    __slots__ = (
        "body",
        "buf",
        "chunked",
        "done",
        "first_at",
        "future",
        "head",
        "keep_alive",
        "kind",
        "length",
        "scan",
        "status",
    )

    def __init__(self, kind: str, future: asyncio.Future):
        self.kind = kind
        self.future = future
        self.buf = bytearray()
        self.body = bytearray()
        self.head = False
        self.status = 0
        self.chunked = False
        self.length: int | None = None
        self.keep_alive = True
        self.scan = 0
        self.first_at: float | None = None
        self.done = False

    def feed(self, data: bytes) -> None:
        if self.future.done():
            return
        buf = self.buf
        buf += data
        if not self.head:
            end = buf.find(b"\r\n\r\n")
            if end < 0:
                return
            lines = bytes(buf[:end]).decode("latin-1").split("\r\n")
            self.status = int(lines[0].split()[1])
            for line in lines[1:]:
                name, _, value = line.partition(":")
                name, value = name.strip().lower(), value.strip().lower()
                if name == "transfer-encoding" and "chunked" in value:
                    self.chunked = True
                elif name == "content-length":
                    self.length = int(value)
                elif name == "connection" and "close" in value:
                    self.keep_alive = False
            del buf[: end + 4]
            self.head = True
        finished = False
        if self.chunked:
            pos = 0
            while True:
                line_end = buf.find(b"\r\n", pos)
                if line_end < 0:
                    break
                size = int(buf[pos:line_end].split(b";")[0], 16)
                if size == 0:  # the last chunk (no trailers expected)
                    finished = len(buf) >= line_end + 4
                    break
                if len(buf) < line_end + 4 + size:
                    break
                self.body += buf[line_end + 2 : line_end + 2 + size]
                pos = line_end + 4 + size
            del buf[:pos]
        else:
            self.body += buf
            buf.clear()
            finished = self.length is not None and len(self.body) >= self.length
        if self.first_at is None and self.kind != "plain":
            self._look_for_first()
        if finished:
            self.finish()

    def _look_for_first(self) -> None:
        body = self.body
        if self.kind == "api":
            if body.find(b"event: delta", max(0, self.scan - 12)) >= 0:
                self.first_at = perf_counter()
            self.scan = len(body)
            return
        while True:  # direct: complete lines only, JSON-decoded until the first content
            line_end = body.find(b"\n", self.scan)
            if line_end < 0:
                return
            line = body[self.scan : line_end]
            self.scan = line_end + 1
            if line.startswith(b"data: {"):
                choices = json.loads(line[6:]).get("choices")
                if choices and (choices[0].get("delta") or {}).get("content"):
                    self.first_at = perf_counter()
                    return

    def finish(self, eof: bool = False) -> None:
        if self.future.done():
            return
        if eof and self.head and not self.chunked and self.length is None:
            eof = False  # a body delimited by the connection's end is complete at EOF
        if self.kind == "plain":
            self.first_at = perf_counter()
            self.done = not eof and 200 <= self.status < 300
        else:
            end = END[self.kind]
            self.done = not eof and self.status == 200 and self.body.find(end) >= 0
            if self.kind == "api" and b"event: error" in self.body:
                self.done = False
        self.future.set_result(self)


class Connection(asyncio.Protocol):
    def __init__(self):
        self.transport = None
        self.response: Response | None = None
        self.lost = False

    def connection_made(self, transport):
        self.transport = transport

    def data_received(self, data):
        if self.response is not None:
            self.response.feed(data)

    def eof_received(self):
        self.lost = True
        if self.response is not None:
            self.response.finish(eof=True)
        return False

    def connection_lost(self, exc):
        self.lost = True
        if self.response is not None:
            self.response.finish(eof=True)

    def send(self, raw: bytes, kind: str) -> asyncio.Future:
        future = asyncio.get_running_loop().create_future()
        self.response = Response(kind, future)
        self.transport.write(raw)
        return future


def record(response: Response | None, started: float, lag: float, error: str = "") -> dict:
    if response is None:
        return {"status": 0, "ttft": None, "done": False, "deltas": 0, "lag": lag, "error": error}
    ttft = response.first_at - started if response.first_at is not None else None
    deltas = response.body.count(b"event: delta") if response.kind == "api" else 0
    return {"status": response.status, "ttft": ttft, "done": response.done, "deltas": deltas, "lag": lag}


async def open_loop(job: dict) -> list[dict]:
    loop = asyncio.get_running_loop()
    host, port, kind, timeout, rate = job["host"], job["port"], job["kind"], job["timeout"], job["rate"]
    results: list[dict | None] = [None] * len(job["requests"])

    async def one(i: int, raw: bytes, scheduled: float) -> None:
        lag = perf_counter() - scheduled
        started = min(scheduled, scheduled + lag)  # a timer may fire a little early: then from now
        connection = None
        try:
            async with asyncio.timeout(timeout):
                _, connection = await loop.create_connection(Connection, host, port)
                response = await connection.send(raw, kind)
            results[i] = record(response, started, lag)
        except (OSError, TimeoutError) as error:
            results[i] = record(None, started, lag, type(error).__name__)
        finally:
            if connection is not None and connection.transport is not None:
                connection.transport.close()

    tasks = []
    start = perf_counter() + 0.05
    for i, request in enumerate(job["requests"]):
        scheduled = start + i / rate
        delay = scheduled - perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(i, request.encode("latin-1"), scheduled)))
    await asyncio.gather(*tasks)
    return results


async def closed_loop(job: dict) -> list[dict]:
    loop = asyncio.get_running_loop()
    host, port, kind, timeout = job["host"], job["port"], job["kind"], job["timeout"]
    requests = [r.encode("latin-1") for r in job["requests"]]
    results: list[dict | None] = [None] * len(requests)
    queue = iter(range(len(requests)))

    async def worker() -> None:
        connection = None
        for i in queue:
            started = perf_counter()
            response = None
            for _attempt in range(2):  # a kept-alive connection the server just closed: once more
                try:
                    async with asyncio.timeout(timeout):
                        if connection is None or connection.lost:
                            _, connection = await loop.create_connection(Connection, host, port)
                        response = await connection.send(requests[i], kind)
                except (OSError, TimeoutError) as error:
                    results[i] = record(None, started, 0.0, type(error).__name__)
                    response = None
                if connection is not None and (connection.lost or response is None or not response.keep_alive):
                    connection.transport.close()
                    connection = None
                if response is not None and response.head:
                    break
            if response is not None:
                results[i] = record(response, started, 0.0)
        if connection is not None:
            connection.transport.close()

    await asyncio.gather(*(worker() for _ in range(job["concurrency"])))
    return results


def main() -> None:
    """Job: {host, port, kind, requests: [raw HTTP request, latin-1], timeout, rate | concurrency}.

    Result: {results: [{status, ttft, done, deltas, lag}], cpu: this process's CPU seconds, wall}.
    """
    job = json.load(sys.stdin)
    try:
        import uvloop
    except ImportError:
        runner = asyncio.run
    else:
        runner = uvloop.run
    cpu, wall = time.process_time(), perf_counter()
    results = runner(open_loop(job) if job.get("rate") else closed_loop(job))
    json.dump({"results": results, "cpu": time.process_time() - cpu, "wall": perf_counter() - wall}, sys.stdout)


if __name__ == "__main__":
    main()
