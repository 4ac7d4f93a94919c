"""What went wrong with a call to the model's server, as one of our `UpstreamError`s.

The SDK turns its transport's failures into its own exceptions (`APITimeoutError`,
`APIConnectionError`), and the SDK's aiohttp transport first turns aiohttp's into httpx2's; that
mapping calls a refused connection and a server that hung up "ConnectTimeout". So the aiohttp error
at the root of the chain, where there is one, decides: only a timeout is a timeout.
"""

from __future__ import annotations

import asyncio
import time
from contextlib import asynccontextmanager

import aiohttp
import httpx2
import openai
from django.utils.translation import gettext as _

from chat.exceptions import UpstreamBusy, UpstreamError, UpstreamTimeout
from core.metrics import UPSTREAM_ERRORS, UPSTREAM_LATENCY


def _retry_after(response) -> int:
    try:
        return min(3600, max(1, int(float(response.headers.get("retry-after", "10")))))
    except (TypeError, ValueError, OverflowError):
        return 10


def _transport_cause(error: BaseException) -> aiohttp.ClientError | None:
    seen = set()
    while error is not None and id(error) not in seen:
        if isinstance(error, aiohttp.ClientError):
            return error
        seen.add(id(error))
        error = error.__cause__ or error.__context__
    return None


def translated(error: Exception) -> Exception:
    """Our exception for `error`, or `error` itself when it is not the model's server failing."""
    if isinstance(error, UpstreamError):
        return error
    if isinstance(error, openai.RateLimitError):
        return UpstreamBusy(retry_after=_retry_after(error.response)).refused()
    if isinstance(error, openai.APIStatusError):
        message = _("The language model service answered with an error (%(status)s).")
        ours = UpstreamError(message % {"status": error.status_code})
        # A 4xx refused the request; a 5xx (a proxy's 502 or 504 among them) may come after the model generated.
        return ours.refused() if error.status_code < 500 else ours
    cause = _transport_cause(error)
    if isinstance(cause, aiohttp.ServerTimeoutError):  # no answer, or no next piece, in time
        return UpstreamTimeout()
    if isinstance(cause, aiohttp.ClientConnectorError):  # refused, unknown host, unreachable
        return UpstreamError(_("Could not reach the language model service.")).refused()
    if cause is not None:  # hung up, or sent a body that is not HTTP, once the answer was under way
        return UpstreamError(_("The language model service broke off its answer."))
    if isinstance(error, openai.APITimeoutError | httpx2.TimeoutException | TimeoutError):
        return UpstreamTimeout()
    if isinstance(error, openai.APIConnectionError):
        return UpstreamError(_("Could not reach the language model service.")).refused()
    if isinstance(error, httpx2.HTTPError):  # raised while reading a response already under way
        return UpstreamError(_("The language model service broke off its answer."))
    if isinstance(error, ValueError | TypeError | AttributeError | KeyError):  # not what OpenAI sends
        return UpstreamError(_("The language model service sent an answer we could not read."))
    if isinstance(error, openai.OpenAIError):
        return UpstreamError()
    return error


@asynccontextmanager
async def upstream_call(mode: str):
    """Time the call, count its failure by kind, and raise ours for the SDK's and transport's exceptions."""
    started = time.perf_counter()
    try:
        try:
            yield
        except asyncio.CancelledError:
            raise
        except Exception as error:
            ours = translated(error)
            if ours is error:
                raise
            raise ours from error
    except UpstreamError as error:
        kind = (
            "timeout" if isinstance(error, UpstreamTimeout) else "busy" if isinstance(error, UpstreamBusy) else "error"
        )
        UPSTREAM_ERRORS.labels(kind).inc()
        raise
    finally:
        UPSTREAM_LATENCY.labels(mode).observe(time.perf_counter() - started)
