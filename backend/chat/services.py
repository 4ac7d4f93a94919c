"""Writes on chats: create, update, delete. Sending a message is `chat.sending`."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils.translation import gettext as _

from chat.exceptions import ChatLimitReached
from chat.gateway import CompletionRequest
from chat.models import CONTEXT_KINDS, SYSTEM_PROMPT_MAX_CHARS, ChatBot, Config, Prompt, SharedChat, TitleSource
from chat.personas import persona_for_chat


def config_defaults() -> dict[str, Any]:
    return {
        "model": settings.OPENAI_MODEL,
        "temperature": Decimal("1.00"),
        "max_tokens": min(settings.CHAT_DEFAULT_MAX_TOKENS, settings.CHAT_MAX_TOKENS_CAP),
        "stream": True,
        "system_prompt": "",
    }


def config_for_a_call(*, request: CompletionRequest, stream: bool) -> dict[str, Any]:
    """The config of a chat made for one OpenAI-style call: its model and parameters, and its system
    messages as the system prompt."""
    system = "\n\n".join(
        m["content"] for m in request.messages if m["role"] == "system" and isinstance(m["content"], str)
    )
    temperature = request.temperature if request.temperature is not None else 1.0
    max_tokens = request.max_tokens or request.extra.get("max_completion_tokens") or settings.CHAT_DEFAULT_MAX_TOKENS
    return {
        "model": request.model,
        "temperature": round(temperature, 2),
        "max_tokens": max_tokens,
        "stream": stream,
        "system_prompt": system[:SYSTEM_PROMPT_MAX_CHARS],
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


def ensure_room_for_a_chat(*, user_id: int) -> None:
    """ChatLimitReached once the user keeps CHAT_MAX_PER_USER chats (however they were made).

    Exact when called in the transaction that creates the chat: the user's row is locked first
    (PostgreSQL), so one user's concurrent creations count one after another; on SQLite every
    transaction takes the write lock anyway.
    """
    with transaction.atomic():
        # FOR NO KEY UPDATE: two of these still queue; inserting rows that point at the user does not wait.
        user = get_user_model().objects.select_for_update(no_key=True).filter(pk=user_id).first()
        if ChatBot.objects.owned_by(user).count() >= settings.CHAT_MAX_PER_USER:
            message = _("You can keep at most %(limit)s chats. Delete some to start new ones.")
            raise ChatLimitReached(message % {"limit": settings.CHAT_MAX_PER_USER})


@transaction.atomic
def chat_create(
    *,
    user,
    title: str = "",
    config: dict[str, Any] | None = None,
    context: dict[str, str | None] | None = None,
    persona: dict[str, Any] | None = None,
) -> ChatBot:
    """A new chat for `user`, from a persona (`{id, values}`: its rendered prompt becomes the
    system prompt) or not; ChatLimitReached once they keep CHAT_MAX_PER_USER chats."""
    ensure_room_for_a_chat(user_id=user.pk)
    config = dict(config or {})
    chosen, values = None, {}
    if persona is not None:
        values = {name: value.strip() for name, value in (persona.get("values") or {}).items()}
        chosen, config["system_prompt"] = persona_for_chat(key=persona["id"], values=values)
    chat = ChatBot.objects.create(user=user, title=title.strip(), persona=chosen, persona_values=values)
    Config.objects.create(chatbot=chat, **{**config_defaults(), **config})
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
        chat.title_source = TitleSource.USER
        chat.save(update_fields=["title", "title_source", "updated_at"])
    if config:
        Config.objects.filter(chatbot=chat).update(**config)
        if "system_prompt" in config and chat.persona_id:  # the prompt is no longer the persona's
            ChatBot.objects.filter(pk=chat.pk).update(persona=None, persona_values={})
    if context:
        context_update(chat=chat, context=context)
    return chat


def chat_delete_all(*, user) -> int:
    deleted, _ = ChatBot.objects.owned_by(user).delete()
    return deleted


def chat_share(*, chat: ChatBot) -> tuple[str, bool]:
    """The chat's read-only link token, and whether it was made now (a chat has one live link at most:
    asking again, even ten times at once, gives the same one; the unique chatbot column decides)."""
    seed = SharedChat.new_seed()
    link, created = SharedChat.objects.get_or_create(
        chatbot=chat, defaults={"seed": seed, "token_hash": SharedChat.hash_of(SharedChat.tokens_for(seed)[0])}
    )
    token = link.token
    if token is None:  # made under a SECRET_KEY since retired: that link is dead already, a new one replaces it
        token = SharedChat.tokens_for(seed)[0]
        SharedChat.objects.filter(pk=link.pk).update(seed=seed, token_hash=SharedChat.hash_of(token))
    return token, created


def chat_unshare(*, chat: ChatBot) -> None:
    """The link stops working at once (nothing happens if there was none)."""
    SharedChat.objects.filter(chatbot=chat).delete()
