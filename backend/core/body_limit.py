"""Refuse oversized request bodies before they are read: a JSON 413, cheaply.

Django's ASGI handler reads a whole body (spooling it to disk) before any view runs, so a limit
checked by a view comes too late. This wrapper answers 413 from the `Content-Length` alone, and
stops a body sent without one as soon as it passes the limit. A route that takes files (the send,
with its images) may have a larger limit of its own (`REQUEST_BODY_MAX_BYTES_FOR`: path pattern to
bytes); every other route keeps `REQUEST_BODY_MAX_BYTES`.
"""

from __future__ import annotations

import json
import re

from django.conf import settings

from core.security_headers import security_headers


class BodyTooLarge(Exception):
    pass


def _json_answer(status: int, detail: str):
    body = json.dumps({"detail": detail}).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    headers += [(name.lower().encode(), value.encode()) for name, value in security_headers().items()]
    return [
        {"type": "http.response.start", "status": status, "headers": [*headers, (b"connection", b"close")]},
        {"type": "http.response.body", "body": body},
    ]


class RequestBodyLimit:
    def __init__(self, app, max_bytes: int | None = None, larger_for: dict[str, int] | None = None):
        self.app = app
        self.max_bytes = max_bytes if max_bytes is not None else settings.REQUEST_BODY_MAX_BYTES
        if larger_for is None:
            larger_for = getattr(settings, "REQUEST_BODY_MAX_BYTES_FOR", {})
        self.larger_for = [(re.compile(pattern), limit) for pattern, limit in larger_for.items()]

    def limit_for(self, path: str) -> int:
        return next((limit for pattern, limit in self.larger_for if pattern.match(path)), self.max_bytes)

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        max_bytes = self.limit_for(scope.get("path", ""))
        declared = next((value for name, value in scope["headers"] if name == b"content-length"), None)
        if declared is not None:
            if not declared.isdigit():
                return await self._answer(send, 400, "Invalid Content-Length header.")
            if int(declared) > max_bytes:
                return await self._answer(send, 413, self._too_large(max_bytes))
        received = 0
        started = False

        async def counting_receive():
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > max_bytes:
                    raise BodyTooLarge
            return message

        async def tracking_send(message):
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except BodyTooLarge:
            if not started:
                await self._answer(send, 413, self._too_large(max_bytes))

    def _too_large(self, max_bytes: int) -> str:
        return f"The request body is too large (at most {max_bytes} bytes)."

    async def _answer(self, send, status: int, detail: str) -> None:
        for message in _json_answer(status, detail):
            await send(message)
