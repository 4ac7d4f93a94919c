"""The Responses API's wire format for what the send pipeline produces: the `response` object
(its output items from the stored reply's first choice) and the streamed events, with the names,
fields and order of OpenAI's API reference (`response.created` ... `response.completed`)."""

from __future__ import annotations

import contextlib
import itertools
import json
import logging
import secrets
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from chat.completions import Delta, StreamPieces
from chat.models import Reply
from chat.sending import SendResult
from core.error_answers import INTERNAL_ERROR, openai_error

logger = logging.getLogger(__name__)
INCOMPLETE = {"length": "max_output_tokens", "content_filter": "content_filter"}


def new_response_id() -> str:
    return f"resp_{secrets.token_hex(24)}"


@dataclass
class ResponseMeta:
    """What the request asked, echoed in the response object (as OpenAI's does)."""

    id: str
    model: str
    instructions: str | None = None
    previous_response_id: str | None = None
    tools: list[dict] = field(default_factory=list)  # chat completions' shape; shown flat
    tool_choice: Any = "auto"
    parallel_tool_calls: bool = True
    temperature: float | None = None
    top_p: float | None = None
    max_output_tokens: int | None = None
    response_format: dict | None = None
    metadata: dict = field(default_factory=dict)

    @property
    def suffix(self) -> str:
        return self.id.removeprefix("resp_")

    def message_id(self) -> str:
        return f"msg_{self.suffix}"

    def call_id(self, number: int) -> str:
        return f"fc_{self.suffix}_{number}"


def _text_config(response_format: dict | None) -> dict:
    if not response_format:
        return {"format": {"type": "text"}}
    if response_format["type"] == "json_schema":
        return {"format": {"type": "json_schema", **response_format["json_schema"]}}
    return {"format": response_format}


def _tool_choice(choice) -> Any:
    return {"type": "function", "name": choice["function"]["name"]} if isinstance(choice, dict) else choice


def message_item(meta: ResponseMeta, text: str, *, status: str = "completed") -> dict:
    content = [{"type": "output_text", "text": text, "annotations": [], "logprobs": []}]
    return {"id": meta.message_id(), "type": "message", "role": "assistant", "status": status, "content": content}


def call_item(meta: ResponseMeta, number: int, call: dict, *, status: str = "completed") -> dict:
    return {
        "id": meta.call_id(number),
        "type": "function_call",
        "call_id": call["id"],
        "name": call["function"]["name"],
        "arguments": call["function"]["arguments"],
        "status": status,
    }


def usage_body(reply: Reply) -> dict:
    return {
        "input_tokens": reply.prompt_tokens,
        "input_tokens_details": {"cached_tokens": 0, "cache_write_tokens": 0},
        "output_tokens": reply.completion_tokens,
        "output_tokens_details": {"reasoning_tokens": 0},
        "total_tokens": reply.total_tokens,
    }


def response_body(meta: ResponseMeta, reply: Reply | None = None) -> dict:
    """The `response` object: in progress (no reply yet), or the stored reply's first choice."""
    body = {
        "id": meta.id,
        "object": "response",
        "created_at": int(reply.created_at.timestamp()) if reply else int(time.time()),
        "status": "in_progress",
        "error": None,
        "incomplete_details": None,
        "instructions": meta.instructions,
        "max_output_tokens": meta.max_output_tokens,
        "model": reply.model if reply else meta.model,
        "output": [],
        "parallel_tool_calls": meta.parallel_tool_calls,
        "previous_response_id": meta.previous_response_id,
        "temperature": meta.temperature,
        "text": _text_config(meta.response_format),
        "tool_choice": _tool_choice(meta.tool_choice),
        "tools": [{"type": "function", "strict": None, **tool["function"]} for tool in meta.tools],
        "top_p": meta.top_p,
        "truncation": "disabled",
        "usage": None,
        "metadata": meta.metadata,
        "store": True,
    }
    if reply is None:
        return body
    choice = reply.ordered_choices[0]
    output = [message_item(meta, choice.content)] if choice.content or not choice.tool_calls else []
    output += [call_item(meta, number, call) for number, call in enumerate(choice.tool_calls)]
    reason = INCOMPLETE.get(choice.finish_reason)
    status = "cancelled" if choice.finish_reason == "cancelled" else "incomplete" if reason else "completed"
    body.update(output=output, status=status, usage=usage_body(reply))
    body["incomplete_details"] = {"reason": reason} if reason else None
    return body


class _Events:
    """Numbered server-sent events (`event: <type>` and `data: {type, ..., sequence_number}`)."""

    def __init__(self) -> None:
        self.numbers = itertools.count()

    def __call__(self, kind: str, **fields) -> bytes:
        data = json.dumps({"type": kind, **fields, "sequence_number": next(self.numbers)}, separators=(",", ":"))
        return f"event: {kind}\ndata: {data}\n\n".encode()


async def response_events(
    items: AsyncIterator[StreamPieces | SendResult], *, meta: ResponseMeta
) -> AsyncIterator[bytes]:
    """The streamed response: created, in progress, each output item as it is written (its text or
    its arguments in deltas), then completed; a failure mid-way is one `error` event instead."""
    event = _Events()
    started = response_body(meta)
    yield event("response.created", response=started) + event("response.in_progress", response=started)
    opened: list[tuple[str, int]] = []  # ("message", 0) or ("call", tool index), in output order
    text: list[str] = []
    calls: dict[int, dict] = {}
    try:
        async with contextlib.aclosing(items):  # a client gone: the pipeline stores what it saw, now
            async for item in items:
                if isinstance(item, SendResult):
                    final = response_body(meta, item.prompt.reply)
                    yield _closing(event, meta, opened, text, calls) + event("response.completed", response=final)
                    return
                out = []
                for piece in item:
                    if isinstance(piece, str):
                        if ("message", 0) not in opened:
                            out.append(_open_message(event, meta, len(opened)))
                            opened.append(("message", 0))
                        text.append(piece)
                        index = opened.index(("message", 0))
                        out.append(
                            event(
                                "response.output_text.delta",
                                item_id=meta.message_id(),
                                output_index=index,
                                content_index=0,
                                delta=piece,
                                logprobs=[],
                            )
                        )
                    elif isinstance(piece, Delta) and piece.index == 0:
                        out.extend(_call_pieces(event, meta, opened, calls, piece.delta))
                yield b"".join(out)
    except Exception as error:
        answer = openai_error(error)
        if answer is None:
            logger.exception("stream failed unexpectedly")
            yield event("error", code="server_error", message=INTERNAL_ERROR, param=None)
        else:
            detail = answer.body["error"]
            yield event("error", code=detail["code"], message=detail["message"], param=detail["param"])


def _open_message(event, meta: ResponseMeta, index: int) -> bytes:
    item = {**message_item(meta, "", status="in_progress"), "content": []}
    part = {"type": "output_text", "text": "", "annotations": [], "logprobs": []}
    return event("response.output_item.added", output_index=index, item=item) + event(
        "response.content_part.added", item_id=meta.message_id(), output_index=index, content_index=0, part=part
    )


def _call_pieces(event, meta: ResponseMeta, opened: list, calls: dict, delta: dict) -> list[bytes]:
    out = []
    for piece in delta.get("tool_calls") or ():
        number, arguments = piece["index"], piece["function"].get("arguments") or ""
        if number not in calls:
            calls[number] = {"id": piece.get("id", ""), "function": {"name": piece["function"].get("name", "")}}
            calls[number]["arguments"] = []
            item = call_item(
                meta, number, {**calls[number], "function": {**calls[number]["function"], "arguments": ""}}
            )
            out.append(
                event("response.output_item.added", output_index=len(opened), item={**item, "status": "in_progress"})
            )
            opened.append(("call", number))
        if arguments:
            calls[number]["arguments"].append(arguments)
            out.append(
                event(
                    "response.function_call_arguments.delta",
                    item_id=meta.call_id(number),
                    output_index=opened.index(("call", number)),
                    delta=arguments,
                )
            )
    return out


def _closing(event, meta: ResponseMeta, opened: list, text: list[str], calls: dict) -> bytes:
    """The `done` events of every output item, in output order."""
    out = []
    for index, (kind, number) in enumerate(opened):
        if kind == "message":
            written = "".join(text)
            part = {"type": "output_text", "text": written, "annotations": [], "logprobs": []}
            where = {"item_id": meta.message_id(), "output_index": index, "content_index": 0}
            out.append(event("response.output_text.done", **where, text=written, logprobs=[]))
            out.append(event("response.content_part.done", **where, part=part))
            out.append(event("response.output_item.done", output_index=index, item=message_item(meta, written)))
            continue
        call = calls[number]
        arguments = "".join(call["arguments"])
        done = call_item(meta, number, {"id": call["id"], "function": {**call["function"], "arguments": arguments}})
        out.append(
            event(
                "response.function_call_arguments.done",
                item_id=meta.call_id(number),
                output_index=index,
                name=call["function"]["name"],
                arguments=arguments,
            )
        )
        out.append(event("response.output_item.done", output_index=index, item=done))
    return b"".join(out)
