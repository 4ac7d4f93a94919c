"""What a call to the model gives back, as small typed values free of the SDK: a whole reply
(`Completion` and its `CompletionChoice`s) and, while a stream flows, what one network read carried
(`StreamPieces`: choice 0's text, and a `Delta` for any other piece); with `storable_text`, which
makes their text storable, so that what is shown is what is stored. The gateway (`chat.gateway`)
and the stream's state (`chat.stream_state`) make them; the send pipeline and the wire formats
read them."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

# Text the database cannot store (PostgreSQL rejects NUL; no UTF-8 encoder takes a lone surrogate).
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
REPLACEMENT = "\ufffd"


def storable_text(text: str) -> str:
    """`text` with NUL and lone surrogates replaced by U+FFFD, so what is shown is what is stored."""
    return _UNSTORABLE.sub(REPLACEMENT, text) if _UNSTORABLE.search(text) else text


@dataclass(frozen=True)
class CompletionChoice:
    index: int
    role: str
    content: str
    finish_reason: str
    # OpenAI's [{id, type: "function", function: {name, arguments}}], as the model asked.
    tool_calls: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True)
class Completion:
    upstream_id: str
    model: str
    choices: list[CompletionChoice]
    prompt_tokens: int = 0
    completion_tokens: int = 0
    total_tokens: int = 0

    @property
    def text(self) -> str:
        return self.choices[0].content if self.choices else ""


@dataclass(frozen=True)
class Delta:
    """A streamed piece other than choice 0's text: another choice's text, or a piece of a tool call
    (`{"tool_calls": [{index, id, type, function: {name, arguments}}]}`, id and name in its first piece)."""

    index: int
    delta: dict[str, Any]


class StreamPieces(list):
    """What one network read of the upstream stream carried: choice 0's text pieces (`str`) and `Delta`s."""
