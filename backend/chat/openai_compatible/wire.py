"""OpenAI's wire format for what the send pipeline produces: completions, chunks, errors.

The official SDKs parse these; field names and shapes follow OpenAI's API reference.
"""

from __future__ import annotations

import contextlib
import json
import logging
import secrets
import time
from collections.abc import AsyncIterator

from chat.gateway import StreamPieces
from chat.sending import SendResult
from core.error_answers import INTERNAL_ERROR, openai_error, openai_error_body

logger = logging.getLogger(__name__)


def completion_id() -> str:
    return f"chatcmpl-{secrets.token_urlsafe(18)}"


def completion_body(result: SendResult, *, completion_id: str) -> dict:
    reply = result.prompt.reply
    return {
        "id": completion_id,
        "object": "chat.completion",
        "created": int(reply.created_at.timestamp()),
        "model": reply.model,
        "choices": [
            {
                "index": choice.index,
                "message": {"role": choice.role, "content": choice.content, "refusal": None},
                "logprobs": None,
                "finish_reason": choice.finish_reason or "stop",
            }
            for choice in reply.ordered_choices
        ],
        "usage": usage_body(result),
    }


def usage_body(result: SendResult) -> dict:
    reply = result.prompt.reply
    return {
        "prompt_tokens": reply.prompt_tokens,
        "completion_tokens": reply.completion_tokens,
        "total_tokens": reply.total_tokens,
    }


def _data(payload: dict) -> bytes:
    return b"data: " + json.dumps(payload, separators=(",", ":")).encode() + b"\n\n"


async def completion_chunks(
    items: AsyncIterator[StreamPieces | SendResult], *, completion_id: str, model: str, include_usage: bool
) -> AsyncIterator[bytes]:
    """`chat.completion.chunk` events, then `[DONE]`; a failure mid-way is one `error` event instead."""
    base = {"id": completion_id, "object": "chat.completion.chunk", "created": int(time.time()), "model": model}
    # With include_usage every chunk carries `"usage": null` until the last one, as OpenAI's do.
    usage_null = {"usage": None} if include_usage else {}
    head = json.dumps(base, separators=(",", ":"))[:-1].encode()  # without its closing brace
    piece_start = b"data: " + head + b',"choices":[{"index":0,"delta":{"content":'
    piece_end = b'},"logprobs":null,"finish_reason":null}]' + (b',"usage":null' if include_usage else b"") + b"}\n\n"
    try:
        role = {"index": 0, "delta": {"role": "assistant", "content": ""}, "finish_reason": None}
        yield _data({**base, "choices": [role], **usage_null})
        async with contextlib.aclosing(items):  # a client gone: the pipeline stores what it saw, now
            async for item in items:
                if isinstance(item, StreamPieces):
                    yield b"".join(piece_start + json.dumps(piece).encode() + piece_end for piece in item)
                    continue
                choice = item.prompt.reply.ordered_choices[0]
                finish = choice.finish_reason or "stop"
                tail = [_data({**base, "choices": [{"index": 0, "delta": {}, "finish_reason": finish}], **usage_null})]
                if include_usage:
                    tail.append(_data({**base, "choices": [], "usage": usage_body(item)}))
                tail.append(b"data: [DONE]\n\n")
                yield b"".join(tail)
    except Exception as error:
        answer = openai_error(error)
        if answer is None:
            logger.exception("stream failed unexpectedly")
            yield _data(openai_error_body(INTERNAL_ERROR, type="server_error"))
        else:
            yield _data(answer.body)
