"""What a send tells the model besides the new message: the system prompt, the context, the summary
of the turns that no longer fit, and as many earlier turns as the model's context window leaves room for.

Everything is counted in tokens (`chat.tokens`): each turn's count is stored when it is written,
so a send reads counts, not the whole chat, and stops at the first turn that does not fit.
"""

from __future__ import annotations

import dataclasses
import functools
import math
from collections import defaultdict
from dataclasses import dataclass, field

from django.conf import settings
from django.db import connection
from django.db.models import Prefetch

from chat.branches import branch_ids, branch_turn_batches
from chat.images import image_tokens, stored_image_parts, user_content
from chat.models import CONTEXT_KINDS, ChatBot, ChatSummary, Choice, Prompt, PromptImage, PromptKind, Reply
from chat.tokens import REPLY_PRIMING, Counter, counter_for, message_tokens
from chat.tokens import context_window as window_of

CONTEXT_LABELS = {
    PromptKind.CURRENT_STATE: "Their current situation",
    PromptKind.GOAL: "Their goal",
    PromptKind.MISC: "Anything else they asked you to keep in mind",
}
SUMMARY_HEADING = "Summary of the earlier part of this conversation (those turns are not repeated below):\n"
# When turns must be folded, only this share of the history budget stays as turns: the rest is
# folded too, so the next sends have room to grow before another summary call is needed.
KEEP_AFTER_SUMMARY = 0.5


@dataclass(frozen=True)
class Turn:
    prompt_id: int
    question: str
    answer: str
    tokens: int  # both messages, their overhead included (images too), in the counter's tokens
    images: tuple[PromptImage, ...] = ()  # sent with the question


@dataclass(frozen=True)
class History:
    """A send's messages, in two versions: plain trimming (`turns`), and, when some turns no longer
    fit and summaries are on, a new summary (to be written from `to_fold`) ahead of `kept`."""

    head: list[dict[str, str]]
    content: str
    counter: Counter
    image_parts: list[dict] = field(default_factory=list)  # sent with `content`
    summary: str | None = None  # the stored summary, sent as it is unless a new one is written
    turns: list[Turn] = field(default_factory=list)  # oldest first
    kept: list[Turn] = field(default_factory=list)  # oldest first, the newest of `turns`
    to_fold: list[Turn] = field(default_factory=list)  # oldest first; empty: no new summary needed
    fixed_tokens: int = 0  # head, content and priming
    content_tokens: int = 0  # the new message's (stored with it)
    budget: int = 0  # what the whole request may take, in the counter's tokens

    def _selection(self, new_summary: str | None) -> tuple[str | None, int, list[Turn]]:
        """The summary to send, its tokens, and the turns after it: with a new summary, the newest of
        `kept` that fit beside it (the model may have written more than was reserved for it)."""
        if not new_summary:
            tokens = message_tokens(self.counter.count(SUMMARY_HEADING + self.summary)) if self.summary else 0
            return self.summary, tokens, self.turns
        tokens = message_tokens(self.counter.count(SUMMARY_HEADING + new_summary))
        room = self.budget - self.fixed_tokens - tokens
        turns: list[Turn] = []
        for turn in reversed(self.kept):
            if turn.tokens > room:
                break
            room -= turn.tokens
            turns.append(turn)
        return new_summary, tokens, turns[::-1]

    def messages(self, *, new_summary: str | None = None) -> list[dict[str, str]]:
        summary, _, turns = self._selection(new_summary)
        messages = list(self.head)
        if summary:
            messages.append({"role": "system", "content": SUMMARY_HEADING + summary})
        for turn in turns:
            # A tool loop's turns (OpenAI-compatible calls) may have no text on one side or the other.
            if turn.question or turn.images:
                messages.append(
                    {"role": "user", "content": user_content(turn.question, stored_image_parts(turn.images))}
                )
            if turn.answer:
                messages.append({"role": "assistant", "content": turn.answer})
        messages.append({"role": "user", "content": user_content(self.content, self.image_parts)})
        return messages

    def counted_tokens(self, *, new_summary: str | None = None) -> int:
        """The counter's tokens of `messages(new_summary=...)`."""
        _, summary_tokens, turns = self._selection(new_summary)
        return self.fixed_tokens + summary_tokens + sum(turn.tokens for turn in turns)


def _images_of(prompt_ids: list[int], *, reads_images: bool) -> dict[int, list[PromptImage]]:
    """The stored images of these prompts (none read for a text-only model: they are not sent)."""
    if not reads_images or not prompt_ids:
        return {}
    by_prompt: dict[int, list[PromptImage]] = defaultdict(list)
    for image in PromptImage.objects.filter(prompt_id__in=prompt_ids).order_by("position", "id"):
        by_prompt[image.prompt_id].append(image)
    return by_prompt


class _Counts:
    """Stored counts where they are the counter's; counted now (and written back) where not."""

    def __init__(self, counter: Counter) -> None:
        self.counter = counter
        self.prompts: list[Prompt] = []
        self.choices: list[Choice] = []

    def of(self, row_id, text: str, tokens: int | None, by: str, *, model: type) -> int:
        if tokens is not None and by == self.counter.by:
            return tokens
        tokens = self.counter.count(text)
        if row_id is not None:
            target = self.prompts if model is Prompt else self.choices
            target.append(model(pk=row_id, tokens=tokens, tokens_by=self.counter.by))
        return tokens

    def save(self) -> None:
        """Older rows (written before counts were stored, or under another model) keep their count now."""
        if self.prompts:
            Prompt.objects.bulk_update(self.prompts, ["tokens", "tokens_by"], batch_size=200)
        if self.choices:
            Choice.objects.bulk_update(self.choices, ["tokens", "tokens_by"], batch_size=200)


def _turn(row, counts: _Counts) -> Turn:
    prompt_id, _parent, _kind, question, q_tokens, q_by, choice_id, answer, a_tokens, a_by = row
    answer = answer or ""
    tokens = message_tokens(counts.of(prompt_id, question, q_tokens, q_by, model=Prompt)) + message_tokens(
        counts.of(choice_id, answer, a_tokens, a_by, model=Choice)
    )
    return Turn(prompt_id=prompt_id, question=question, answer=answer, tokens=tokens)


def _images_tokens(images, counter: Counter) -> int:
    """What images take of the window (OpenAI's rule), in the counter's tokens."""
    upstream = sum(image_tokens(width=image.width, height=image.height) for image in images)
    return math.ceil(upstream / counter.scale())


def _with_images(turn: Turn, images: dict[int, list[PromptImage]], counter: Counter) -> Turn:
    if not (mine := images.get(turn.prompt_id)):
        return turn
    return dataclasses.replace(turn, images=tuple(mine), tokens=turn.tokens + _images_tokens(mine, counter))


def history_budget(*, model: str, max_tokens: int | None, counter: Counter) -> int:
    """Tokens (the counter's) the whole request may take: the window less the reply and the margin."""
    room = window_of(model) - (max_tokens or 0) - settings.CHAT_CONTEXT_MARGIN
    return math.floor(room / counter.scale())


class _Current:
    """`after` not given: the chat's current branch goes on (chat.branches)."""


CURRENT = _Current()


def build_history(
    *,
    chat: ChatBot,
    content: str,
    answering: int | None = None,
    after: int | _Current | None = CURRENT,
    images: tuple = (),
    image_parts: list | None = None,
) -> History:
    """System prompt, context, the summary, then as many earlier turns of a branch as the window
    allows (newest kept, with their images), then `content` with `image_parts` (of `images`, which
    have a width and a height).

    The turns are those of the branch ending at `after` (the message `content` follows; None: it is
    the first), by default the chat's current branch, or the branch above `answering` (a stored
    prompt answered again: regenerate). They are read newest first, a batch at a time, until the
    budget is full: never more of a long chat than is sent (unless a summary is to be written).
    """
    config = chat.config
    counter = counter_for(config.model)
    counts = _Counts(counter)
    reads_images = config.model in settings.OPENAI_VISION_MODELS
    if isinstance(after, _Current):
        after = (
            Prompt.objects.filter(pk=answering).values_list("parent_id", flat=True).first()
            if answering is not None
            else chat.current_prompt_id
        )
    new_images_tokens = _images_tokens(images, counter)
    summary = _stored_summary(chat) if settings.CHAT_SUMMARY else None
    covers = summary.covers_until_prompt_id if summary else 0
    context = _context_of(chat.pk)
    head, fixed, content_tokens = _head(config.system_prompt, context, content, counter)
    budget = history_budget(model=config.model, max_tokens=config.max_tokens, counter=counter)
    used = fixed + new_images_tokens + _summary_room(summary, counter)

    rows: list[Turn] = []
    rest: list[Turn] = []  # past the budget: what a new summary may fold
    batches = branch_turn_batches(chat_id=chat.pk, leaf_id=after)
    for batch in batches:
        earlier_images = _images_of([row[0] for row in batch], reads_images=reads_images)
        for row in batch:
            if covers and row[0] <= covers:
                if row[0] == covers:  # the summary covers this turn and the ones before it
                    batches.close()
                    break
                summary, covers = None, 0  # a summary of another branch: not this one's
            if row[2] != PromptKind.MESSAGE or row[6] is None:  # not answered: not history
                continue
            turn = _with_images(_turn(row, counts), earlier_images, counter)
            if rest or used + turn.tokens > budget:
                if not settings.CHAT_SUMMARY:
                    batches.close()
                    break
                rest.append(turn)
                continue
            used += turn.tokens
            rows.append(turn)
    turns = rows[::-1]  # oldest first
    history = History(
        head=head,
        content=content,
        counter=counter,
        image_parts=list(image_parts or []),
        summary=summary.content if summary else None,
        turns=turns,
        kept=turns,
        fixed_tokens=fixed + new_images_tokens,
        content_tokens=content_tokens,
        budget=budget,
    )
    if rest:
        history = _with_fold(history, older=rest[::-1], budget=budget)
    counts.save()
    return history


def _context_of(chat_id: int) -> dict[str, str]:
    """The chat's context prompts by kind (one of each at most), by one plain query (every send reads them)."""
    with connection.cursor() as cursor:
        cursor.execute(_context_statement(), [chat_id, PromptKind.MESSAGE.value])
        return dict(cursor.fetchall())


@functools.cache
def _context_statement() -> str:
    table = connection.ops.quote_name(Prompt._meta.db_table)
    return f"SELECT kind, content FROM {table} WHERE chatbot_id = %s AND kind <> %s"  # noqa: S608 - the model's table


def _stored_summary(chat: ChatBot) -> ChatSummary | None:
    try:
        return chat.summary  # loaded with the chat by a send (chat.selectors.chat_for_send)
    except ChatSummary.DoesNotExist:
        return None


def _head(system_prompt: str, context: dict[str, str], content: str, counter: Counter):
    head: list[dict[str, str]] = []
    if system_prompt:
        head.append({"role": "system", "content": system_prompt})
    if context:
        lines = [f"{CONTEXT_LABELS[kind]}: {context[kind]}" for kind in CONTEXT_KINDS if kind in context]
        head.append({"role": "system", "content": "What the user told you about themselves.\n" + "\n".join(lines)})
    fixed = sum(message_tokens(counter.count(m["content"])) for m in head)
    content_tokens = counter.count(content)
    return head, fixed + message_tokens(content_tokens) + REPLY_PRIMING, content_tokens


def _summary_room(summary: ChatSummary | None, counter: Counter) -> int:
    """What the summary may take: the stored one's tokens, or a new one's at most."""
    if not settings.CHAT_SUMMARY:
        return 0
    stored = summary.tokens if summary and summary.tokens_by == counter.by else 0
    heading = counter.count(SUMMARY_HEADING)
    return message_tokens(heading + max(stored, settings.CHAT_SUMMARY_MAX_TOKENS))


def _with_fold(history: History, *, older: list[Turn], budget: int) -> History:
    """Turns no longer fit: keep the newest within KEEP_AFTER_SUMMARY of the room for turns, and fold
    the older ones (those not in the summary yet, `older` and the rest not kept, oldest first, up to
    CHAT_SUMMARY_INPUT_TOKENS)."""
    room = budget - history.fixed_tokens - _summary_room(None, history.counter)
    keep_limit = room * KEEP_AFTER_SUMMARY
    kept: list[Turn] = []
    used = 0
    for turn in reversed(history.turns):
        if used + turn.tokens > keep_limit:
            break
        used += turn.tokens
        kept.append(turn)
    kept.reverse()
    candidates = older + history.turns[: len(history.turns) - len(kept)]
    to_fold: list[Turn] = []
    folded_tokens = 0
    for turn in candidates:
        if to_fold and folded_tokens + turn.tokens > settings.CHAT_SUMMARY_INPUT_TOKENS:
            break
        folded_tokens += turn.tokens
        to_fold.append(turn)
    return dataclasses.replace(history, kept=kept, to_fold=to_fold)


def upstream_messages(
    *, chat: ChatBot, content: str, answering: int | None = None, image_parts: list[dict] | None = None
) -> list[dict]:
    """The messages of a send with plain trimming (the stored summary, if any, ahead of the turns)."""
    return build_history(chat=chat, content=content, answering=answering, image_parts=image_parts).messages()


def _answer_message(reply: Reply | None) -> dict | None:
    choice = next(iter(reply.choices.all()), None) if reply is not None else None
    if choice is None or not (choice.content or choice.tool_calls):
        return None
    message = {"role": "assistant", "content": choice.content or None}
    if choice.tool_calls:
        message["tool_calls"] = choice.tool_calls
    return message


def conversation_until(*, reply: Reply) -> list[dict]:
    """A chat's conversation as OpenAI messages, up to and including `reply` (what a Responses API
    call's `previous_response_id` continues): each turn's tool results and message and its answer's
    text and tool calls. As with OpenAI's, earlier `instructions` are not carried over (nor the chat's
    system prompt, which an API-made chat took from them). Past what the model's context window leaves
    (as for a send) the oldest turns are left out (whole turns, never a tool result without its call)."""
    chat = ChatBot.objects.select_related("config").get(pk=reply.chatbot_id)
    branch = [pk for pk, _ in branch_ids(chat_id=chat.pk, leaf_id=reply.prompt_id)]  # the reply's branch
    prompts = list(Prompt.objects.filter(pk__in=branch, kind=PromptKind.MESSAGE).order_by("pk"))
    first_choices = Prefetch("choices", queryset=Choice.objects.filter(index=0))
    answers = list(Reply.objects.filter(prompt__in=prompts).order_by("pk").prefetch_related(first_choices))
    newest = {answer.prompt_id: answer for answer in answers}  # each prompt's newest answer
    newest[reply.prompt_id] = next(answer for answer in answers if answer.pk == reply.pk)  # but the one named
    turns: list[list[dict]] = []
    counter = counter_for(chat.config.model)
    budget = history_budget(model=chat.config.model, max_tokens=chat.config.max_tokens, counter=counter)
    for prompt in reversed(prompts):
        turn = [
            {"role": "tool", "tool_call_id": r["tool_call_id"], "content": r["content"]} for r in prompt.tool_results
        ]
        if prompt.content:
            turn.append({"role": "user", "content": prompt.content})
        if (answer := _answer_message(newest.get(prompt.pk))) is not None:
            turn.append(answer)
        budget -= sum(message_tokens(counter.count(str(message.get("content") or ""))) for message in turn)
        if budget < 0 and turns:
            break
        turns.append(turn)
    turns.reverse()
    while turns and turns[0] and turns[0][0]["role"] == "tool":  # its call was left out
        turns.pop(0)
    return [message for turn in turns for message in turn]
