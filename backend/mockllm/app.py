"""A mock of OpenAI's chat completions API: same wire protocol, deterministic replies.

Used by `make run` without a key, by the tests and by the benchmarks. Replies echo the last user
message. Behaviour is chosen per request by directives in the last user message (or the
`X-Mock` header), e.g. `[[mock:status=500]]`:

    status=N        answer with HTTP status N and an OpenAI-style error body (429 adds Retry-After)
    hang            never answer (until the client goes away)
    cut=N           stream N content chunks, then drop the connection (plain: drop at once)
    latency=S       seconds before the first byte (default: --latency)
    chunk_delay=S   seconds between streamed chunks (default: --chunk-delay)
    words=N         reply with N words instead of the echo
    unstorable      add text no database stores (a NUL and a lone surrogate) to the reply

A reply longer than the request's `max_tokens` (or `max_completion_tokens`; the mock's tokens are
words) is cut there with finish_reason "length", as OpenAI does. Usage counts words.
It "sees" images: a last user message with `image_url` parts gets, after the echo, one sentence per
image saying its size and type as its bytes say ("I see a 40x30 PNG image."); an `https` URL is
never fetched (it says so). See `mockllm.vision`.

`GET /_mock/requests` lists the requests received (newest last); `DELETE` clears the list.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import time
from collections import deque
from dataclasses import dataclass

from fakeserver.asgi import FakeServer, read_body, request_headers, send_json, sleep_or_disconnect, until_disconnect
from mockllm import answers
from mockllm.vision import seen_images

DIRECTIVE = re.compile(r"\[\[mock:([a-z_]+)(?:=([^\]]*))?\]\]")
ERROR_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    429: "rate_limit_exceeded",
}


@dataclass
class MockSettings:
    latency: float = 0.0
    chunk_delay: float = 0.0
    log_size: int = 200


@dataclass
class RequestRecord:
    body: dict
    headers: dict[str, str]
    stream: bool
    chunks_sent: int = 0
    disconnected: bool = False
    finished: bool = False

    def as_json(self) -> dict:
        return {
            "body": self.body,
            "stream": self.stream,
            "chunks_sent": self.chunks_sent,
            "disconnected": self.disconnected,
            "finished": self.finished,
            "authorization": self.headers.get("authorization", "")[:12],
        }


@dataclass
class Behaviour:
    status: int | None = None
    hang: bool = False
    cut: int | None = None
    latency: float = 0.0
    chunk_delay: float = 0.0
    words: int | None = None
    unstorable: bool = False


def _last_user_text(messages: list) -> str:
    for message in reversed(messages or []):
        if isinstance(message, dict) and message.get("role") == "user":
            content = message.get("content")
            if isinstance(content, str):
                return content
            if isinstance(content, list):  # content parts
                return " ".join(part.get("text", "") for part in content if isinstance(part, dict))
    return ""


def _behaviour(text: str, header: str, defaults: MockSettings) -> Behaviour:
    behaviour = Behaviour(latency=defaults.latency, chunk_delay=defaults.chunk_delay)
    for name, value in DIRECTIVE.findall(header + " " + text):
        if name == "status":
            behaviour.status = int(value)
        elif name == "hang":
            behaviour.hang = True
        elif name == "cut":
            behaviour.cut = int(value or 0)
        elif name == "latency":
            behaviour.latency = float(value)
        elif name == "chunk_delay":
            behaviour.chunk_delay = float(value)
        elif name == "words":
            behaviour.words = int(value)
        elif name == "unstorable":
            behaviour.unstorable = True
    return behaviour


def _last_user_images(messages: list) -> list[str]:
    for message in reversed(messages or []):
        if isinstance(message, dict) and message.get("role") == "user":
            return seen_images(message.get("content"))
    return []


def reply_text(messages: list, words: int | None = None) -> str:
    if words is not None:
        return " ".join(f"word{i}" for i in range(1, words + 1))
    text = DIRECTIVE.sub("", _last_user_text(messages)).strip()
    reply = f"Mock reply: {text}" if text else "Mock reply."
    return " ".join([reply, *_last_user_images(messages)])


def _count_tokens(text: str) -> int:
    return len(text.split())


def _prompt_tokens(messages: list) -> int:
    return sum(
        _count_tokens(m.get("content") or "")
        for m in messages
        if isinstance(m, dict) and isinstance(m.get("content"), str)
    )


def _chunks(text: str) -> list[str]:
    """Split into word-sized pieces that join back to the text."""
    return re.findall(r"\S+\s*|\s+", text) or [text]


class MockOpenAI(FakeServer):
    def __init__(self, settings: MockSettings | None = None):
        self.settings = settings or MockSettings()
        self.requests: deque[RequestRecord] = deque(maxlen=self.settings.log_size)

    async def http(self, scope, receive, send):
        method, path = scope["method"], scope["path"].rstrip("/")
        if path.endswith("/chat/completions") and method == "POST":
            await self.chat_completions(scope, receive, send)
        elif path.endswith("/models") and method == "GET":
            data = [{"id": m, "object": "model", "owned_by": "mock"} for m in ("gpt-4o-mini", "gpt-4.1-mini")]
            await send_json(send, 200, {"object": "list", "data": data})
        elif path == "/_mock/requests" and method == "GET":
            await send_json(send, 200, [record.as_json() for record in self.requests])
        elif path == "/_mock/requests" and method == "DELETE":
            self.requests.clear()
            await send_json(send, 200, {"cleared": True})
        elif path in ("", "/health"):
            await send_json(send, 200, {"status": "ok"})
        else:
            await send_json(send, 404, {"error": {"message": f"Unknown path {path}", "type": "not_found_error"}})

    async def chat_completions(self, scope, receive, send):
        raw = await read_body(receive)
        headers = request_headers(scope)
        try:
            body = json.loads(raw or b"{}")
            messages = body["messages"]
        except (ValueError, KeyError, TypeError):
            await send_json(send, 400, {"error": {"message": "Invalid body", "type": "invalid_request_error"}})
            return
        record = RequestRecord(body=body, headers=headers, stream=bool(body.get("stream")))
        self.requests.append(record)
        behaviour = _behaviour(_last_user_text(messages), headers.get("x-mock", ""), self.settings)

        if behaviour.hang:
            await until_disconnect(receive)
            record.disconnected = True
            return
        if behaviour.latency and await sleep_or_disconnect(receive, behaviour.latency):
            record.disconnected = True
            return
        if behaviour.status:
            extra = [(b"retry-after", b"7")] if behaviour.status == 429 else []
            error = {
                "message": f"Mock failure {behaviour.status}",
                "type": ERROR_TYPES.get(behaviour.status, "server_error"),
                "code": None,
            }
            await send_json(send, behaviour.status, {"error": error}, extra)
            record.finished = True
            return
        model = body.get("model") or "gpt-4o-mini"
        text = reply_text(messages, behaviour.words)
        if behaviour.unstorable:
            text += " nul\x00 surrogate\ud800 end"
        stamp = int(time.time() * 1000)
        completion_id = f"chatcmpl-mock{stamp}"
        user_text = DIRECTIVE.sub("", _last_user_text(messages)).strip()
        choices = answers.choices(body, text=user_text, echo=text, seed=f"{stamp}{len(self.requests)}")
        cap = body.get("max_completion_tokens") or body.get("max_tokens")
        choices = [answers.within_max_tokens(choice, cap) for choice in choices]
        written = sum(
            _count_tokens(choice.content or "") + sum(len(call["function"]["arguments"]) // 4 + 1 for call in calls)
            for choice in choices
            for calls in [choice.tool_calls]
        )
        usage = {
            "prompt_tokens": _prompt_tokens(messages),
            "completion_tokens": written,
            "total_tokens": _prompt_tokens(messages) + written,
        }
        if not record.stream:
            if behaviour.cut is not None:  # promise a body, send half of it, drop the connection
                await send(
                    {
                        "type": "http.response.start",
                        "status": 200,
                        "headers": [(b"content-type", b"application/json"), (b"content-length", b"1000")],
                    }
                )
                await send({"type": "http.response.body", "body": b'{"id": "chatcmpl-cut", ', "more_body": True})
                raise ConnectionAbortedError("mock: connection cut")
            await send_json(
                send,
                200,
                {
                    "id": completion_id,
                    "object": "chat.completion",
                    "created": int(time.time()),
                    "model": model,
                    "choices": [
                        {
                            "index": index,
                            "message": answers.message(choice),
                            "finish_reason": choice.finish_reason,
                            "logprobs": None,
                        }
                        for index, choice in enumerate(choices)
                    ],
                    "usage": usage,
                },
            )
            record.finished = True
            return
        await self.stream(send, receive, record, behaviour, completion_id, model, choices, usage)

    async def stream(self, send, receive, record, behaviour, completion_id, model, choices, usage):
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(b"content-type", b"text/event-stream; charset=utf-8"), (b"cache-control", b"no-cache")],
            }
        )
        disconnected = asyncio.Event()

        async def watch():
            await until_disconnect(receive)
            disconnected.set()

        watcher = asyncio.create_task(watch())
        base = {"id": completion_id, "object": "chat.completion.chunk", "created": int(time.time()), "model": model}

        async def event(payload) -> bool:
            if disconnected.is_set():
                return False
            data = payload if isinstance(payload, str) else json.dumps({**base, **payload})
            await send({"type": "http.response.body", "body": f"data: {data}\n\n".encode(), "more_body": True})
            return True

        try:
            for index in range(len(choices)):
                role = {"role": "assistant", "content": None if choices[index].tool_calls else ""}
                if not await event({"choices": [{"index": index, "delta": role, "finish_reason": None}]}):
                    return
            # Several choices' pieces interleave, as OpenAI's do: each chunk names its choice's index.
            per_choice = [answers.stream_deltas(choice, _chunks) for choice in choices]
            deltas = [
                (index, pieces[step])
                for step in range(max(map(len, per_choice)))
                for index, pieces in enumerate(per_choice)
                if step < len(pieces)
            ]
            for number, (index, delta) in enumerate(deltas):
                if behaviour.cut is not None and number >= behaviour.cut:
                    raise ConnectionAbortedError("mock: stream cut")
                if number and behaviour.chunk_delay:
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(disconnected.wait(), behaviour.chunk_delay)
                if not await event({"choices": [{"index": index, "delta": delta, "finish_reason": None}]}):
                    return
                record.chunks_sent += 1
            for index, choice in enumerate(choices):
                await event({"choices": [{"index": index, "delta": {}, "finish_reason": choice.finish_reason}]})
            if (record.body.get("stream_options") or {}).get("include_usage"):
                await event({"choices": [], "usage": usage})
            await event("[DONE]")
            await send({"type": "http.response.body", "body": b"", "more_body": False})
            record.finished = True
        finally:
            record.disconnected = disconnected.is_set()
            watcher.cancel()


app = MockOpenAI()
