"""What a send tells the model besides the new message: the system prompt, the context, the earlier turns."""

from __future__ import annotations

from collections import defaultdict

from django.conf import settings
from django.db import connection

from chat.images import image_tokens, stored_image_parts, user_content
from chat.models import CONTEXT_KINDS, ChatBot, Choice, Prompt, PromptImage, PromptKind, Reply

# Characters of the history budget one image token stands for (a token is about four characters).
CHARACTERS_PER_TOKEN = 4

CONTEXT_LABELS = {
    PromptKind.CURRENT_STATE: "Their current situation",
    PromptKind.GOAL: "Their goal",
    PromptKind.MISC: "Anything else they asked you to keep in mind",
}


def _context_and_turns_sql() -> str:
    """Context prompts first, then answered messages newest first, each with its newest reply's first
    choice's text; but for one prompt (the one being answered again, or none: -1).

    Plain SQL (portable across SQLite and PostgreSQL): the ORM spent more CPU compiling this
    query than the database spent running it, on every send (docs/performance.md).
    """
    prompt, reply, choice = Prompt._meta.db_table, Reply._meta.db_table, Choice._meta.db_table
    # Table names come from our models; every value is a query parameter.
    return (
        f"SELECT p.id, p.kind, p.content, c.content FROM {prompt} p "  # noqa: S608
        # the newest reply of each prompt (several after a regenerate)
        f"LEFT JOIN {reply} r ON r.id = (SELECT MAX(r2.id) FROM {reply} r2 WHERE r2.prompt_id = p.id) "
        f'LEFT JOIN {choice} c ON c.reply_id = r.id AND c."index" = 0 '
        "WHERE p.chatbot_id = %s AND p.id <> %s AND (p.kind <> %s OR r.id IS NOT NULL) "
        "ORDER BY CASE WHEN p.kind = %s THEN 1 ELSE 0 END, p.created_at DESC, p.id DESC"
    )


def _earlier_images(chat: ChatBot, *, reads_images: bool) -> dict[int, list[PromptImage]]:
    """The chat's stored images by prompt (none read for a text-only model: they are not sent)."""
    if not reads_images:
        return {}
    by_prompt: dict[int, list[PromptImage]] = defaultdict(list)
    for image in PromptImage.objects.filter(prompt__chatbot=chat).order_by("position", "id"):
        by_prompt[image.prompt_id].append(image)
    return by_prompt


def _images_cost(images: list[PromptImage]) -> int:
    """What a turn's images take of the (character) budget: OpenAI's token rule, in characters."""
    return sum(image_tokens(width=i.width, height=i.height) for i in images) * CHARACTERS_PER_TOKEN


def upstream_messages(
    *, chat: ChatBot, content: str, answering: int | None = None, image_parts: list[dict] | None = None
) -> list[dict]:
    """System prompt, context, then as many earlier turns as the budget allows (newest kept, their
    images too), then `content` with `image_parts`. `answering`: the id of a stored prompt being
    answered again (regenerate), which is then `content` and not one of the earlier turns."""
    context: dict[str, str] = {}
    turns: list[tuple[str, str, list[PromptImage]]] = []
    budget = settings.CHAT_HISTORY_BUDGET
    images = _earlier_images(chat, reads_images=chat.config.model in settings.OPENAI_VISION_MODELS)
    with connection.cursor() as cursor:
        parameters = [chat.pk, answering or -1, PromptKind.MESSAGE.value, PromptKind.MESSAGE.value]
        cursor.execute(_context_and_turns_sql(), parameters)
        while rows := cursor.fetchmany(100):
            for prompt_id, kind, question, answer in rows:
                if kind != PromptKind.MESSAGE:
                    context[kind] = question
                    continue
                budget -= len(question) + len(answer or "") + _images_cost(images.get(prompt_id, []))
                if budget < 0:
                    break
                turns.append((question, answer or "", images.get(prompt_id, [])))
            if budget < 0:
                break

    messages: list[dict] = []
    if chat.config.system_prompt:
        messages.append({"role": "system", "content": chat.config.system_prompt})
    if context:
        lines = [f"{CONTEXT_LABELS[kind]}: {context[kind]}" for kind in CONTEXT_KINDS if kind in context]
        messages.append({"role": "system", "content": "What the user told you about themselves.\n" + "\n".join(lines)})
    for question, answer, turn_images in reversed(turns):
        messages.append({"role": "user", "content": user_content(question, stored_image_parts(turn_images))})
        messages.append({"role": "assistant", "content": answer})
    messages.append({"role": "user", "content": user_content(content, image_parts or [])})
    return messages
