"""Writes on chats, and sending a message to the model.

Sending is split so that no database work, lock or transaction spans the model call:
`message_prepare` (ownership, quota reservation, upstream messages) and `message_store`
(one transaction) are short synchronous units; `chat_send_message` awaits the model between
them on the event loop.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Case, F, Value, When
from django.http import Http404
from django.utils import timezone

from chat.database import run_db
from chat.exceptions import UpstreamError
from chat.gateway import Completion, CompletionChoice, CompletionRequest, OpenAIGateway, StreamDelta
from chat.models import CONTEXT_KINDS, ChatBot, Choice, Config, Prompt, PromptKind, Reply
from chat.quota import QuotaStatus, Reservation, quota_commit, quota_release, quota_renew, quota_reserve
from chat.selectors import chat_get_for, prompts_with_replies

CONTEXT_LABELS = {
    PromptKind.CURRENT_STATE: "Their current situation",
    PromptKind.GOAL: "Their goal",
    PromptKind.MISC: "Anything else they asked you to keep in mind",
}
TITLE_LENGTH = 60
logger = logging.getLogger(__name__)


# --- Chats ----------------------------------------------------------------------------------------


def config_defaults() -> dict[str, Any]:
    return {
        "model": settings.OPENAI_MODEL,
        "temperature": Decimal("1.00"),
        "max_tokens": min(settings.CHAT_DEFAULT_MAX_TOKENS, settings.CHAT_MAX_TOKENS_CAP),
        "stream": True,
        "system_prompt": "",
    }


def context_update(*, chat: ChatBot, context: dict[str, str | None]) -> None:
    """Set, change or (with an empty value) remove the chat's typed context prompts."""
    for kind in CONTEXT_KINDS:
        if kind.value not in context:
            continue
        content = (context[kind.value] or "").strip()
        if content:
            Prompt.objects.update_or_create(chatbot=chat, kind=kind, defaults={"content": content})
        else:
            Prompt.objects.filter(chatbot=chat, kind=kind).delete()


@transaction.atomic
def chat_create(
    *, user, title: str = "", config: dict[str, Any] | None = None, context: dict[str, str | None] | None = None
) -> ChatBot:
    chat = ChatBot.objects.create(user=user, title=title.strip())
    Config.objects.create(chatbot=chat, **{**config_defaults(), **(config or {})})
    context_update(chat=chat, context=context or {})
    return chat


@transaction.atomic
def chat_update(
    *,
    chat: ChatBot,
    title: str | None = None,
    config: dict[str, Any] | None = None,
    context: dict[str, str | None] | None = None,
) -> ChatBot:
    if title is not None:
        chat.title = title.strip()
        chat.save(update_fields=["title", "updated_at"])
    if config:
        Config.objects.filter(chatbot=chat).update(**config)
    if context:
        context_update(chat=chat, context=context)
    return chat


def chat_delete_all(*, user) -> int:
    deleted, _ = ChatBot.objects.filter(user=user).delete()
    return deleted


# --- Sending a message ----------------------------------------------------------------------------


@dataclass(frozen=True)
class SendPlan:
    chat_id: int
    content: str
    request: CompletionRequest
    reservation: Reservation


def upstream_messages(*, chat: ChatBot, content: str) -> list[dict[str, str]]:
    """System prompt, context, then as many earlier turns as the budget allows, newest kept."""
    messages: list[dict[str, str]] = []
    if chat.config.system_prompt:
        messages.append({"role": "system", "content": chat.config.system_prompt})
    context = {p.kind: p.content for p in chat.prompts.filter(kind__in=CONTEXT_KINDS)}
    if context:
        lines = [f"{CONTEXT_LABELS[kind]}: {context[kind]}" for kind in CONTEXT_KINDS if kind in context]
        messages.append({"role": "system", "content": "What the user told you about themselves.\n" + "\n".join(lines)})
    budget = settings.CHAT_HISTORY_BUDGET
    turns: list[tuple[str, str]] = []
    earlier = (
        prompts_with_replies()
        .filter(chatbot=chat, kind=PromptKind.MESSAGE, reply__isnull=False)
        .order_by("-created_at", "-id")
    )
    for prompt in earlier.iterator(chunk_size=100):
        choices = prompt.reply.ordered_choices
        answer = choices[0].content if choices else ""
        budget -= len(prompt.content) + len(answer)
        if budget < 0:
            break
        turns.append((prompt.content, answer))
    for question, answer in reversed(turns):
        messages.append({"role": "user", "content": question})
        messages.append({"role": "assistant", "content": answer})
    messages.append({"role": "user", "content": content})
    return messages


def message_prepare(*, user, chat_id: int, content: str) -> SendPlan:
    chat = chat_get_for(user, chat_id=chat_id)
    config = chat.config
    request = CompletionRequest(
        model=config.model,
        messages=upstream_messages(chat=chat, content=content),
        temperature=float(config.temperature),
        max_tokens=config.max_tokens,
    )
    reservation = quota_reserve(user=user)
    return SendPlan(chat_id=chat.pk, content=content, request=request, reservation=reservation)


@transaction.atomic
def message_store(*, plan: SendPlan, completion: Completion) -> Prompt:
    """Store the exchange and count it, all or nothing. Returns the prompt with its reply loaded."""
    first_line = plan.content.strip().split("\n", 1)[0][:TITLE_LENGTH]
    touched = ChatBot.objects.filter(pk=plan.chat_id).update(
        updated_at=timezone.now(),
        title=Case(When(title="", then=Value(first_line)), default=F("title")),  # the first message names it
    )
    if not touched:
        raise Http404("This chat was deleted while the model was answering.")
    prompt = Prompt.objects.create(chatbot_id=plan.chat_id, kind=PromptKind.MESSAGE, content=plan.content)
    reply = Reply.objects.create(
        chatbot_id=plan.chat_id,
        prompt=prompt,
        upstream_id=completion.upstream_id[:200],
        model=completion.model[:100],
        prompt_tokens=completion.prompt_tokens,
        completion_tokens=completion.completion_tokens,
        total_tokens=completion.total_tokens,
    )
    choices = Choice.objects.bulk_create(
        Choice(
            reply=reply,
            index=choice.index,
            role=choice.role[:20],
            content=choice.content,
            finish_reason=choice.finish_reason[:30],
        )
        for choice in completion.choices
    )
    quota_commit(reservation=plan.reservation)
    # What prompts_with_replies() would load, without reading it back.
    reply.ordered_choices = sorted(choices, key=lambda choice: choice.index)
    prompt.reply = reply
    return prompt


async def _release_quietly(reservation: Reservation) -> None:
    # Shielded: the request may be cancelled (client gone) while we give the quota back.
    await asyncio.shield(run_db(quota_release, reservation=reservation))


@dataclass(frozen=True)
class SendResult:
    prompt: Prompt
    quota: QuotaStatus  # after this send


async def chat_prepare_send(*, user, chat_id: int, content: str) -> SendPlan:
    """The checks of a send (ownership, quota), done before the model is called or a byte streamed."""
    return await run_db(message_prepare, user=user, chat_id=chat_id, content=content)


async def chat_send_message(*, user, chat_id: int, content: str, gateway: OpenAIGateway) -> SendResult:
    """Send one message and return the stored prompt with its reply. Costs one unit of quota."""
    plan = await chat_prepare_send(user=user, chat_id=chat_id, content=content)
    try:
        completion = await gateway.complete(plan.request)
        prompt = await run_db(message_store, plan=plan, completion=completion)
    except BaseException as error:
        logger.warning("send failed chat=%s error=%s", plan.chat_id, type(error).__name__)
        await _release_quietly(plan.reservation)
        raise
    logger.info("reply stored chat=%s prompt=%s tokens=%s", plan.chat_id, prompt.pk, completion.total_tokens)
    return SendResult(prompt=prompt, quota=plan.reservation.status)


@dataclass(frozen=True)
class StreamEvent:
    event: str  # "delta", "done" or "error"
    data: Any


async def chat_stream_message(*, plan: SendPlan, gateway: OpenAIGateway) -> AsyncIterator[StreamEvent]:
    """Stream the reply to a prepared send: deltas, then the stored prompt, or one error.

    If the consumer goes away (the generator is closed or cancelled), the upstream response is
    closed and what arrived is stored with finish_reason "cancelled".
    """
    received: list[str] = []
    renew_every = max(1.0, settings.OPENAI_TIMEOUT / 2)
    loop = asyncio.get_running_loop()
    renewed_at = loop.time()
    upstream = gateway.stream(plan.request)
    try:
        async for item in upstream:
            if isinstance(item, StreamDelta):
                received.append(item.content)
                if loop.time() - renewed_at > renew_every:  # a long stream keeps its reservation alive
                    await run_db(quota_renew, reservation=plan.reservation)
                    renewed_at = loop.time()
                yield StreamEvent("delta", {"content": item.content})
            else:
                prompt = await run_db(message_store, plan=plan, completion=item)
                logger.info(
                    "streamed reply stored chat=%s prompt=%s tokens=%s", plan.chat_id, prompt.pk, item.total_tokens
                )
                yield StreamEvent("done", prompt)
                return
    except (UpstreamError, Http404) as error:
        logger.warning("stream failed chat=%s error=%s", plan.chat_id, type(error).__name__)
        await _release_quietly(plan.reservation)
        yield StreamEvent("error", error)
        return
    except (GeneratorExit, asyncio.CancelledError):
        logger.info("stream cancelled by the client chat=%s after=%s pieces", plan.chat_id, len(received))
        await upstream.aclose()
        await asyncio.shield(_store_cancelled(plan=plan, received=received))
        raise
    except BaseException:
        await _release_quietly(plan.reservation)
        raise


async def _store_cancelled(*, plan: SendPlan, received: list[str]) -> None:
    """Keep what the user already saw of a reply they stopped; nothing seen costs nothing."""
    if not received:
        await run_db(quota_release, reservation=plan.reservation)
        return
    choice = CompletionChoice(index=0, role="assistant", content="".join(received), finish_reason="cancelled")
    completion = Completion(upstream_id="", model=plan.request.model, choices=[choice])
    await run_db(message_store, plan=plan, completion=completion)
