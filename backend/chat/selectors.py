"""Reads of chats. Every queryset starts from `ChatBot.objects.owned_by(user)`: nobody sees another's chats."""

import datetime as dt

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet

from chat.models import ChatBot, Choice, DailyUsage, Prompt, PromptKind, Reply, SharedChat


def chat_list_for(user, *, search: str = "") -> QuerySet[ChatBot]:
    chats = ChatBot.objects.owned_by(user)
    search = search.strip()
    if search:
        matching_message = Prompt.objects.filter(
            chatbot=OuterRef("pk"), kind=PromptKind.MESSAGE, content__icontains=search
        )
        chats = chats.filter(Q(title__icontains=search) | Exists(matching_message))
    return chats.order_by("-updated_at", "-id")


def prompts_with_replies() -> QuerySet[Prompt]:
    """Prompts with all their replies (`loaded_replies`, oldest first) and each reply's choices
    (`ordered_choices`) in three queries: plain lists, as `Prompt.answers` and `reply` read them."""
    choices = Prefetch("choices", queryset=Choice.objects.order_by("index"), to_attr="ordered_choices")
    replies = Prefetch(
        "replies",
        queryset=Reply.objects.order_by("created_at", "id").prefetch_related(choices),
        to_attr="loaded_replies",
    )
    return Prompt.objects.prefetch_related(replies).order_by("created_at", "id")


def chat_detail_queryset_for(user) -> QuerySet[ChatBot]:
    return (
        ChatBot.objects.owned_by(user)
        .select_related("config", "persona")
        .prefetch_related(Prefetch("prompts", queryset=prompts_with_replies()))
    )


def shared_chat_for(token: str) -> ChatBot | None:
    """The chat a live link's token opens, with its messages and their answers; None for any other token.

    Only the conversation: the typed context prompts (what the owner told the bot about themselves)
    and the persona stay private. The chat as it is now, so a later message shows and a revoke hides all.
    """
    messages = prompts_with_replies().filter(kind=PromptKind.MESSAGE)
    return (
        ChatBot.objects.filter(shared_link__token_hash=SharedChat.hash_of(token))
        .prefetch_related(Prefetch("prompts", queryset=messages))
        .first()
    )


def daily_usage_for(user, *, days: int) -> list[dict]:
    """The last `days` calendar days (server zone), oldest first, zeros included, in one query."""
    from chat.quota import now, quota_day

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
