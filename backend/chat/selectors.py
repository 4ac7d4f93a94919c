"""Reads of chats. Every queryset starts from `ChatBot.objects.owned_by(user)`: nobody sees another's chats."""

import datetime as dt
import functools

from django.db import connection
from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet

from chat.branches import branch_page, versions_of
from chat.models import (
    CONTEXT_KINDS,
    ChatBot,
    ChatSummary,
    Choice,
    Config,
    DailyUsage,
    Prompt,
    PromptImage,
    PromptKind,
    Reply,
    SharedChat,
)
from core import plain_sql


def chat_list_for(user, *, search: str = "") -> QuerySet[ChatBot]:
    """The user's chats, most recently active first; with `search`, those whose title or one of
    whose messages contains it (case-insensitively; `%`, `_` and `\\` stand for themselves).

    Written as two halves, the title matches and the chats with a matching message, united (a
    chat in both is listed once), rather than `title OR EXISTS (...)`: under an OR PostgreSQL can
    only run the EXISTS chat by chat or compute every matching message first, while a plain EXISTS
    becomes a semi-join whose plan it picks from the statistics: the trigram index of migration
    0014 (on `UPPER(content)`, what `icontains` compares there) for a rare word, the user's chats
    one by one, stopping at the first match, for a common one. The titles have their own trigram
    index (0016). SQLite reads the user's chats and messages either way.
    """
    chats = ChatBot.objects.owned_by(user)
    search = search.strip()
    if search:
        in_title = Q(title__icontains=search)
        matching_message = Prompt.objects.filter(
            chatbot=OuterRef("pk"), kind=PromptKind.MESSAGE, content__icontains=search
        )
        chats = chats.filter(in_title).union(chats.filter(Exists(matching_message)))
    return chats.order_by("-updated_at", "-id")


class SearchResults:
    """A search's chats as the paginator reads them, the search run once rather than twice (its
    `COUNT(*)` and then its page, each reading every matching message): `count()` reads the ids of
    the matching chats in their order with one statement, and a slice loads only that page's chats."""

    def __init__(self, user, matches: QuerySet[ChatBot]):
        self.user, self.matches = user, matches
        self._ids: list[int] | None = None

    def _all_ids(self) -> list[int]:
        if self._ids is None:
            self._ids = [pk for pk, _ in self.matches.values_list("pk", "updated_at")]  # updated_at: the order
        return self._ids

    def count(self) -> int:
        return len(self._all_ids())

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, page: slice) -> list[ChatBot]:
        ids = self._all_ids()[page]
        chats = ChatBot.objects.owned_by(self.user).in_bulk(ids)
        return [chats[pk] for pk in ids if pk in chats]  # one deleted meanwhile is left out


def chats_listed(user, *, search: str = "") -> QuerySet[ChatBot] | SearchResults:
    """What the chat list pages through: `chat_list_for`, a search's run once (SearchResults)."""
    chats = chat_list_for(user, search=search)
    return SearchResults(user, chats) if search.strip() else chats


def prompts_with_replies() -> QuerySet[Prompt]:
    """Prompts with all their replies (`loaded_replies`, oldest first), each reply's choices
    (`ordered_choices`) and their images (`loaded_images`) in four queries: plain lists, as
    `Prompt.answers`, `reply` and `attached_images` read them."""
    choices = Prefetch("choices", queryset=Choice.objects.order_by("index"), to_attr="ordered_choices")
    replies = Prefetch(
        "replies",
        queryset=Reply.objects.order_by("created_at", "id").prefetch_related(choices),
        to_attr="loaded_replies",
    )
    images = Prefetch("images", queryset=PromptImage.objects.order_by("position", "id"), to_attr="loaded_images")
    return Prompt.objects.prefetch_related(replies, images).order_by("created_at", "id")


def image_of(user, *, chat_id: int, image_id: int) -> PromptImage | None:
    """One of the user's images, by its chat and id (None for anyone else's)."""
    chats = ChatBot.objects.owned_by(user).filter(pk=chat_id)
    return PromptImage.objects.filter(pk=image_id, prompt__chatbot__in=chats).first()


def chat_detail_queryset_for(user) -> QuerySet[ChatBot]:
    """The user's chats with what the detail shows besides its prompts (`chat_with_branch` adds them)."""
    return ChatBot.objects.owned_by(user).select_related("config", "persona", "summary")


def chat_with_branch(
    chat: ChatBot, *, turns: int | None = None, before: int | None = None, context: bool = True
) -> ChatBot:
    """`chat` with `shown_prompts`: its context prompts (unless `context` is false), then the messages
    of its current branch, oldest first: all of them, or the newest `turns` (above the message
    `before`); each with its replies, images and versions. `older`: the message the next older page
    ends before (None: nothing older). Reads the branch, not the chat: a page costs the same in a
    chat of ten turns or two thousand."""
    ids, older = branch_page(chat=chat, turns=turns, before=before)
    wanted = Q(pk__in=ids)
    if context:
        wanted |= Q(kind__in=CONTEXT_KINDS)
    prompts = list(prompts_with_replies().filter(wanted, chatbot=chat)) if ids or context else []
    versions_of(chat_id=chat.pk, prompts=prompts)
    chat.shown_prompts, chat.older = prompts, older
    return chat


MAX_ID = 2**63 - 1  # a primary key's largest value (a 64-bit integer)


def chat_for_send(user, chat_id: int) -> ChatBot | None:
    """The user's chat `chat_id` with its config and stored summary loaded, or None (not theirs, or
    gone): what every send starts from, read by one plain statement (core.plain_sql) that keeps
    `owned_by`'s rule, the chat's user is the caller."""
    if not 0 < chat_id <= MAX_ID:  # no such row, and the driver would refuse the number (the ORM answers none)
        return None
    with connection.cursor() as cursor:
        cursor.execute(_chat_for_send_statement(), [chat_id, user.pk])
        row = cursor.fetchone()
    if row is None:
        return None
    chat_end = plain_sql.width(ChatBot)
    config_end = chat_end + plain_sql.width(Config)
    chat = plain_sql.instance(ChatBot, row[:chat_end])
    config = plain_sql.instance(Config, row[chat_end:config_end])
    summary = plain_sql.instance(ChatSummary, row[config_end:]) if row[config_end] is not None else None
    ChatBot._meta.get_field("config").set_cached_value(chat, config)  # as select_related would
    ChatBot._meta.get_field("summary").set_cached_value(chat, summary)  # None: chat.summary raises DoesNotExist
    Config._meta.get_field("chatbot").set_cached_value(config, chat)
    return chat


@functools.cache
def _chat_for_send_statement() -> str:
    quote = connection.ops.quote_name
    chat, config, summary = (quote(model._meta.db_table) for model in (ChatBot, Config, ChatSummary))
    selected = ", ".join(plain_sql.columns(model) for model in (ChatBot, Config, ChatSummary))
    return (
        f"SELECT {selected} FROM {chat} JOIN {config} ON {config}.chatbot_id = {chat}.id "  # noqa: S608 - model tables
        f"LEFT JOIN {summary} ON {summary}.chatbot_id = {chat}.id WHERE {chat}.id = %s AND {chat}.user_id = %s"
    )


def chat_with_every_branch(chat: ChatBot) -> ChatBot:
    """`chat` with `shown_prompts`: every prompt, of every branch (the JSON export), with versions."""
    prompts = list(prompts_with_replies().filter(chatbot=chat))
    versions_of(chat_id=chat.pk, prompts=prompts)
    chat.shown_prompts, chat.older = prompts, None
    return chat


def chat_summary(chat: ChatBot) -> ChatSummary | None:
    """The summary of the chat's earlier turns, if the model wrote one (loaded with the detail)."""
    try:
        return chat.summary
    except ChatSummary.DoesNotExist:
        return None


def shared_chat_for(token: str) -> ChatBot | None:
    """The chat a live link's token opens, with the messages of its current branch and their answers;
    None for any other token.

    Only the conversation: the typed context prompts (what the owner told the bot about themselves)
    and the persona stay private. The chat as it is now, so a later message shows and a revoke hides all.
    """
    chat = ChatBot.objects.filter(shared_link__token_hash=SharedChat.hash_of(token)).first()
    return chat_with_branch(chat, context=False) if chat is not None else None


def daily_usage_for(user, *, days: int) -> list[dict]:
    """The last `days` calendar days (server zone), oldest first, zeros included, in one query."""
    from chat.quota_status import now, quota_day

    today, _ = quota_day(now())
    first = today - dt.timedelta(days=days - 1)
    rows = {
        row["day"]: row
        for row in DailyUsage.objects.filter(user=user, day__gte=first, day__lte=today).values(
            "day", "used", "prompt_tokens", "completion_tokens"
        )
    }
    usage = []
    for offset in range(days):
        day = first + dt.timedelta(days=offset)
        row = rows.get(day, {})
        usage.append(
            {
                "day": day,
                "completions": row.get("used", 0),
                "prompt_tokens": row.get("prompt_tokens", 0),
                "completion_tokens": row.get("completion_tokens", 0),
            }
        )
    return usage


# How far back a tool loop's follow-up looks for the reply that asked for its tools.
TOOL_LOOKBACK = 50


def chat_asking_for_tools(*, user, call_ids: set[str]) -> int | None:
    """The user's chat whose recent reply asked for one of these tool calls, or None: a tool loop's
    next request carries the calls' ids (its `tool` messages), and that is how it finds its chat."""
    recent = (
        Choice.objects.filter(reply__chatbot__user=user)
        .exclude(tool_calls=[])
        .order_by("-reply_id")
        .values_list("reply__chatbot_id", "tool_calls")[:TOOL_LOOKBACK]
    )
    for chat_id, calls in recent:
        if any(isinstance(call, dict) and call.get("id") in call_ids for call in calls):
            return chat_id
    return None
