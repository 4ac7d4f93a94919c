"""A streamed answer folded chunk by chunk (`StreamState`): each `chat.completion.chunk` the
gateway (`chat.gateway`) parsed adds its text and tool-call pieces, per choice, to what the stream
has delivered and hands choice 0's new text and the other pieces on as `StreamPieces`; at the end
the state becomes one `Completion`. With it, the bounds that keep what the upstream sends within
what a stored reply can hold (choice indexes, tool calls, token counts), which the gateway's reading
of a whole reply shares."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from chat.completions import Completion, CompletionChoice, Delta, StreamPieces, storable_text

MAX_TOOL_CALLS = 64


@dataclass
class StreamState:
    """What a stream has delivered so far."""

    upstream_id: str = ""
    model: str = ""
    contents: dict[int, list[str]] = field(default_factory=dict)
    # choice index -> tool call index -> {"id", "name", "arguments": [pieces]}
    calls: dict[int, dict[int, dict[str, Any]]] = field(default_factory=dict)
    finish_reasons: dict[int, str] = field(default_factory=dict)
    usage: tuple[int, int, int] | None = None

    def completion(self, *, default_model: str) -> Completion:
        indexes = sorted(self.contents.keys() | self.calls.keys() | self.finish_reasons.keys()) or [0]
        choices = [
            CompletionChoice(
                index=index,
                role="assistant",
                content="".join(self.contents.get(index, [])),
                finish_reason=self.finish_reasons.get(index, ""),
                tool_calls=[
                    {
                        "id": call["id"],
                        "type": "function",
                        "function": {"name": call["name"], "arguments": "".join(call["arguments"])},
                    }
                    for _, call in sorted(self.calls.get(index, {}).items())
                ],
            )
            for index in indexes
        ]
        prompt_tokens, completion_tokens, total_tokens = self.usage or (0, 0, 0)
        return Completion(
            upstream_id=self.upstream_id,
            model=self.model or default_model,
            choices=choices,
            prompt_tokens=prompt_tokens,
            completion_tokens=completion_tokens,
            total_tokens=total_tokens,
        )

    def take(self, chunk: dict, pieces: StreamPieces) -> None:
        """Fold one `chat.completion.chunk` into the state; choice 0's new text goes to `pieces`."""
        if not self.upstream_id:
            self.upstream_id = storable_text(str(chunk.get("id") or ""))[:200]
            self.model = storable_text(str(chunk.get("model") or ""))[:100]
        usage = chunk.get("usage")
        if isinstance(usage, dict):
            self.usage = usage_counts(usage)
        for choice in chunk.get("choices") or ():
            index = choice_index(choice.get("index", 0))
            if index is None:
                continue
            delta = choice.get("delta") or {}
            piece = delta.get("content")
            if piece and isinstance(piece, str):
                piece = storable_text(piece)
                self.contents.setdefault(index, []).append(piece)
                pieces.append(piece if index == 0 else Delta(index, {"content": piece}))
            for call in delta.get("tool_calls") or ():
                self.take_tool_call(index, call, pieces)
            if choice.get("finish_reason"):
                self.finish_reasons[index] = storable_text(str(choice["finish_reason"]))[:30]

    def take_tool_call(self, index: int, piece, pieces: StreamPieces) -> None:
        """One piece of a streamed tool call: relayed with its `index`; id and name in its first piece."""
        if not isinstance(piece, dict):
            return
        position = choice_index(piece.get("index", 0))
        function = piece.get("function") if isinstance(piece.get("function"), dict) else {}
        arguments = function.get("arguments")
        arguments = storable_text(arguments) if isinstance(arguments, str) else ""
        calls = self.calls.setdefault(index, {})
        if position is None or (position not in calls and len(calls) >= MAX_TOOL_CALLS):
            return
        if position not in calls:
            call = {
                "id": storable_text(str(piece.get("id") or ""))[:200],
                "name": storable_text(str(function.get("name") or ""))[:200],
                "arguments": [arguments],
            }
            calls[position] = call
            relayed = {"index": position, "id": call["id"], "type": "function"}
            relayed["function"] = {"name": call["name"], "arguments": arguments}
        else:
            call = calls[position]
            if not arguments:
                return
            call["arguments"].append(arguments)
            relayed = {"index": position, "function": {"arguments": arguments}}
        pieces.append(Delta(index, {"tool_calls": [relayed]}))


# What a stored reply can hold: the upstream is trusted to speak OpenAI's protocol, not to keep
# within our columns (a choice index past this, or a token count past a 32-bit integer).
MAX_CHOICES = 16
MAX_TOKENS_COUNT = 2**31 - 1


def choice_index(value) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < MAX_CHOICES else None


def usage_counts(usage: dict) -> tuple[int, int, int]:
    def count(name: str) -> int:
        value = usage.get(name)
        if isinstance(value, float) and value.is_integer():  # orjson reads an integer past 64 bits as one
            value = int(value)
        return min(value, MAX_TOKENS_COUNT) if isinstance(value, int) and value >= 0 else 0

    return count("prompt_tokens"), count("completion_tokens"), count("total_tokens")
