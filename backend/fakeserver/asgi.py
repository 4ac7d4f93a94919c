"""What the bundled fakes (mockllm, fakeoauth), plain ASGI apps, share: the app base, bodies in and out, disconnects."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterable

Headers = Iterable[tuple[bytes, bytes]]


class FakeServer:
    """The base of a fake's ASGI app: HTTP goes to `http`, lifespan is acknowledged (nothing to set up)."""

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] == "lifespan":
            await _serve_lifespan(receive, send)
        elif scope["type"] == "http":
            await self.http(scope, receive, send)

    async def http(self, scope, receive, send) -> None:
        raise NotImplementedError


async def _serve_lifespan(receive, send) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return


def request_headers(scope) -> dict[str, str]:
    """The request's headers by lower-case name (a repeated header: the last one)."""
    return {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}


async def read_body(receive, limit: int | None = None) -> bytes | None:
    """The request body (what came before a disconnect); None if it is longer than `limit`."""
    body = b""
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return body
        body += message.get("body", b"")
        if limit is not None and len(body) > limit:
            return None
        if not message.get("more_body"):
            return body


def content_length(body: bytes) -> tuple[bytes, bytes]:
    return (b"content-length", str(len(body)).encode())


async def send_response(send, status: int, headers: Headers, body: bytes = b"") -> None:
    """A whole response, headers as given (content-length included), in one body message."""
    await send({"type": "http.response.start", "status": status, "headers": list(headers)})
    await send({"type": "http.response.body", "body": body})


async def send_json(
    send,
    status: int,
    payload,
    extra_headers: Headers = (),
    *,
    content_type: bytes = b"application/json",
    ensure_ascii: bool = True,
) -> None:
    """`payload` as JSON: content-type, content-length, then `extra_headers`."""
    body = json.dumps(payload, ensure_ascii=ensure_ascii).encode()
    await send_response(send, status, [(b"content-type", content_type), content_length(body), *extra_headers], body)


async def until_disconnect(receive) -> None:
    while (await receive())["type"] != "http.disconnect":
        pass


async def sleep_or_disconnect(receive, seconds: float) -> bool:
    """Sleep; True if the client went away meanwhile."""
    try:
        await asyncio.wait_for(until_disconnect(receive), seconds)
        return True
    except TimeoutError:
        return False
