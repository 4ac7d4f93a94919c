"""OpenAI's chat completions request, validated strictly: bad input of any shape is a 400."""

from __future__ import annotations

from django.conf import settings
from rest_framework import serializers

from chat.openai_compatible import messages as wire_messages
from core.serializer_fields import (
    StrictBooleanField,
    StrictCharField,
    StrictChoiceField,
    StrictFloatField,
    StrictIntegerField,
)

MAX_MESSAGES = 256
MAX_CHOICES = 4
# Fields that change nothing here, accepted so that clients sending them work (README).
IGNORED = ("user", "metadata", "store")


def _text(value) -> str:
    return StrictCharField(allow_blank=True, trim_whitespace=False).run_validation(value)


def message_text(message: dict) -> str:
    return wire_messages.content_text(message.get("content"))


def message_size(message: dict) -> int:
    """Characters of a message toward the input limit: its text and its tool calls' arguments."""
    calls = message.get("tool_calls") or ()
    return len(message_text(message)) + sum(len(call["function"]["arguments"]) for call in calls)


def refuse_unknown(serializer: serializers.Serializer, data, *, known: tuple[str, ...] = ()) -> None:
    """A field we do not take is a 400 naming it, never silently dropped."""
    if isinstance(data, dict):
        for name in data:
            if name not in serializer.fields and name not in known:
                raise serializers.ValidationError({name: ["This field is not supported by this server."]})


class StreamOptionsSerializer(serializers.Serializer):
    include_usage = StrictBooleanField(required=False, default=False)

    def to_internal_value(self, data):
        refuse_unknown(self, data)
        return super().to_internal_value(data)


class ChatCompletionRequestSerializer(serializers.Serializer):
    """The parameters we take; any other is refused (400 naming it), never dropped."""

    model = StrictChoiceField(choices=settings.OPENAI_ALLOWED_MODELS)
    messages = serializers.JSONField(help_text="OpenAI's messages: text, assistant `tool_calls`, `tool` results.")
    stream = StrictBooleanField(required=False, allow_null=True, default=False)
    stream_options = StreamOptionsSerializer(required=False, allow_null=True)
    temperature = StrictFloatField(min_value=0, max_value=2, required=False, allow_null=True)
    top_p = StrictFloatField(min_value=0, max_value=1, required=False, allow_null=True)
    max_tokens = StrictIntegerField(
        min_value=1, max_value=settings.CHAT_MAX_TOKENS_CAP, required=False, allow_null=True
    )
    max_completion_tokens = StrictIntegerField(
        min_value=1, max_value=settings.CHAT_MAX_TOKENS_CAP, required=False, allow_null=True
    )
    presence_penalty = StrictFloatField(min_value=-2, max_value=2, required=False, allow_null=True)
    frequency_penalty = StrictFloatField(min_value=-2, max_value=2, required=False, allow_null=True)
    seed = StrictIntegerField(required=False, allow_null=True)
    stop = serializers.JSONField(required=False, allow_null=True)
    n = StrictIntegerField(min_value=1, max_value=MAX_CHOICES, required=False, allow_null=True)
    tools = serializers.JSONField(required=False, allow_null=True, help_text="Function tools.")
    tool_choice = serializers.JSONField(required=False, allow_null=True)
    parallel_tool_calls = StrictBooleanField(required=False, allow_null=True)
    response_format = serializers.JSONField(required=False, allow_null=True)
    user = StrictCharField(max_length=256, required=False)
    metadata = serializers.DictField(child=StrictCharField(max_length=512), required=False, allow_null=True)
    store = StrictBooleanField(required=False, allow_null=True)

    def to_internal_value(self, data):
        refuse_unknown(self, data)
        return super().to_internal_value(data)

    def validate_stop(self, stop):
        """Checked as text like every free-text field (no NUL, no lone surrogate: they cannot go upstream)."""
        if stop is None or isinstance(stop, str):
            return stop if stop is None else _text(stop)
        if isinstance(stop, list) and len(stop) <= 4 and all(isinstance(item, str) for item in stop):
            return [_text(item) for item in stop]
        raise serializers.ValidationError("Expected a string or a list of up to 4 strings.")

    def validate_messages(self, value):
        checked = unwrapped(wire_messages.messages, value, max_messages=MAX_MESSAGES)
        total = sum(message_size(message) for message in checked)
        if total > settings.OPENAI_COMPAT_MAX_INPUT_CHARS:
            raise serializers.ValidationError(
                f"The messages are too long: at most {settings.OPENAI_COMPAT_MAX_INPUT_CHARS} characters in all."
            )
        return checked

    def validate_tools(self, value):
        return None if value is None else unwrapped(wire_messages.tools, value)

    def validate_tool_choice(self, value):
        return None if value is None else unwrapped(wire_messages.tool_choice, value)

    def validate_response_format(self, value):
        return None if value is None else unwrapped(wire_messages.response_format, value)

    def validate(self, attrs):
        if attrs.get("max_tokens") is not None and attrs.get("max_completion_tokens") is not None:
            # Two bounds, and an upstream obeying the larger: the reserved worst case would not hold.
            raise serializers.ValidationError(
                {"max_completion_tokens": ["Send `max_tokens` or `max_completion_tokens`, not both."]}
            )
        if attrs["model"] not in settings.OPENAI_VISION_MODELS and any(
            wire_messages.image_urls(message.get("content")) for message in attrs["messages"]
        ):
            raise serializers.ValidationError(
                {"messages": [f"The model {attrs['model']} reads text only: send no image_url parts to it."]}
            )
        choice = attrs.get("tool_choice")
        if isinstance(choice, dict) or choice == "required":
            names = {tool["function"]["name"] for tool in attrs.get("tools") or ()}
            if choice == "required" and not names:
                raise serializers.ValidationError({"tool_choice": ["`required` needs `tools`."]})
            if isinstance(choice, dict) and choice["function"]["name"] not in names:
                raise serializers.ValidationError({"tool_choice": ["Names no function of `tools`."]})
        return attrs


def unwrapped(check, value, **options):
    """Run a `chat.openai_compatible.messages` check inside a field: its path below the field's name."""
    name = check.__name__
    try:
        return check(value, name, **options)
    except serializers.ValidationError as error:
        path, message = next(iter(error.detail.items()))
        relative = path[len(name) :].lstrip(".")
        raise serializers.ValidationError({relative: message} if relative else message) from error


# --- Documentation of the answers (OpenAI's shapes) ----------------------------------------------


class OpenAIErrorDetailSerializer(serializers.Serializer):
    message = serializers.CharField()
    type = serializers.CharField()
    param = serializers.CharField(allow_null=True)
    code = serializers.CharField(allow_null=True)


class OpenAIErrorSerializer(serializers.Serializer):
    error = OpenAIErrorDetailSerializer()


class ToolCallFunctionSerializer(serializers.Serializer):
    name = serializers.CharField()
    arguments = serializers.CharField(help_text="JSON, as the model wrote it.")


class ToolCallSerializer(serializers.Serializer):
    id = serializers.CharField()
    type = serializers.CharField()
    function = ToolCallFunctionSerializer()


class CompletionMessageSerializer(serializers.Serializer):
    role = serializers.CharField()
    content = serializers.CharField(allow_null=True)
    tool_calls = ToolCallSerializer(many=True, required=False)


class CompletionChoiceSerializer(serializers.Serializer):
    index = serializers.IntegerField()
    message = CompletionMessageSerializer()
    finish_reason = serializers.CharField()


class CompletionUsageSerializer(serializers.Serializer):
    prompt_tokens = serializers.IntegerField()
    completion_tokens = serializers.IntegerField()
    total_tokens = serializers.IntegerField()


class ChatCompletionSerializer(serializers.Serializer):
    id = serializers.CharField()
    object = serializers.CharField()
    created = serializers.IntegerField()
    model = serializers.CharField()
    choices = CompletionChoiceSerializer(many=True)
    usage = CompletionUsageSerializer()


class OpenAIModelSerializer(serializers.Serializer):
    id = serializers.CharField()
    object = serializers.CharField()
    created = serializers.IntegerField()
    owned_by = serializers.CharField()


class OpenAIModelListSerializer(serializers.Serializer):
    object = serializers.CharField()
    data = OpenAIModelSerializer(many=True)
