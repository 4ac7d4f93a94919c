"""Step 2 of a send: ask the model (`chat.gateway`), plainly or as a stream, keeping the reservation
alive for as long as the call and its store last, and hand the answer to step 3 (`chat.sending.store`)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from typing import TypeVar

from django.conf import settings

from chat.completions import Completion, StreamPieces
from chat.gateway import OpenAIGateway
from chat.quota import Reservation, quota_renew
from chat.sending.plan import SendPlan, SendResult
from chat.sending.store import release_quietly, store_cancelled, store_once
from chat.sending.summary import with_summary
from chat.tokens import calibrate
from core.database import run_db

logger = logging.getLogger(__name__)
T = TypeVar("T")


@contextlib.asynccontextmanager
async def _kept_reserved(reservation: Reservation):
    """Renew the reservation every half of its life for as long as the call and its store last:
    a slow stream or a slow store must not let it expire, or another send would take its unit."""

    async def renew() -> None:
        while True:
            await asyncio.sleep(max(1.0, settings.OPENAI_TIMEOUT / 2))
            await run_db(quota_renew, reservation=reservation)

    renewer = asyncio.create_task(renew())
    try:
        yield
    finally:
        renewer.cancel()


async def send_complete(*, plan: SendPlan, gateway: OpenAIGateway) -> SendResult:
    """Ask the model and store the reply. Costs one completion; failures cost nothing."""
    async with _kept_reserved(plan.reservation):
        try:
            plan = await with_summary(plan, gateway)
            completion = await gateway.complete(plan.request)
        except BaseException as error:
            logger.warning("send failed chat=%s error=%s", plan.chat_id, type(error).__name__)
            await release_quietly(plan.reservation)
            raise
        _calibrated(plan, completion)
        prompt = await store_once(plan, completion, delivered=False)
    logger.info("reply stored chat=%s prompt=%s tokens=%s", prompt.chatbot_id, prompt.pk, completion.total_tokens)
    return SendResult(prompt=prompt, quota=plan.reservation.status)


async def send_stream(*, plan: SendPlan, gateway: OpenAIGateway) -> AsyncIterator[StreamPieces | SendResult]:
    """Relay the reply as it is written (`StreamPieces`), then yield the stored `SendResult`.

    Domain errors are raised (nothing stored, nothing counted). If the consumer goes away (the
    generator is closed or cancelled), the upstream response is closed and what arrived is stored
    with finish_reason "cancelled": it was shown, so it counts.
    """
    received: list[str] = []
    shown = False  # anything relayed: text, or a tool call's pieces
    storing = False
    upstream = None
    try:
        async with _kept_reserved(plan.reservation):
            plan = await with_summary(plan, gateway)
            upstream = gateway.stream(plan.request)
            async for item in upstream:
                if isinstance(item, StreamPieces):
                    received.extend(piece for piece in item if isinstance(piece, str))  # choice 0's text
                    shown = True
                    yield item
                    continue
                storing = True
                _calibrated(plan, item)
                prompt = await store_once(plan, item, delivered=True)
                logger.info(
                    "streamed reply stored chat=%s prompt=%s tokens=%s", prompt.chatbot_id, prompt.pk, item.total_tokens
                )
                break
        await upstream.aclose()  # it has nothing more to give; close it now rather than at collection
        yield SendResult(prompt=prompt, quota=plan.reservation.status)
    except (GeneratorExit, asyncio.CancelledError):
        if not storing:
            logger.info("stream cancelled by the client chat=%s after=%s pieces", plan.chat_id, len(received))
            if upstream is not None:
                await upstream.aclose()
            await asyncio.shield(store_cancelled(plan=plan, received=received, shown=shown))
        raise
    except BaseException as error:
        if not storing:
            logger.warning("stream failed chat=%s error=%s", plan.chat_id, type(error).__name__)
            await release_quietly(plan.reservation)
        raise


def _calibrated(plan: SendPlan, completion: Completion) -> None:
    """Teach the estimate (models tiktoken does not know) what the upstream counted for this request."""
    if plan.history is not None:
        calibrate(
            counter_by=plan.history.counter.by,
            model=plan.request.model,
            estimated=plan.counted_tokens,
            reported=completion.prompt_tokens,
        )


async def started(items: AsyncIterator[T]) -> AsyncIterator[T]:
    """`items`, once its first item has arrived: what fails before that is raised here, to the caller."""
    first = await anext(items)

    async def chained() -> AsyncIterator[T]:
        async with contextlib.aclosing(items):
            yield first
            async for item in items:
                yield item

    return chained()
