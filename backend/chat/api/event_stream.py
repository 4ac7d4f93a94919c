"""A send's answer as server-sent events: `delta`s as the model writes, then `done` or `error`.

Every stream ends with exactly one `done` or one `error` event, whatever goes wrong. The pieces
one upstream read delivered go out in one write; nothing is held back to wait for more.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncIterator

from django.http import StreamingHttpResponse

from chat.api.serializers import PromptSerializer
from chat.gateway import StreamPieces
from chat.sending import SendResult
from core.error_answers import event_stream_error
from core.metrics import STREAMS_IN_FLIGHT

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
                    yield server_sent_event("done", PromptSerializer(item.prompt, context=context or {}).data)
    except Exception as error:
        yield server_sent_event("error", event_stream_error(error))


async def _counted(events: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
    STREAMS_IN_FLIGHT.inc()
    try:
        async for event in events:
            yield event
    finally:
        STREAMS_IN_FLIGHT.dec()
        await events.aclose()  # and so on down the chain (see `prompt_events`)


def event_stream_response(events: AsyncIterator[bytes]) -> StreamingHttpResponse:
    response = StreamingHttpResponse(_counted(events), content_type="text/event-stream; charset=utf-8")
    response["Cache-Control"] = "no-cache"
    response["X-Accel-Buffering"] = "no"  # nginx and friends: do not buffer the stream
    return response
