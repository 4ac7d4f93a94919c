"""The Responses API's request (`POST /responses`), checked strictly and translated into the chat
completions messages and parameters the upstream is sent (most OpenAI-compatible servers have no
`/responses`): `instructions` become a system message, input items become messages (consecutive
`function_call`s one assistant message with `tool_calls`, each `function_call_output` a `tool`
message, a user's `input_image` parts `image_url` parts), function tools and `tool_choice` take the
chat shape, `text.format` becomes `response_format`.
"""

from __future__ import annotations

from django.conf import settings
from rest_framework import serializers

from chat.openai_compatible import messages as wire_messages
from chat.openai_compatible.messages import function_name, invalid, text
from chat.openai_compatible.serializers import refuse_unknown, unwrapped
from core.serializer_fields import (
    StrictBooleanField,
    StrictCharField,
    StrictChoiceField,
    StrictFloatField,
    StrictIntegerField,
)

MAX_ITEMS = 256
INPUT_ROLES = ("user", "system", "developer", "assistant")
TEXT_PARTS = ("input_text", "output_text")
ITEM_KEYS = {
    "message": {"type", "role", "content", "id", "status", "phase"},
    "function_call": {"type", "call_id", "name", "arguments", "id", "status"},
    "function_call_output": {"type", "call_id", "output", "id", "status"},
}


def _text_part(part, where: str) -> str:
    if not isinstance(part, dict) or part.get("type") not in TEXT_PARTS:
        raise invalid(f"{where}.type", "Only `input_text` and `output_text` parts are supported.")
    for key in part:
        if key not in ("type", "text", "annotations", "logprobs"):
            raise invalid(f"{where}.{key}", "Not supported in a text part.")
    return text(part.get("text"), f"{where}.text")


def _parts_text(value, path: str) -> str:
    """A message's content: text, or a list of `input_text` / `output_text` parts."""
    if isinstance(value, str):
        return text(value, path)
    if not isinstance(value, list) or not value:
        raise invalid(path, "Expected text, or a list of text parts.")
    return "".join(_text_part(part, f"{path}.{number}") for number, part in enumerate(value))


IMAGE_PART_KEYS = {"type", "image_url", "detail", "file_id"}


def _user_content(value, path: str):
    """A user's message: its text, or (with `input_image` parts) the chat shape's list of `text` and
    `image_url` parts, each image checked as the chat completions endpoint checks it."""
    if not isinstance(value, list) or not any(isinstance(p, dict) and p.get("type") == "input_image" for p in value):
        return _parts_text(value, path)
    parts, pictures = [], 0
    for number, part in enumerate(value):
        where = f"{path}.{number}"
        if not isinstance(part, dict) or part.get("type") != "input_image":
            parts.append({"type": "text", "text": _text_part(part, where)})
            continue
        for key in part:
            if key not in IMAGE_PART_KEYS:
                raise invalid(f"{where}.{key}", "Not supported in an `input_image` part.")
        if part.get("file_id") is not None:
            raise invalid(f"{where}.file_id", "Files are not supported: send the image as a data: URL or an https URL.")
        pictures += 1
        if pictures > settings.CHAT_IMAGES_PER_MESSAGE:
            raise invalid(where, f"At most {settings.CHAT_IMAGES_PER_MESSAGE} images a message.")
        image = {"url": part.get("image_url")}
        if part.get("detail") is not None:
            image["detail"] = part["detail"]
        try:
            parts.append(wire_messages.checked_image_part({"type": "image_url", "image_url": image}, where))
        except serializers.ValidationError as error:  # named by the Responses API's own fields
            inner, message = next(iter(error.detail.items()))
            raise invalid(
                inner.replace(".image_url.url", ".image_url").replace(".image_url.detail", ".detail"), str(message[0])
            ) from error
    return parts


def input_messages(value, path: str = "input") -> list[dict]:
    """`input` (text, or a list of items) as chat completions messages."""
    if isinstance(value, str):
        return [{"role": "user", "content": text(value, path)}]
    if not isinstance(value, list) or not value or len(value) > MAX_ITEMS:
        raise invalid(path, f"Expected text, or a list of 1 to {MAX_ITEMS} input items.")
    messages: list[dict] = []
    for number, item in enumerate(value):
        where = f"{path}.{number}"
        if not isinstance(item, dict):
            raise invalid(where, "Expected an input item object.")
        kind = item.get("type", "message")
        if kind not in ITEM_KEYS:
            raise invalid(f"{where}.type", "Only `message`, `function_call` and `function_call_output` items.")
        for key in item:
            if key not in ITEM_KEYS[kind]:
                raise invalid(f"{where}.{key}", f"Not supported in a `{kind}` item.")
        if kind == "message":
            if item.get("role") not in INPUT_ROLES:
                raise invalid(f"{where}.role", f"Expected one of: {', '.join(INPUT_ROLES)}.")
            content = item.get("content")
            where = f"{where}.content"
            messages.append(
                {
                    "role": item["role"],
                    "content": _user_content(content, where) if item["role"] == "user" else _parts_text(content, where),
                }
            )
        elif kind == "function_call":
            call = {
                "id": text(item.get("call_id"), f"{where}.call_id", max_length=200),
                "type": "function",
                "function": {
                    "name": function_name(item.get("name"), f"{where}.name"),
                    "arguments": text(item.get("arguments"), f"{where}.arguments"),
                },
            }
            previous = messages[-1] if messages else None
            if previous is not None and previous["role"] == "assistant":
                previous.setdefault("tool_calls", []).append(call)  # the same turn of the model
            else:
                messages.append({"role": "assistant", "content": None, "tool_calls": [call]})
        else:
            messages.append(
                {
                    "role": "tool",
                    "tool_call_id": text(item.get("call_id"), f"{where}.call_id", max_length=200),
                    "content": _parts_text(item.get("output"), f"{where}.output"),
                }
            )
    return messages


def response_format(value, path: str = "text") -> dict | None:
    """`text: {format: ...}` as chat completions' `response_format` (None: plain text)."""
    if not isinstance(value, dict) or set(value) - {"format", "verbosity"}:
        raise invalid(path, "Expected {format: {...}}.")
    if value.get("verbosity") not in (None, "medium"):
        raise invalid(f"{path}.verbosity", "Only `medium` is supported.")
    given = value.get("format")
    if given is None or given == {"type": "text"}:
        return None
    if isinstance(given, dict) and given.get("type") == "json_schema":
        schema = {key: item for key, item in given.items() if key != "type"}
        try:
            return wire_messages.response_format({"type": "json_schema", "json_schema": schema}, f"{path}.format")
        except serializers.ValidationError as error:  # the Responses API's format is flat: name its own fields
            where, message = next(iter(error.detail.items()))
            raise invalid(where.replace(".format.json_schema", ".format"), str(message[0])) from error
    return wire_messages.response_format(given, f"{path}.format")


class ResponseRequestSerializer(serializers.Serializer):
    """The Responses API parameters we take; any other is refused (400 naming it)."""

    model = StrictChoiceField(choices=settings.OPENAI_ALLOWED_MODELS)
    input = serializers.JSONField(help_text="Text, or a list of input items.")
    instructions = StrictCharField(required=False, allow_null=True, allow_blank=True, trim_whitespace=False)
    previous_response_id = StrictCharField(required=False, allow_null=True, max_length=64)
    stream = StrictBooleanField(required=False, allow_null=True, default=False)
    temperature = StrictFloatField(min_value=0, max_value=2, required=False, allow_null=True)
    top_p = StrictFloatField(min_value=0, max_value=1, required=False, allow_null=True)
    max_output_tokens = StrictIntegerField(
        min_value=1, max_value=settings.CHAT_MAX_TOKENS_CAP, required=False, allow_null=True
    )
    tools = serializers.JSONField(required=False, allow_null=True, help_text="Function tools.")
    tool_choice = serializers.JSONField(required=False, allow_null=True)
    parallel_tool_calls = StrictBooleanField(required=False, allow_null=True)
    text = serializers.JSONField(required=False, allow_null=True)
    # Accepted, changing nothing here (README): the reply is stored as history either way.
    store = StrictBooleanField(required=False, allow_null=True)
    metadata = serializers.DictField(child=StrictCharField(max_length=512), required=False, allow_null=True)
    user = StrictCharField(max_length=256, required=False, allow_null=True)
    include = serializers.ListField(child=StrictCharField(), required=False, allow_null=True, max_length=0)
    truncation = StrictChoiceField(choices=["disabled"], required=False, allow_null=True)

    def to_internal_value(self, data):
        refuse_unknown(self, data)
        return super().to_internal_value(data)

    def validate_input(self, value):
        return unwrapped(input_messages, value)

    def validate_tools(self, value):
        return None if value is None else unwrapped(wire_messages.tools, value, flat=True)

    def validate_tool_choice(self, value):
        return None if value is None else unwrapped(wire_messages.tool_choice, value, flat=True)

    def validate_text(self, value):
        return None if value is None else unwrapped(response_format, value)

    def validate(self, attrs):
        if attrs["model"] not in settings.OPENAI_VISION_MODELS and any(
            wire_messages.image_urls(message.get("content")) for message in attrs["input"]
        ):
            raise serializers.ValidationError(
                {"input": [f"The model {attrs['model']} reads text only: send no input_image parts to it."]}
            )
        choice = attrs.get("tool_choice")
        names = {tool["function"]["name"] for tool in attrs.get("tools") or ()}
        if choice == "required" and not names:
            raise serializers.ValidationError({"tool_choice": ["`required` needs `tools`."]})
        if isinstance(choice, dict) and choice["function"]["name"] not in names:
            raise serializers.ValidationError({"tool_choice": ["Names no function of `tools`."]})
        return attrs
