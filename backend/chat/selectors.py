"""Reads of chats. Every queryset starts from `ChatBot.objects.owned_by(user)`: nobody sees another's chats."""

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet

from chat.models import ChatBot, Choice, Prompt, PromptKind


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
    """Prompts with their reply and its choices in two queries; choices land in
    `reply.ordered_choices`, a plain list (a related manager per reply costs more than the rows)."""
    choices = Prefetch("reply__choices", queryset=Choice.objects.order_by("index"), to_attr="ordered_choices")
    return Prompt.objects.select_related("reply").prefetch_related(choices).order_by("created_at", "id")


def chat_detail_queryset_for(user) -> QuerySet[ChatBot]:
    return (
        ChatBot.objects.owned_by(user)
        .select_related("config")
        .prefetch_related(Prefetch("prompts", queryset=prompts_with_replies()))
    )
