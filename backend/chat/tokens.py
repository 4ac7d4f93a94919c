"""Counting tokens the way the model does, with nothing downloaded.

OpenAI's models: tiktoken's own encodings (o200k_base, cl100k_base), built from the files shipped
in `chat/encodings/` (tiktoken would otherwise fetch them from the network on first use). Any other
model: an estimate from the text's characters (about four Latin characters a token, one token a
Hangul or CJK character), corrected by how the upstream's `usage.prompt_tokens` compared with the
estimate of what was sent (`calibrate`). A missing or damaged encoding file falls back to the
estimate, logged once: counting never fails a send.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import logging
import math
import threading
from dataclasses import dataclass
from pathlib import Path

import tiktoken
from django.conf import settings
from tiktoken.model import encoding_name_for_model

logger = logging.getLogger(__name__)

ENCODINGS_DIR = Path(__file__).resolve().parent / "encodings"
ESTIMATE = "estimate"

# What tiktoken 0.14.0 (tiktoken_ext/openai_public.py) builds each encoding from, but the ranks'
# location: the hashes are the ones tiktoken checks its downloads against.
_O200K_PATTERN = "|".join(
    [
        r"""[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?""",
        r"""[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?""",
        r"""\p{N}{1,3}""",
        r""" ?[^\s\p{L}\p{N}]+[\r\n/]*""",
        r"""\s*[\r\n]+""",
        r"""\s+(?!\S)""",
        r"""\s+""",
    ]
)
_CL100K_PATTERN = (
    r"""'(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}++|\p{N}{1,3}+| ?[^\s\p{L}\p{N}]++[\r\n]*+"""
    r"""|\s++$|\s*[\r\n]|\s+(?!\S)|\s"""
)
_SPECS = {
    "o200k_base": (
        _O200K_PATTERN,
        "446a9538cb6c348e3516120d7c08b09f57c36495e2acfffe59a5bf8b0cfb1a2d",
        {"<|endoftext|>": 199999, "<|endofprompt|>": 200018},
    ),
    "cl100k_base": (
        _CL100K_PATTERN,
        "223921b76ee99bde995b7ff738513eef100fb51d18c93597a113bcffe865b2a7",
        {
            "<|endoftext|>": 100257,
            "<|fim_prefix|>": 100258,
            "<|fim_middle|>": 100259,
            "<|fim_suffix|>": 100260,
            "<|endofprompt|>": 100276,
        },
    ),
}

# OpenAI's chat format: every message costs a few tokens besides its text, the reply's priming too.
TOKENS_PER_MESSAGE = 3
REPLY_PRIMING = 3


class EncodingUnavailable(Exception):
    pass


def load_encoding(name: str, directory: Path = ENCODINGS_DIR) -> tiktoken.Encoding:
    """The encoding `name` from `directory/<name>.tiktoken`, checked against tiktoken's hash."""
    if name not in _SPECS:
        raise EncodingUnavailable(f"no shipped encoding {name}")
    pattern, expected_hash, special_tokens = _SPECS[name]
    try:
        contents = (directory / f"{name}.tiktoken").read_bytes()
    except OSError as error:
        raise EncodingUnavailable(f"{name}: {error}") from error
    if hashlib.sha256(contents).hexdigest() != expected_hash:
        raise EncodingUnavailable(f"{name}: the file is not the published encoding (hash mismatch)")
    ranks = {base64.b64decode(token): int(rank) for token, rank in (line.split() for line in contents.splitlines())}
    return tiktoken.Encoding(name=name, pat_str=pattern, mergeable_ranks=ranks, special_tokens=special_tokens)


@functools.cache
def _encoding(name: str) -> tiktoken.Encoding | None:
    try:
        return load_encoding(name)
    except EncodingUnavailable as error:
        logger.error("token counting falls back to the estimate: %s", error)
        return None


def preload() -> None:
    """Load every shipped encoding now (each once per process)."""
    for name in _SPECS:
        _encoding(name)


def estimate(text: str) -> int:
    """Tokens of `text` by its characters: ASCII about four a token, anything else about one each
    (Hangul, CJK; generous for accented Latin, which is what a budget wants)."""
    ascii_count = len(text.encode("ascii", "ignore"))
    return math.ceil(ascii_count / 4 + (len(text) - ascii_count))


@dataclass(frozen=True)
class Counter:
    """How the tokens of one model are counted: `by` names it (stored with each count)."""

    by: str
    model: str

    def count(self, text: str) -> int:
        """Tokens of `text` as a message's content (without the message's own overhead)."""
        if not text:
            return 0
        encoding = _encoding(self.by) if self.by != ESTIMATE else None
        if encoding is None:
            return estimate(text)
        return len(encoding.encode(text, disallowed_special=()))

    def scale(self) -> float:
        """Upstream tokens per counted token: 1 for tiktoken's encodings, calibrated for the estimate."""
        return 1.0 if self.by != ESTIMATE else _calibration.get(self.model)


def counter_for(model: str) -> Counter:
    try:
        name = encoding_name_for_model(model)
    except KeyError:
        return Counter(by=ESTIMATE, model=model)
    if name not in _SPECS or _encoding(name) is None:
        return Counter(by=ESTIMATE, model=model)
    return Counter(by=name, model=model)


def message_tokens(content_tokens: int) -> int:
    return content_tokens + TOKENS_PER_MESSAGE


class _Calibration:
    """Per model (in this process): upstream prompt tokens per estimated token, a moving average
    of what the upstream reported, kept between a quarter and four."""

    WEIGHT = 0.2

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._ratios: dict[str, float] = {}

    def get(self, model: str) -> float:
        return self._ratios.get(model, 1.0)

    def observe(self, model: str, *, estimated: int, reported: int) -> None:
        if estimated <= 0 or reported <= 0:
            return
        ratio = min(4.0, max(0.25, reported / estimated))
        with self._lock:
            previous = self._ratios.get(model)
            self._ratios[model] = ratio if previous is None else previous + self.WEIGHT * (ratio - previous)


_calibration = _Calibration()


def calibrate(*, counter_by: str, model: str, estimated: int, reported: int) -> None:
    """Learn from an upstream's `usage.prompt_tokens` for a request whose tokens were estimated."""
    if counter_by == ESTIMATE:
        _calibration.observe(model, estimated=estimated, reported=reported)


def context_window(model: str) -> int:
    """The model's context window in tokens (settings.OPENAI_CONTEXT_WINDOWS, else the default)."""
    windows = settings.OPENAI_CONTEXT_WINDOWS
    if model in windows:
        return windows[model]
    # Dated snapshots (gpt-4o-mini-2024-07-18) share their family's window: the longest known prefix.
    family = max((name for name in windows if model.startswith(name + "-")), key=len, default=None)
    return windows[family] if family else settings.OPENAI_DEFAULT_CONTEXT_WINDOW
