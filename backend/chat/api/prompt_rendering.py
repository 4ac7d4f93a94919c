"""A send's stored prompt as JSON, in `PromptSerializer`'s shape, written out by hand (and a chat as
the list shows it, in `ChatSummarySerializer`'s).

The `done` event of every streamed send and the body of every plain one is this prompt with its
reply and choices. Through DRF's serializer (fields walked, `get_attribute` and `to_representation`
per value, a nested serializer per reply and choice) that was ~6 % of a send's CPU on the event loop
(docs/performance.md). The serializer stays the one definition of the shape and of the schema;
`chat/tests/test_prompt_rendering.py` holds this to its output, field for field, for every shape a
prompt can take.
"""

from __future__ import annotations

import decimal

from django.urls import reverse
from django.utils import timezone

from chat.models import Choice, Prompt, PromptImage, Reply

_COST_PLACES = decimal.Decimal(".1") ** 8  # ReplySerializer.cost: max_digits=14, decimal_places=8
_COST_DIGITS = 14


def drf_time(value) -> str | None:
    """DRF's DateTimeField: ISO 8601 in the current time zone, UTC written as Z."""
    if not value:
        return None
    text = value.astimezone(timezone.get_current_timezone()).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def _cost(value) -> str | None:
    if value is None:
        return None
    context = decimal.getcontext().copy()  # DRF's DecimalField: the current context, max_digits of precision
    context.prec = _COST_DIGITS
    return f"{decimal.Decimal(value).quantize(_COST_PLACES, context=context):f}"


def _choice(choice: Choice) -> dict:
    return {
        "index": choice.index,
        "role": choice.role,
        "content": choice.content,
        "tool_calls": choice.tool_calls,
        "finish_reason": choice.finish_reason,
    }


def _reply(reply: Reply) -> dict:
    return {
        "id": reply.pk,
        "model": reply.model,
        "created_at": drf_time(reply.created_at),
        "prompt_tokens": reply.prompt_tokens,
        "completion_tokens": reply.completion_tokens,
        "total_tokens": reply.total_tokens,
        "cost": _cost(reply.cost),
        "choices": [_choice(choice) for choice in reply.ordered_choices],
    }


def image_url(image: PromptImage, *, chat_id: int, request) -> str:
    """Where an image's bytes are for its owner: absolute with a request, else the path."""
    path = reverse("chat-image", kwargs={"pk": chat_id, "image_id": image.pk})
    return request.build_absolute_uri(path) if request is not None else path


def _image(image: PromptImage, *, chat_id: int, request) -> dict:
    return {
        "id": image.pk,
        "url": image_url(image, chat_id=chat_id, request=request),
        "media_type": image.media_type,
        "width": image.width,
        "height": image.height,
    }


def prompt_data(prompt: Prompt, *, context: dict) -> dict:
    """`PromptSerializer(prompt, context=context).data` (`context["request"]`, when given, makes the
    image URLs absolute)."""
    request = context.get("request")
    answers = [_reply(reply) for reply in prompt.answers]
    return {
        "id": prompt.pk,
        "kind": prompt.kind,
        "content": prompt.content,
        "tool_results": prompt.tool_results,
        "created_at": drf_time(prompt.created_at),
        "images": [_image(image, chat_id=prompt.chatbot_id, request=request) for image in prompt.attached_images],
        "versions": [
            {"id": version["id"], "created_at": drf_time(version["created_at"])}
            for version in getattr(prompt, "loaded_versions", ())
        ],
        "reply": answers[-1] if answers else None,
        "replies": answers,
    }


def chat_summary_data(chat) -> dict:
    """`ChatSummarySerializer(chat).data`: a chat as the list shows it."""
    return {
        "id": chat.pk,
        "title": chat.title,
        "created_at": drf_time(chat.created_at),
        "updated_at": drf_time(chat.updated_at),
    }
