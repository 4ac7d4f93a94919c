"""The one module that calls the language model, through the official `openai` SDK.

It speaks in small typed results (`Completion`, `StreamPieces`) and our own exceptions
(`UpstreamError`, `UpstreamBusy`, `UpstreamTimeout`), so nothing else imports the SDK.

The SDK sends the request (its auth, base URL, headers and status-code exceptions), but we take
its raw HTTP response and parse the JSON ourselves: the SDK's parameter transform and one pydantic
object per streamed chunk were most of a send's CPU (docs/performance.md). A stream is read one
network read at a time and every content piece that read carried is handed on together, so pieces
that arrived together leave together, and none waits for another.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import weakref
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import httpx2  # the SDK's transport; its errors surface while a stream is being read
import openai
import orjson
from django.conf import settings
from django.utils.translation import gettext as _

# Private, on purpose: the SDK has no public way to send a request (with its auth, base URL, headers
# and status errors) and get the HTTP response back unread, without its per-call parameter transform
# and pydantic parsing, which were most of a send's CPU. `with_streaming_response` sets this same
# header, but only around those costs. chat/tests/test_gateway.py fails if the SDK stops honouring it.
from openai._constants import RAW_RESPONSE_HEADER

from chat.completions import Completion, CompletionChoice, StreamPieces, storable_text
from chat.exceptions import UpstreamError
from chat.stream_state import MAX_TOOL_CALLS, StreamState, choice_index, usage_counts
from chat.upstream_errors import upstream_call


def parsed_json(payload: bytes):
    """`payload` parsed by orjson (a streamed chunk's JSON in a third of json's time); what orjson
    refuses and json takes (an escaped lone surrogate) goes to json. Unlike json, orjson reads an
    integer past 64 bits as a float (`usage_counts` takes one as the count it stands for)."""
    try:
        return orjson.loads(payload)
    except orjson.JSONDecodeError:
        return json.loads(payload)


@dataclass(frozen=True)
class CompletionRequest:
    model: str
    messages: list[dict[str, Any]]
    temperature: float | None = None
    max_tokens: int | None = None
    # Further OpenAI parameters passed through as given (top_p, stop, seed...): the compatible endpoint.
    extra: dict[str, Any] = field(default_factory=dict)

    def body(self, *, stream: bool) -> dict[str, Any]:
        body: dict[str, Any] = {**self.extra, "model": self.model, "messages": self.messages}
        if self.temperature is not None:
            body["temperature"] = self.temperature
        if self.max_tokens is not None:
            body["max_tokens"] = self.max_tokens
        if stream:
            body["stream"] = True
            body["stream_options"] = {"include_usage": True}
        return body


def _tool_call(value) -> dict[str, Any] | None:
    """One complete tool call as OpenAI writes it, or None for anything else."""
    if not isinstance(value, dict) or not isinstance(value.get("function"), dict):
        return None
    function = value["function"]
    arguments = function.get("arguments")
    return {
        "id": storable_text(str(value.get("id") or ""))[:200],
        "type": "function",
        "function": {
            "name": storable_text(str(function.get("name") or ""))[:200],
            "arguments": storable_text(arguments if isinstance(arguments, str) else json.dumps(arguments or {})),
        },
    }


def _tool_calls(values) -> list[dict[str, Any]]:
    calls = (_tool_call(value) for value in (values if isinstance(values, list) else ())[:MAX_TOOL_CALLS])
    return [call for call in calls if call is not None]


def _completion_from_json(data: dict, *, default_model: str) -> Completion:
    choices: dict[int, CompletionChoice] = {}
    for choice in data.get("choices") or ():
        index = choice_index(choice.get("index", 0))
        if index is None or index in choices:
            continue
        message = choice.get("message") or {}
        choices[index] = CompletionChoice(
            index=index,
            role=storable_text(str(message.get("role") or "assistant"))[:20],
            content=storable_text(message.get("content") or ""),
            finish_reason=storable_text(str(choice.get("finish_reason") or ""))[:30],
            tool_calls=_tool_calls(message.get("tool_calls")),
        )
    if not choices:
        raise UpstreamError(_("The language model service answered without a reply."))
    prompt_tokens, completion_tokens, total_tokens = usage_counts(data.get("usage") or {})
    return Completion(
        upstream_id=storable_text(str(data.get("id") or ""))[:200],
        model=storable_text(str(data.get("model") or default_model))[:100],
        choices=[choices[index] for index in sorted(choices)],
        prompt_tokens=prompt_tokens,
        completion_tokens=completion_tokens,
        total_tokens=total_tokens,
    )


class OpenAIGateway:
    def __init__(self, *, api_key: str, base_url: str | None, timeout: float):
        self.timeout = timeout
        # No SDK retries: a retry would silently stretch the caller's timeout. The timeout bounds
        # the connection, the wait for the answer's head and every read of a stream.
        self.client = openai.AsyncOpenAI(
            api_key=api_key or "not-set",
            base_url=base_url,
            timeout=timeout,
            max_retries=0,
            # aiohttp (the SDK's `aiohttp` extra): a read of a stream costs ~0.1 ms less CPU than through
            # httpx2, which runs anyio's timeout scope and h11 per read (docs/performance.md).
            http_client=openai.DefaultAioHttpClient(timeout=timeout),
        )

    async def close(self) -> None:
        await self.client.close()

    async def _post(self, request: CompletionRequest, *, stream: bool) -> httpx2.Response:
        return await self.client.post(
            "/chat/completions",
            body=request.body(stream=stream),
            cast_to=httpx2.Response,
            # "stream": the SDK hands back the response without reading its body.
            options={"headers": {RAW_RESPONSE_HEADER: "stream"}},
            stream=stream,
        )

    async def complete(self, request: CompletionRequest) -> Completion:
        async with upstream_call("plain"), asyncio.timeout(self.timeout):
            response = await self._post(request, stream=False)
            try:
                data = parsed_json(await response.aread())
            finally:
                await response.aclose()
            return _completion_from_json(data, default_model=request.model)

    async def stream(self, request: CompletionRequest) -> AsyncIterator[StreamPieces | Completion]:
        """Yield `StreamPieces` (one per network read that carried content), then one `Completion`.

        If the consumer stops early (`aclose()`), the upstream response is closed, which cancels
        the generation.
        """
        state = StreamState()
        async with upstream_call("stream"):
            async with asyncio.timeout(self.timeout):
                response = await self._post(request, stream=True)
            try:
                buffer = b""
                async for data in response.aiter_bytes():
                    buffer += data
                    if b"\n\n" not in buffer and b"\r\n\r\n" not in buffer:
                        continue
                    if b"\r" in buffer:
                        buffer = buffer.replace(b"\r\n", b"\n")
                    *events, buffer = buffer.split(b"\n\n")
                    pieces = StreamPieces()
                    for event in events:
                        for line in event.split(b"\n"):
                            if not line.startswith(b"data:"):
                                continue  # comments, event names, ids: OpenAI sends only data
                            payload = line[5:].strip()
                            if payload and payload != b"[DONE]":
                                chunk = parsed_json(payload)
                                if isinstance(chunk, dict) and "error" in chunk:
                                    raise UpstreamError(_("The language model service failed mid-answer."))
                                state.take(chunk, pieces)
                    if pieces:
                        yield pieces
                # Read to the end (past [DONE]) so the connection goes back to the pool for reuse.
            finally:
                await response.aclose()  # closing it cancels the generation if we stopped early
            if not state.finish_reasons:
                raise UpstreamError(_("The language model service ended its answer early."))
        yield state.completion(default_model=request.model)


# One SDK client per event loop (its connection pool belongs to the loop that made it) and
# per upstream configuration, closed when that loop ends.
_gateways: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _LoopGateways] = weakref.WeakKeyDictionary()


class _LoopGateways(dict):
    """A loop's gateways, closed as the loop ends (a worker stopping, or a title task's own loop).

    asyncio.run (and so uvicorn and asgiref) finalises the loop's live async generators before it
    closes the loop, so one parked generator's `finally` closes the connections on the loop they
    belong to; left to the garbage collector, aiohttp reports every session as unclosed."""

    def __init__(self):
        super().__init__()
        self.closer = self._close_at_the_end()
        with contextlib.suppress(StopIteration):  # run it to its `yield` now: the loop knows it from here on
            self.closer.asend(None).send(None)

    async def _close_at_the_end(self):
        try:
            yield
        finally:
            # Out of the map first: the clients hold the loop, so its weak key would never go.
            _gateways.pop(asyncio.get_running_loop(), None)
            for gateway in self.values():
                with contextlib.suppress(Exception):
                    await gateway.close()


def get_gateway() -> OpenAIGateway:
    options = {
        "api_key": settings.OPENAI_API_KEY,
        "base_url": settings.OPENAI_BASE_URL,
        "timeout": settings.OPENAI_TIMEOUT,
    }
    loop = asyncio.get_running_loop()
    per_loop = _gateways.get(loop)
    if per_loop is None:
        per_loop = _gateways[loop] = _LoopGateways()
    key = tuple(options.values())
    if key not in per_loop:
        per_loop[key] = OpenAIGateway(**options)
    return per_loop[key]
