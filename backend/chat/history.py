"""What a send tells the model besides the new message: the system prompt, the context, the earlier turns."""

from __future__ import annotations

from django.conf import settings
from django.db import connection
from django.db.models import Prefetch

from chat.models import CONTEXT_KINDS, ChatBot, Choice, Prompt, PromptKind, Reply

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
        # A tool loop's turns (OpenAI-compatible calls) may have no text on one side or the other.
        if question:
            messages.append({"role": "user", "content": question})
        if answer:
            messages.append({"role": "assistant", "content": answer})
    messages.append({"role": "user", "content": content})
    return messages


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
    system prompt, which an API-made chat took from them). Past CHAT_HISTORY_BUDGET characters the oldest
    turns are left out (whole turns, never a tool result without the call it answers)."""
    chat = ChatBot.objects.select_related("config").get(pk=reply.chatbot_id)
    prompts = list(Prompt.objects.filter(chatbot=chat, kind=PromptKind.MESSAGE, pk__lte=reply.prompt_id).order_by("pk"))
    first_choices = Prefetch("choices", queryset=Choice.objects.filter(index=0))
    answers = list(Reply.objects.filter(prompt__in=prompts).order_by("pk").prefetch_related(first_choices))
    newest = {answer.prompt_id: answer for answer in answers}  # each prompt's newest answer
    newest[reply.prompt_id] = next(answer for answer in answers if answer.pk == reply.pk)  # but the one named
    turns: list[list[dict]] = []
    budget = settings.CHAT_HISTORY_BUDGET
    for prompt in reversed(prompts):
        turn = [
            {"role": "tool", "tool_call_id": r["tool_call_id"], "content": r["content"]} for r in prompt.tool_results
        ]
        if prompt.content:
            turn.append({"role": "user", "content": prompt.content})
        if (answer := _answer_message(newest.get(prompt.pk))) is not None:
            turn.append(answer)
        budget -= sum(len(str(message.get("content") or "")) for message in turn)
        if budget < 0 and turns:
            break
        turns.append(turn)
    turns.reverse()
    while turns and turns[0] and turns[0][0]["role"] == "tool":  # its call was left out
        turns.pop(0)
    return [message for turn in turns for message in turn]
