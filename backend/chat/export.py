"""A whole chat as a document to take away: Markdown to read, JSON with every stored field."""

from __future__ import annotations

from django.utils import timezone

from chat.history import CONTEXT_LABELS
from chat.models import CONTEXT_KINDS, ChatBot, ChatSummary, PromptImage, PromptKind


def _when(moment) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M %Z")


def image_name(image: PromptImage) -> str:
    """What an exported chat calls an image (the name the API serves it under)."""
    return f"image-{image.pk}.{image.file.name.rsplit('.', 1)[-1]}"


def chat_markdown(chat: ChatBot) -> str:
    """Title, settings, context, then each turn of the current branch with its time and model. `chat`
    comes from `chat_with_branch` (prompts, replies and choices loaded)."""
    config = chat.config
    lines = [f"# {chat.title or 'Untitled chat'}", ""]
    lines.append(f"- Started: {_when(chat.created_at)}")
    lines.append(f"- Last activity: {_when(chat.updated_at)}")
    lines.append(f"- Model: {config.model}, temperature {float(config.temperature):g}, max tokens {config.max_tokens}")
    if config.system_prompt:
        lines += ["", "## System prompt", "", config.system_prompt]
    prompts = chat.shown_prompts
    context = {prompt.kind: prompt.content for prompt in prompts if prompt.kind in CONTEXT_KINDS}
    if context:
        lines += ["", "## Context", ""]
        lines += [f"- **{CONTEXT_LABELS[kind]}:** {context[kind]}" for kind in CONTEXT_KINDS if kind in context]
    try:
        summary = chat.summary
    except ChatSummary.DoesNotExist:
        summary = None
    if summary is not None:
        lines += ["", "## Earlier turns summarised", "", f"_(written by the model, {_when(summary.updated_at)})_"]
        lines += ["", summary.content]
    lines += ["", "## Conversation"]
    for prompt in prompts:
        if prompt.kind != PromptKind.MESSAGE:
            continue
        lines += ["", f"### You, {_when(prompt.created_at)}", "", prompt.content]
        lines += [f"- _tool result ({result['tool_call_id']}):_ {result['content']}" for result in prompt.tool_results]
        if images := prompt.attached_images:
            lines.append("")
            lines += [
                f"- Image {number}: {image_name(image)} ({image.media_type}, {image.width}x{image.height})"
                for number, image in enumerate(images, start=1)
            ]
        answers = prompt.answers  # oldest first; the newest is the one the conversation went on from
        for number, reply in enumerate(answers, start=1):
            earlier = ", earlier answer" if number < len(answers) else ""
            for choice in reply.ordered_choices:
                heading = f"### Assistant ({reply.model}{earlier}), {_when(reply.created_at)}"
                lines += ["", heading, "", choice.content]
                lines += [
                    f"- _called `{call['function']['name']}`_ {call['function']['arguments']}"
                    for call in choice.tool_calls
                ]
                if choice.finish_reason and choice.finish_reason != "stop":
                    lines += ["", f"_(reply ended: {choice.finish_reason})_"]
    return "\n".join(lines) + "\n"
