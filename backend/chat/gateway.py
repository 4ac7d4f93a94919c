"""The one module that calls the language model, through the official `openai` SDK.

It speaks in small typed results (`Completion`, `StreamDelta`) and our own exceptions
(`UpstreamError`, `UpstreamBusy`, `UpstreamTimeout`), so nothing else imports the SDK.
It is async: a request waiting on the model holds no thread and no worker.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

import httpx2  # the SDK's transport; its errors surface while a stream is being read
import openai
from django.conf import settings

from chat.exceptions import UpstreamBusy, UpstreamError, UpstreamTimeout


@dataclass(frozen=True)
class CompletionRequest:
    model: str
    messages: list[dict[str, str]]
    temperature: float
    max_tokens: int


@dataclass(frozen=True)
class CompletionChoice:
    index: int
    role: str
    content: str
    finish_reason: str


@dataclass(frozen=True)
class Completion:
    upstream_id: str
    model: str
    choices: list[CompletionChoice]
    prompt_tokens: int = 0
    completion_tokens: int = 0
    total_tokens: int = 0


@dataclass(frozen=True)
class StreamDelta:
    content: str


@dataclass
class _StreamState:
    """What a stream has delivered so far."""

    upstream_id: str = ""
    model: str = ""
    contents: dict[int, list[str]] = field(default_factory=dict)
    finish_reasons: dict[int, str] = field(default_factory=dict)
    usage: tuple[int, int, int] | None = None

    def completion(self, *, default_model: str) -> Completion:
        indexes = sorted(self.contents) or [0]
        choices = [
            CompletionChoice(
                index=index,
                role="assistant",
                content="".join(self.contents.get(index, [])),
                finish_reason=self.finish_reasons.get(index, ""),
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


def _retry_after(response) -> int:
    try:
        return max(1, int(float(response.headers.get("retry-after", "10"))))
    except (TypeError, ValueError):
        return 10


@asynccontextmanager
async def _upstream_errors():
    """Translate the SDK's and transport's exceptions into ours."""
    try:
        yield
    except UpstreamError:
        raise
    except (openai.APITimeoutError, httpx2.TimeoutException, TimeoutError) as error:
        raise UpstreamTimeout() from error
    except openai.RateLimitError as error:
        raise UpstreamBusy(retry_after=_retry_after(error.response)) from error
    except openai.APIStatusError as error:
        raise UpstreamError(f"The language model service answered with an error ({error.status_code}).") from error
    except openai.APIConnectionError as error:
        raise UpstreamError("Could not reach the language model service.") from error
    except httpx2.HTTPError as error:  # raised while reading a response already under way
        raise UpstreamError("The language model service broke off its answer.") from error
    except openai.OpenAIError as error:
        raise UpstreamError() from error


class OpenAIGateway:
    def __init__(self, *, api_key: str, base_url: str | None, timeout: float):
        self.timeout = timeout
        # No SDK retries: a retry would silently stretch the caller's timeout.
        self.client = openai.AsyncOpenAI(
            api_key=api_key or "not-set", base_url=base_url, timeout=timeout, max_retries=0
        )

    async def complete(self, request: CompletionRequest) -> Completion:
        async with _upstream_errors(), asyncio.timeout(self.timeout):
            response = await self.client.chat.completions.create(
                model=request.model,
                messages=request.messages,
                temperature=request.temperature,
                max_tokens=request.max_tokens,
            )
        usage = response.usage
        return Completion(
            upstream_id=response.id or "",
            model=response.model or request.model,
            choices=[
                CompletionChoice(
                    index=choice.index,
                    role=choice.message.role or "assistant",
                    content=choice.message.content or "",
                    finish_reason=choice.finish_reason or "",
                )
                for choice in response.choices
            ],
            prompt_tokens=usage.prompt_tokens if usage else 0,
            completion_tokens=usage.completion_tokens if usage else 0,
            total_tokens=usage.total_tokens if usage else 0,
        )

    async def stream(self, request: CompletionRequest) -> AsyncIterator[StreamDelta | Completion]:
        """Yield a `StreamDelta` per content chunk, then one final `Completion`.

        Each wait for the next chunk is bounded by the timeout. If the consumer stops early
        (`aclose()`), the upstream response is closed, which cancels the generation.
        """
        state = _StreamState()
        async with _upstream_errors():
            async with asyncio.timeout(self.timeout):
                stream = await self.client.chat.completions.create(
                    model=request.model,
                    messages=request.messages,
                    temperature=request.temperature,
                    max_tokens=request.max_tokens,
                    stream=True,
                    stream_options={"include_usage": True},
                )
            async with stream:  # leaving it closes the response, which cancels the generation
                chunks = aiter(stream)
                while True:
                    async with asyncio.timeout(self.timeout):
                        chunk = await anext(chunks, None)
                    if chunk is None:
                        break
                    state.upstream_id = state.upstream_id or chunk.id or ""
                    state.model = state.model or chunk.model or ""
                    if chunk.usage:
                        usage = chunk.usage
                        state.usage = (usage.prompt_tokens, usage.completion_tokens, usage.total_tokens)
                    for choice in chunk.choices:
                        piece = choice.delta.content if choice.delta else None
                        if piece:
                            state.contents.setdefault(choice.index, []).append(piece)
                            if choice.index == 0:
                                yield StreamDelta(content=piece)
                        if choice.finish_reason:
                            state.finish_reasons[choice.index] = choice.finish_reason
            if not state.finish_reasons:
                raise UpstreamError("The language model service ended its answer early.")
        yield state.completion(default_model=request.model)


# One SDK client per event loop (its connection pool belongs to the loop that made it) and
# per upstream configuration.
_gateways: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[tuple, OpenAIGateway]] = (
    weakref.WeakKeyDictionary()
)


def get_gateway() -> OpenAIGateway:
    options = {
        "api_key": settings.OPENAI_API_KEY,
        "base_url": settings.OPENAI_BASE_URL,
        "timeout": settings.OPENAI_TIMEOUT,
    }
    per_loop = _gateways.setdefault(asyncio.get_running_loop(), {})
    key = tuple(options.values())
    if key not in per_loop:
        per_loop[key] = OpenAIGateway(**options)
    return per_loop[key]
