"""The send pipeline: one path from a user's message to a stored, counted reply.

Every way of asking the model goes through here: the REST send (plain and streamed) and the
OpenAI-compatible endpoint. A send has three steps, and no database work, lock or transaction
spans the model call:

1. `send_prepare` / `completion_prepare`: one short synchronous unit that checks ownership,
   reserves quota (`chat.quota`) and builds the upstream request;
2. `send_complete` or `send_stream` awaits the model (`chat.gateway`);
3. `send_store`: one transaction that stores the exchange and counts it, or, if the chat was
   deleted meanwhile, counts it only when the user has already seen the reply.

It speaks in domain results and errors (`chat.exceptions`); mapping them to HTTP is the API's job.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any, TypeVar

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Case, F, Value, When
from django.utils import timezone

from chat.database import run_db
from chat.exceptions import ChatDeletedMidAnswer, ChatNotFound, PromptNotFound, PromptNotRegenerable
from chat.gateway import Completion, CompletionChoice, CompletionRequest, OpenAIGateway, StreamPieces
from chat.models import CONTEXT_KINDS, ChatBot, Choice, Config, Prompt, PromptKind, Reply
from chat.quota import QuotaStatus, Reservation, quota_commit, quota_release, quota_renew, quota_reserve
from chat.services import ensure_room_for_a_chat
from config.metrics import TOKENS

CONTEXT_LABELS = {
    PromptKind.CURRENT_STATE: "Their current situation",
    PromptKind.GOAL: "Their goal",
    PromptKind.MISC: "Anything else they asked you to keep in mind",
}
TITLE_LENGTH = 60
logger = logging.getLogger(__name__)
T = TypeVar("T")


@dataclass(frozen=True)
class SendPlan:
    """A prepared send: what goes upstream, where the reply is stored, and its reserved quota."""

    user_id: int
    chat_id: int | None  # None: a new chat is made when the reply is stored (OpenAI-compatible calls)
    content: str  # the user's message, stored as the prompt
    request: CompletionRequest
    reservation: Reservation
    new_chat_config: dict[str, Any] = field(default_factory=dict)
    prompt_id: int | None = None  # a stored prompt answered again (regenerate): the reply is added to it


@dataclass(frozen=True)
class SendResult:
    prompt: Prompt  # with `reply` and `reply.ordered_choices` loaded
    quota: QuotaStatus  # after this send


def first_line(text: str) -> str:
    return text.strip().split("\n", 1)[0][:TITLE_LENGTH]


# --- 1. Prepare ---------------------------------------------------------------------------------


def _context_and_turns_sql() -> str:
    """Context prompts first, then answered messages newest first, each with its newest reply's first
    choice's text; but for one prompt (the one being answered again, or none: -1).

    Plain SQL (portable across SQLite and PostgreSQL): the ORM spent more CPU compiling this
    query than the database spent running it, on every send (docs/performance.md).
    """
    prompt, reply, choice = Prompt._meta.db_table, Reply._meta.db_table, Choice._meta.db_table
    # Table names come from our models; every value is a query parameter.
    return (
        f"SELECT p.kind, p.content, c.content FROM {prompt} p "  # noqa: S608
        # the newest reply of each prompt (several after a regenerate)
        f"LEFT JOIN {reply} r ON r.id = (SELECT MAX(r2.id) FROM {reply} r2 WHERE r2.prompt_id = p.id) "
        f'LEFT JOIN {choice} c ON c.reply_id = r.id AND c."index" = 0 '
        "WHERE p.chatbot_id = %s AND p.id <> %s AND (p.kind <> %s OR r.id IS NOT NULL) "
        "ORDER BY CASE WHEN p.kind = %s THEN 1 ELSE 0 END, p.created_at DESC, p.id DESC"
    )


def upstream_messages(*, chat: ChatBot, content: str, answering: int | None = None) -> list[dict[str, str]]:
    """System prompt, context, then as many earlier turns as the budget allows (newest kept), in one
    query, then `content`. `answering`: the id of a stored prompt being answered again (regenerate),
    which is then `content` and not one of the earlier turns."""
    context: dict[str, str] = {}
    turns: list[tuple[str, str]] = []
    budget = settings.CHAT_HISTORY_BUDGET
    with connection.cursor() as cursor:
        parameters = [chat.pk, answering or -1, PromptKind.MESSAGE.value, PromptKind.MESSAGE.value]
        cursor.execute(_context_and_turns_sql(), parameters)
        while rows := cursor.fetchmany(100):
            for kind, question, answer in rows:
                if kind != PromptKind.MESSAGE:
                    context[kind] = question
                    continue
                budget -= len(question) + len(answer or "")
                if budget < 0:
                    break
                turns.append((question, answer or ""))
            if budget < 0:
                break

    messages: list[dict[str, str]] = []
    if chat.config.system_prompt:
        messages.append({"role": "system", "content": chat.config.system_prompt})
    if context:
        lines = [f"{CONTEXT_LABELS[kind]}: {context[kind]}" for kind in CONTEXT_KINDS if kind in context]
        messages.append({"role": "system", "content": "What the user told you about themselves.\n" + "\n".join(lines)})
    for question, answer in reversed(turns):
        messages.append({"role": "user", "content": question})
        messages.append({"role": "assistant", "content": answer})
    messages.append({"role": "user", "content": content})
    return messages


def _owned_chat(user, chat_id: int) -> ChatBot:
    chat = ChatBot.objects.owned_by(user).select_related("config").filter(pk=chat_id).first()
    if chat is None:
        raise ChatNotFound()
    return chat


def _reserved_plan(*, user, chat: ChatBot, content: str, prompt_id: int | None = None) -> SendPlan:
    """Reserve a completion and build the chat's request for `content`; the reservation is given
    back if building fails. `prompt_id`: a stored prompt answered again (it is not history then)."""
    reservation = quota_reserve(user=user)
    try:
        config = chat.config
        request = CompletionRequest(
            model=config.model,
            messages=upstream_messages(chat=chat, content=content, answering=prompt_id),
            temperature=float(config.temperature),
            max_tokens=config.max_tokens,
        )
    except BaseException:
        quota_release(reservation=reservation)
        raise
    return SendPlan(
        user_id=user.pk,
        chat_id=chat.pk,
        content=content,
        request=request,
        reservation=reservation,
        prompt_id=prompt_id,
    )


def send_prepare(*, user, chat_id: int, content: str) -> SendPlan:
    """Check the chat is the user's, reserve a completion and build the request (QuotaExceeded, ChatNotFound)."""
    return _reserved_plan(user=user, chat=_owned_chat(user, chat_id), content=content)


def regenerate_prepare(*, user, chat_id: int, prompt_id: int) -> SendPlan:
    """Ask again for the chat's last message, with the history before it (ChatNotFound, PromptNotFound,
    PromptNotRegenerable, QuotaExceeded). It costs a completion like any send."""
    chat = _owned_chat(user, chat_id)
    messages = Prompt.objects.filter(chatbot=chat, kind=PromptKind.MESSAGE)
    prompt = messages.filter(pk=prompt_id).first()
    if prompt is None:
        raise PromptNotFound()
    if messages.order_by("-created_at", "-id").values_list("pk", flat=True).first() != prompt.pk:
        raise PromptNotRegenerable()
    return _reserved_plan(user=user, chat=chat, content=prompt.content, prompt_id=prompt.pk)


def completion_prepare(
    *,
    user,
    request: CompletionRequest,
    content: str,
    chat_id: int | None = None,
    new_chat_config: dict[str, Any] | None = None,
) -> SendPlan:
    """An OpenAI-style call: `request.messages` go upstream as given; `content` (the last user
    message) and the reply are stored in chat `chat_id` (the user's, else ChatNotFound) or in a new chat."""
    if chat_id is not None and not ChatBot.objects.owned_by(user).filter(pk=chat_id).exists():
        raise ChatNotFound()
    if chat_id is None:
        ensure_room_for_a_chat(user=user)
    reservation = quota_reserve(user=user)
    return SendPlan(
        user_id=user.pk,
        chat_id=chat_id,
        content=content,
        request=request,
        reservation=reservation,
        new_chat_config=new_chat_config or {},
    )


# --- 3. Store -----------------------------------------------------------------------------------


def send_store(*, plan: SendPlan, completion: Completion, delivered: bool) -> Prompt:
    """Store the exchange and count it, all or nothing; returns the prompt with its reply loaded.

    If the chat was deleted meanwhile, nothing is stored and ChatDeletedMidAnswer is raised; the
    completion still counts when `delivered` (the user has already read it as it streamed): deleting
    a chat must not be a way around the quota.
    """
    tokens = {"prompt_tokens": completion.prompt_tokens, "completion_tokens": completion.completion_tokens}
    with transaction.atomic():
        chat_id = plan.chat_id
        if chat_id is None:
            chat = ChatBot.objects.create(user_id=plan.user_id, title=first_line(plan.content))
            Config.objects.create(chatbot=chat, **plan.new_chat_config)
            chat_id = chat.pk
        else:
            touched = ChatBot.objects.filter(pk=chat_id).update(
                updated_at=timezone.now(),
                # the first message names an untitled chat
                title=Case(When(title="", then=Value(first_line(plan.content))), default=F("title")),
            )
            # A regenerate's prompt may have been deleted with its chat meanwhile.
            if touched and plan.prompt_id is not None:
                touched = Prompt.objects.filter(pk=plan.prompt_id, chatbot_id=chat_id).exists()
            if not touched:
                if delivered:
                    quota_commit(reservation=plan.reservation, **tokens)
                else:
                    quota_release(reservation=plan.reservation)
                chat_id = None
        if chat_id is not None:
            if plan.prompt_id is None:
                prompt = Prompt.objects.create(chatbot_id=chat_id, kind=PromptKind.MESSAGE, content=plan.content)
            else:
                prompt = Prompt.objects.get(pk=plan.prompt_id)
            reply = Reply.objects.create(
                chatbot_id=chat_id,
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
            quota_commit(reservation=plan.reservation, **tokens)
    if chat_id is not None or delivered:
        TOKENS.labels("prompt").inc(completion.prompt_tokens)
        TOKENS.labels("completion").inc(completion.completion_tokens)
    if chat_id is None:
        raise ChatDeletedMidAnswer()
    # What chat.selectors.prompts_with_replies() would load, without reading it back (a new prompt's
    # only reply), or read back (a regenerated prompt's earlier replies).
    reply.ordered_choices = sorted(choices, key=lambda choice: choice.index)
    if plan.prompt_id is None:
        prompt.loaded_replies = [reply]
    else:
        prompt.answers  # noqa: B018 - read here, on the database thread, not when the async view serialises
    return prompt


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


async def _release_quietly(reservation: Reservation) -> None:
    # Shielded: the request may be cancelled (client gone) while we give the quota back.
    await asyncio.shield(run_db(quota_release, reservation=reservation))


async def _store_once(plan: SendPlan, completion: Completion, *, delivered: bool) -> Prompt:
    """Store on a task of its own: a client that goes away now neither interrupts nor repeats it."""
    store = asyncio.ensure_future(run_db(send_store, plan=plan, completion=completion, delivered=delivered))
    try:
        return await asyncio.shield(store)
    except asyncio.CancelledError:
        await asyncio.wait([store])  # finish storing (once), then let the cancellation through
        failure = None if store.cancelled() else store.exception()
        if failure is not None and not isinstance(failure, ChatDeletedMidAnswer):
            await _release_quietly(plan.reservation)
        raise
    except ChatDeletedMidAnswer:
        raise
    except BaseException:
        await _release_quietly(plan.reservation)
        raise


# --- 2. Ask the model ---------------------------------------------------------------------------


async def send_complete(*, plan: SendPlan, gateway: OpenAIGateway) -> SendResult:
    """Ask the model and store the reply. Costs one completion; failures cost nothing."""
    async with _kept_reserved(plan.reservation):
        try:
            completion = await gateway.complete(plan.request)
        except BaseException as error:
            logger.warning("send failed chat=%s error=%s", plan.chat_id, type(error).__name__)
            await _release_quietly(plan.reservation)
            raise
        prompt = await _store_once(plan, completion, delivered=False)
    logger.info("reply stored chat=%s prompt=%s tokens=%s", prompt.chatbot_id, prompt.pk, completion.total_tokens)
    return SendResult(prompt=prompt, quota=plan.reservation.status)


async def send_stream(*, plan: SendPlan, gateway: OpenAIGateway) -> AsyncIterator[StreamPieces | SendResult]:
    """Relay the reply as it is written (`StreamPieces`), then yield the stored `SendResult`.

    Domain errors are raised (nothing stored, nothing counted). If the consumer goes away (the
    generator is closed or cancelled), the upstream response is closed and what arrived is stored
    with finish_reason "cancelled": it was shown, so it counts.
    """
    received: list[str] = []
    storing = False
    upstream = gateway.stream(plan.request)
    try:
        async with _kept_reserved(plan.reservation):
            async for item in upstream:
                if isinstance(item, StreamPieces):
                    received.extend(item)
                    yield item
                    continue
                storing = True
                prompt = await _store_once(plan, item, delivered=True)
                logger.info(
                    "streamed reply stored chat=%s prompt=%s tokens=%s", prompt.chatbot_id, prompt.pk, item.total_tokens
                )
                break
        await upstream.aclose()  # it has nothing more to give; close it now rather than at collection
        yield SendResult(prompt=prompt, quota=plan.reservation.status)
    except (GeneratorExit, asyncio.CancelledError):
        if not storing:
            logger.info("stream cancelled by the client chat=%s after=%s pieces", plan.chat_id, len(received))
            await upstream.aclose()
            await asyncio.shield(_store_cancelled(plan=plan, received=received))
        raise
    except BaseException as error:
        if not storing:
            logger.warning("stream failed chat=%s error=%s", plan.chat_id, type(error).__name__)
            await _release_quietly(plan.reservation)
        raise


async def started(items: AsyncIterator[T]) -> AsyncIterator[T]:
    """`items`, once its first item has arrived: what fails before that is raised here, to the caller."""
    first = await anext(items)

    async def chained() -> AsyncIterator[T]:
        async with contextlib.aclosing(items):
            yield first
            async for item in items:
                yield item

    return chained()


async def _store_cancelled(*, plan: SendPlan, received: list[str]) -> None:
    """Keep what the user already saw of a reply they stopped; nothing seen costs nothing."""
    if not received:
        await run_db(quota_release, reservation=plan.reservation)
        return
    choice = CompletionChoice(index=0, role="assistant", content="".join(received), finish_reason="cancelled")
    completion = Completion(upstream_id="", model=plan.request.model, choices=[choice])
    with contextlib.suppress(ChatDeletedMidAnswer):  # counted all the same
        await run_db(send_store, plan=plan, completion=completion, delivered=True)


async def chat_send_message(*, user, chat_id: int, content: str, gateway: OpenAIGateway) -> SendResult:
    """Prepare and send in one call (the plain send, for callers that are already authorised)."""
    plan = await run_db(send_prepare, user=user, chat_id=chat_id, content=content)
    return await send_complete(plan=plan, gateway=gateway)
