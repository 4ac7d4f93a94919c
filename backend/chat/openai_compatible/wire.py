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

from chat.completions import Delta, StreamPieces
from chat.sending import SendResult
from core.error_answers import INTERNAL_ERROR, openai_error, openai_error_body

logger = logging.getLogger(__name__)


def completion_id() -> str:
    return f"chatcmpl-{secrets.token_urlsafe(18)}"


def message_body(choice) -> dict:
    """A stored choice as OpenAI's assistant message: `content` null when it only calls tools."""
    message = {"role": choice.role, "content": choice.content, "refusal": None}
    if choice.tool_calls:
        message["tool_calls"] = choice.tool_calls
        message["content"] = choice.content or None
    return message


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
                "message": message_body(choice),
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
    items: AsyncIterator[StreamPieces | SendResult],
    *,
    completion_id: str,
    model: str,
    include_usage: bool,
    choices: int = 1,
) -> AsyncIterator[bytes]:
    """`chat.completion.chunk` events, then `[DONE]`; a failure mid-way is one `error` event instead.

    Choice 0's text takes a fast path; other choices' text and every tool call piece (`Delta`) are
    one chunk each, with the choice's `index` (and in `delta.tool_calls`, the call's own `index`)."""
    base = {"id": completion_id, "object": "chat.completion.chunk", "created": int(time.time()), "model": model}
    # With include_usage every chunk carries `"usage": null` until the last one, as OpenAI's do.
    usage_null = {"usage": None} if include_usage else {}
    head = json.dumps(base, separators=(",", ":"))[:-1].encode()  # without its closing brace
    piece_start = b"data: " + head + b',"choices":[{"index":0,"delta":{"content":'
    piece_end = b'},"logprobs":null,"finish_reason":null}]' + (b',"usage":null' if include_usage else b"") + b"}\n\n"

    def delta(index: int, delta: dict, finish_reason: str | None = None) -> bytes:
        choice = {"index": index, "delta": delta, "logprobs": None, "finish_reason": finish_reason}
        return _data({**base, "choices": [choice], **usage_null})

    try:
        yield b"".join(delta(index, {"role": "assistant", "content": ""}) for index in range(choices))
        async with contextlib.aclosing(items):  # a client gone: the pipeline stores what it saw, now
            async for item in items:
                if isinstance(item, StreamPieces):
                    yield b"".join(
                        delta(piece.index, piece.delta)
                        if isinstance(piece, Delta)
                        else piece_start + json.dumps(piece).encode() + piece_end
                        for piece in item
                    )
                    continue
                tail = [
                    delta(choice.index, {}, choice.finish_reason or "stop")
                    for choice in item.prompt.reply.ordered_choices
                ]
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
