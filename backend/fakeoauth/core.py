"""The fake provider's server: the ASGI app, routing, the request log, codes and tokens, shared values.

`OAuthServer` routes to the providers it is given (`provider.Provider` subclasses: `github.py`,
`kakao.py`) and records every request it routes; `GET /_fake/requests` lists them.
"""

from __future__ import annotations

import hashlib
import re
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING
from urllib.parse import parse_qsl

from fakeserver.asgi import FakeServer, read_body, request_headers, send_json

if TYPE_CHECKING:
    from fakeoauth.provider import Provider

MAX_BODY = 64 * 1024
MAX_TOKENS = 10_000


@dataclass
class FakeSettings:
    code_ttl: float = 600.0
    stall: float = 60.0  # the *_timeout modes' sleep
    log_size: int = 500


@dataclass
class Grant:
    provider: str  # "github" | "kakao"
    client_id: str
    redirect_uri: str
    scope: str
    code_challenge: str
    profile: dict
    simulate: str
    issued: float = field(default_factory=time.time)


@dataclass
class RequestRecord:
    method: str
    path: str
    query: dict
    form: dict
    authorization: bool
    accept: str
    status: int | None = None  # None: no answer (yet)
    disconnected: bool = False  # the client went away while a *_timeout mode stalled

    def as_json(self) -> dict:
        return asdict(self)


@dataclass
class Request:
    method: str
    path: str
    query: dict
    form: dict
    headers: dict
    receive: object
    send: object
    record: RequestRecord


Handler = Callable[[Request], Awaitable[None]]
PatternHandler = Callable[[Request, re.Match], Awaitable[None]]  # gets the path's match


def stable_id(provider: str, key: str, digits: int) -> int:
    """An integer id with `digits` digits, the same for the same key in every process."""
    number = int.from_bytes(hashlib.sha256(f"{provider}:{key}".encode()).digest()[:8], "big")
    low = 10 ** (digits - 1)
    return low + number % (9 * low)


def utc(timestamp: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(timestamp))


async def send_api_json(send, status: int, payload, extra_headers=()) -> None:
    """JSON as the providers' APIs answer it: UTF-8 as is, never cached."""
    headers = [(b"cache-control", b"no-store"), *extra_headers]
    await send_json(send, status, payload, headers, content_type=b"application/json; charset=utf-8", ensure_ascii=False)


class OAuthServer(FakeServer):
    """The ASGI app: `providers` (Provider subclasses) answer under their prefixes, the log at /_fake/requests."""

    providers: tuple[type[Provider], ...] = ()

    def __init__(self, settings: FakeSettings | None = None):
        self.settings = settings or FakeSettings()
        self.requests: deque[RequestRecord] = deque(maxlen=self.settings.log_size)
        self.codes: dict[str, Grant] = {}
        self.tokens: dict[str, Grant] = {}
        self.routes: dict[str, dict[str, Handler]] = {}
        self.patterns: list[tuple[re.Pattern, PatternHandler]] = []
        for provider_class in self.providers:
            provider = provider_class(self)
            self.routes.update(provider.routes())
            self.patterns.extend(provider.patterns())

    async def http(self, scope, receive, send):
        method, path = scope["method"], scope["path"].rstrip("/") or "/"
        if path == "/_fake/requests" and method == "GET":
            await send_api_json(send, 200, [record.as_json() for record in self.requests])
            return
        if path == "/_fake/requests" and method == "DELETE":
            self.requests.clear()
            await send_api_json(send, 200, {"cleared": True})
            return
        if path in ("/", "/health") and method == "GET":
            await send_api_json(send, 200, {"status": "ok"})
            return

        headers = request_headers(scope)
        body = await read_body(receive, MAX_BODY)
        if body is None:
            await send_api_json(send, 413, {"message": "Request body too large"})
            return
        form = {}
        if headers.get("content-type", "").split(";")[0].strip() == "application/x-www-form-urlencoded":
            form = dict(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
        query = dict(parse_qsl(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True))
        record = RequestRecord(
            method=method,
            path=path,
            query=query,
            form=form,
            authorization=bool(headers.get("authorization")),
            accept=headers.get("accept", ""),
        )
        self.requests.append(record)

        async def send_recorded(message):
            if message["type"] == "http.response.start":
                record.status = message["status"]
            await send(message)

        await self.route(Request(method, path, query, form, headers, receive, send_recorded, record))

    async def route(self, request: Request) -> None:
        handlers = self.routes.get(request.path)
        if handlers is None:
            for pattern, handler in self.patterns:
                match = pattern.fullmatch(request.path)
                if match and request.method == "GET":
                    await handler(request, match)
                    return
            await send_api_json(request.send, 404, {"message": "Not Found", "path": request.path})
            return
        handler = handlers.get(request.method)
        if handler is None:
            allow = ", ".join(handlers).encode()
            await send_api_json(request.send, 405, {"message": "Method Not Allowed"}, [(b"allow", allow)])
            return
        await handler(request)

    def issue_code(self, grant: Grant, code: str) -> str:
        now = time.time()
        for old_code in [old_code for old_code, old in self.codes.items() if now - old.issued > self.settings.code_ttl]:
            del self.codes[old_code]
        self.codes[code] = grant
        return code

    def take_code(self, provider: str, code: str) -> Grant | None:
        """The grant of `code`, which is used up by this call; None if unknown, used or expired."""
        grant = self.codes.pop(code, None) if code else None
        if grant is None or grant.provider != provider or time.time() - grant.issued > self.settings.code_ttl:
            return None
        return grant

    def issue_token(self, grant: Grant, token: str) -> str:
        while len(self.tokens) >= MAX_TOKENS:
            del self.tokens[next(iter(self.tokens))]
        self.tokens[token] = grant
        return token
