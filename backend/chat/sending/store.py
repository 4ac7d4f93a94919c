"""Step 3 of a send: where a reply, plain or streamed, is stored and counted, all or nothing; and
where a failed or stopped send gives its reservation back."""

from __future__ import annotations

import asyncio
import contextlib
import functools

from django.db import connection, transaction
from django.utils import timezone

from chat.allowances import prompt_tokens_estimate, reply_cost, text_tokens_estimate
from chat.branches import versions_of
from chat.completions import Completion, CompletionChoice
from chat.exceptions import ChatDeletedMidAnswer, ChatLimitReached
from chat.images import images_discard, images_link, images_save
from chat.models import ChatBot, Choice, Config, Prompt, PromptKind, Reply, TitleSource
from chat.quota import Reservation, quota_commit, quota_release
from chat.sending.plan import SendPlan
from chat.services import ensure_room_for_a_chat
from chat.titles import title_later
from chat.tokens import counter_for
from core import plain_sql
from core.database import run_db
from core.metrics import TOKENS

# What `send_store` raises after settling the reservation itself: nothing more to give back.
NOT_STORED = (ChatDeletedMidAnswer, ChatLimitReached)


def _settle_unstored(plan: SendPlan, *, delivered: bool, tokens: dict) -> None:
    if delivered:
        quota_commit(reservation=plan.reservation, **tokens)
    else:
        quota_release(reservation=plan.reservation)


def send_store(*, plan: SendPlan, completion: Completion, delivered: bool) -> Prompt:
    """Store the exchange and count it, all or nothing; returns the prompt with its reply loaded.

    If the chat was deleted meanwhile (ChatDeletedMidAnswer), or a new chat would pass the user's
    cap (ChatLimitReached: concurrent calls passed the first check together), nothing is stored and
    the error is raised; the completion still counts when `delivered` (the user has already read it
    as it streamed): deleting a chat must not be a way around the quota.
    """
    # The image files are written first (no storage call inside the transaction) and discarded
    # unless the transaction that links them commits.
    image_files = images_save(plan.images, user_id=plan.user_id) if plan.prompt_id is None else []
    try:
        prompt = _store(plan=plan, completion=completion, delivered=delivered, image_files=image_files)
    except BaseException:
        images_discard(image_files)
        raise
    return prompt


def _store(*, plan: SendPlan, completion: Completion, delivered: bool, image_files: list[str]) -> Prompt:
    cost = reply_cost(completion.model or plan.request.model, completion.prompt_tokens, completion.completion_tokens)
    if cost is None and completion.model != plan.request.model:
        cost = reply_cost(plan.request.model, completion.prompt_tokens, completion.completion_tokens)
    tokens = {
        "prompt_tokens": completion.prompt_tokens,
        "completion_tokens": completion.completion_tokens,
        "model": plan.request.model,
        "cost": cost,
    }
    refusal: Exception = ChatDeletedMidAnswer()
    named = False
    parent_id = None
    with transaction.atomic():
        chat_id = plan.chat_id
        if chat_id is None:
            try:
                ensure_room_for_a_chat(user_id=plan.user_id)
                # A chat made by an OpenAI-style call keeps its first line: a title call for each
                # scripted call would double the service's calls.
                chat = ChatBot.objects.create(
                    user_id=plan.user_id, title=plan.chat_title, title_source=TitleSource.FIRST_LINE
                )
                Config.objects.create(chatbot=chat, **plan.new_chat_config)
                chat_id = chat.pk
            except ChatLimitReached as no_room:
                refusal = no_room
                _settle_unstored(plan, delivered=delivered, tokens=tokens)
        else:
            touched, named, current = _touch(plan, chat_id)
            # A regenerate's prompt may have been deleted with its chat meanwhile.
            if touched and plan.prompt_id is not None:
                touched = Prompt.objects.filter(pk=plan.prompt_id, chatbot_id=chat_id).exists()
            if touched and plan.prompt_id is None:
                touched, parent_id = _parent_of_new(plan, chat_id, current=current)
            if not touched:
                _settle_unstored(plan, delivered=delivered, tokens=tokens)
                chat_id = None
        if chat_id is not None:
            counter = plan.history.counter if plan.history is not None else counter_for(plan.request.model)
            if plan.prompt_id is None:
                prompt = plain_sql.insert(
                    Prompt,
                    chatbot_id=chat_id,
                    kind=PromptKind.MESSAGE,
                    content=plan.content,
                    tool_results=plan.tool_results,
                    # counted already when the request was built (an OpenAI-style call's: now)
                    tokens=plan.history.content_tokens if plan.history is not None else counter.count(plan.content),
                    tokens_by=counter.by,
                    parent_id=parent_id,
                )
                _made_current(prompt, edited=plan.edit_of is not None)
                prompt.loaded_images = images_link(prompt_id=prompt.pk, images=plan.images, names=image_files)
            else:
                prompt = Prompt.objects.get(pk=plan.prompt_id)
            reply = plain_sql.insert(
                Reply,
                chatbot_id=chat_id,
                prompt=prompt,
                upstream_id=completion.upstream_id[:200],
                response_id=plan.response_id,
                model=completion.model[:100],
                prompt_tokens=completion.prompt_tokens,
                completion_tokens=completion.completion_tokens,
                total_tokens=completion.total_tokens,
                cost=cost,
            )
            choices = [
                plain_sql.insert(
                    Choice,
                    reply=reply,
                    index=choice.index,
                    role=choice.role[:20],
                    content=choice.content,
                    tool_calls=choice.tool_calls,
                    finish_reason=choice.finish_reason[:30],
                    tokens=counter.count(choice.content),
                    tokens_by=counter.by,
                )
                for choice in completion.choices
            ]
            quota_commit(reservation=plan.reservation, **tokens)
            if named:
                title_later(chat_id)
    if chat_id is not None or delivered:
        TOKENS.labels("prompt").inc(completion.prompt_tokens)
        TOKENS.labels("completion").inc(completion.completion_tokens)
    if chat_id is None:
        raise refusal
    # What chat.selectors.prompts_with_replies() would load, without reading it back (a new prompt's
    # only reply), or read back (a regenerated prompt's earlier replies).
    reply.ordered_choices = sorted(choices, key=lambda choice: choice.index)
    if plan.prompt_id is None:
        prompt.loaded_replies = [reply]
    else:
        prompt.answers  # noqa: B018 - read here, on the database thread, not when the async view serialises
        prompt.attached_images  # noqa: B018
        versions_of(chat_id=prompt.chatbot_id, prompts=[prompt])
    return prompt


def _touch(plan: SendPlan, chat_id: int) -> tuple[bool, bool, int | None]:
    """Touch the chat, taking its row lock, and name it after its first message if it has no title
    yet (the model will name it better: chat.titles); read its current branch's leaf under that lock.
    Returns (touched, named, leaf); not touched: the chat is gone."""
    name, touch, _ = _chat_statements()
    at = connection.ops.adapt_datetimefield_value(timezone.now())
    with connection.cursor() as cursor:
        row = None
        if plan.may_be_untitled:
            cursor.execute(name, [at, plan.chat_title, TitleSource.FIRST_LINE.value, chat_id])
            row = cursor.fetchone()
        named = row is not None
        if row is None:
            cursor.execute(touch, [at, chat_id])
            row = cursor.fetchone()
    return row is not None, named, (row[0] if row else None)


def _parent_of_new(plan: SendPlan, chat_id: int, *, current: int | None) -> tuple[bool, int | None]:
    """Where the new message goes (chat.branches), decided under the chat's row lock: an edit beside
    the message it edits, a send after the current branch's leaf as it is now (`current`: two sends
    at once follow one another). False: the edited message is gone."""
    if plan.edit_of is None:
        return True, current
    parents = list(Prompt.objects.filter(pk=plan.edit_of, chatbot_id=chat_id).values_list("parent_id", flat=True))
    return bool(parents), (parents[0] if parents else None)


def _made_current(prompt: Prompt, *, edited: bool) -> None:
    _, _, make_current = _chat_statements()
    with connection.cursor() as cursor:
        cursor.execute(make_current, [prompt.pk, prompt.chatbot_id])
    if edited:  # its versions: the siblings it joins (a send's new message is its branch's only one)
        versions_of(chat_id=prompt.chatbot_id, prompts=[prompt])
    else:
        prompt.loaded_versions = [{"id": prompt.pk, "created_at": prompt.created_at}]


@functools.cache
def _chat_statements() -> tuple[str, str, str]:
    """The store's writes to the chat row (the same on SQLite and PostgreSQL), made once per process."""
    quote = connection.ops.quote_name
    chat = quote(ChatBot._meta.db_table)
    return (
        f"UPDATE {chat} SET updated_at = %s, title = %s, title_source = %s "  # noqa: S608 - the model's table
        "WHERE id = %s AND title = '' RETURNING current_prompt_id",
        f"UPDATE {chat} SET updated_at = %s WHERE id = %s RETURNING current_prompt_id",  # noqa: S608
        f"UPDATE {chat} SET current_prompt_id = %s WHERE id = %s",  # noqa: S608
    )


async def store_once(plan: SendPlan, completion: Completion, *, delivered: bool) -> Prompt:
    """Store on a task of its own: a client that goes away now neither interrupts nor repeats it."""
    store = asyncio.ensure_future(run_db(send_store, plan=plan, completion=completion, delivered=delivered))
    try:
        return await asyncio.shield(store)
    except asyncio.CancelledError:
        await asyncio.wait([store])  # finish storing (once), then let the cancellation through
        failure = None if store.cancelled() else store.exception()
        if failure is not None and not isinstance(failure, NOT_STORED):
            await release_quietly(plan.reservation)
        raise
    except NOT_STORED:
        raise
    except BaseException:
        await release_quietly(plan.reservation)
        raise


async def store_cancelled(*, plan: SendPlan, received: list[str], shown: bool = False) -> None:
    """Keep what the user already saw of a reply they stopped (its text; pieces of tool calls were
    seen too, and count, though an unfinished call is not kept); nothing seen costs nothing."""
    if not received and not shown:
        await run_db(quota_release, reservation=plan.reservation)
        return
    text = "".join(received)
    choice = CompletionChoice(index=0, role="assistant", content=text, finish_reason="cancelled")
    # The model's count never came: what was shown is counted by the estimate (chat.allowances).
    prompt_tokens = prompt_tokens_estimate(plan.request.messages, plan.request.extra)
    completion_tokens = text_tokens_estimate(text)
    completion = Completion(
        upstream_id="",
        model=plan.request.model,
        choices=[choice],
        prompt_tokens=prompt_tokens,
        completion_tokens=completion_tokens,
        total_tokens=prompt_tokens + completion_tokens,
    )
    with contextlib.suppress(*NOT_STORED):  # counted all the same
        await run_db(send_store, plan=plan, completion=completion, delivered=True)


async def release_quietly(reservation: Reservation) -> None:
    # Shielded: the request may be cancelled (client gone) while we give the quota back.
    await asyncio.shield(run_db(quota_release, reservation=reservation))
