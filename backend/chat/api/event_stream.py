"""A send's answer as server-sent events: `delta`s as the model writes, then `done` or `error`.

Every stream ends with exactly one `done` or one `error` event, whatever goes wrong. The pieces
one upstream read delivered go out in one write. Writes are coalesced in a bounded window: an event
goes out at once unless the last write left less than `COALESCE_WINDOW` ago; then what arrives
meanwhile leaves together when the window closes. The first token is never held, and no event
waits longer than the window (docs/performance.md: every write is a trip through Django's and the
ASGI server's send, the dearest part of a relayed chunk when a model sends one token at a time).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator

from django.http import StreamingHttpResponse

from chat.api.prompt_rendering import prompt_data
from chat.completions import StreamPieces
from chat.sending import SendResult
from core.error_answers import event_stream_error
from core.metrics import STREAMS_IN_FLIGHT

COALESCE_WINDOW = 0.015  # seconds; at most 20 ms may be added to any piece (issue 24)
_END_OF_EVENTS = object()

_DELTA = b'event: delta\ndata: {"content":'
_END = b"}\n\n"


def server_sent_event(name: str, data) -> bytes:
    return f"event: {name}\ndata: {json.dumps(data, separators=(',', ':'))}\n\n".encode()


async def prompt_events(
    items: AsyncIterator[StreamPieces | SendResult], *, context: dict | None = None
) -> AsyncIterator[bytes]:
    try:
        async with contextlib.aclosing(items):  # a client gone: the pipeline stores what it saw, now
            async for item in items:
                if isinstance(item, StreamPieces):
                    # choice 0's text (a send asks for one choice and no tools: nothing else comes)
                    yield b"".join(
                        _DELTA + json.dumps(piece).encode() + _END for piece in item if isinstance(piece, str)
                    )
                else:
                    yield server_sent_event("done", prompt_data(item.prompt, context=context or {}))
    except Exception as error:
        yield server_sent_event("error", event_stream_error(error))


async def _next(events: AsyncIterator[bytes]):
    try:
        return await anext(events)
    except StopAsyncIteration:
        return _END_OF_EVENTS


async def coalesced_writes(events: AsyncIterator[bytes], window: float = COALESCE_WINDOW) -> AsyncIterator[bytes]:
    """`events`, each written at once unless the last write left less than `window` ago; then what
    arrives meanwhile is gathered (reading on, on a task) and written when the window closes."""
    clock = asyncio.get_running_loop().time
    last_write = -window
    pull: asyncio.Future | None = None  # a read under way on a task of its own, while events are held
    held: list[bytes] = []
    STREAMS_IN_FLIGHT.inc()
    try:
        while True:
            event = await (pull if pull is not None else _next(events))
            pull = None
            if event is _END_OF_EVENTS:
                return
            if clock() - last_write >= window:
                last_write = clock()
                yield event
                continue
            held.append(event)
            ended = False
            while (remaining := last_write + window - clock()) > 0:
                pull = pull or asyncio.ensure_future(_next(events))
                done, _ = await asyncio.wait((pull,), timeout=remaining)
                if not done:
                    break  # the read goes on; its event is the next one taken
                event, pull = pull.result(), None
                if event is _END_OF_EVENTS:
                    ended = True
                    break
                held.append(event)
            last_write = clock()
            data = b"".join(held)
            held.clear()
            yield data
            if ended:
                return
    finally:
        STREAMS_IN_FLIGHT.dec()
        if pull is not None:  # the client went away during a read: it ends as a cancelled stream
            pull.cancel()
            await asyncio.wait((pull,))
            if not pull.cancelled():
                pull.exception()  # retrieved: it ended the stream, nothing more to say
        await events.aclose()  # and so on down the chain (see `prompt_events`)


def event_stream_response(events: AsyncIterator[bytes]) -> StreamingHttpResponse:
    response = StreamingHttpResponse(coalesced_writes(events), content_type="text/event-stream; charset=utf-8")
    response["Cache-Control"] = "no-cache"
    response["X-Accel-Buffering"] = "no"  # nginx and friends: do not buffer the stream
    return response
