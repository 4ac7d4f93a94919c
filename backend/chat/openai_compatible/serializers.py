"""OpenAI's chat completions request, validated strictly: bad input of any shape is a 400."""

from __future__ import annotations

from django.conf import settings
from rest_framework import serializers

from core.serializer_fields import (
    StrictBooleanField,
    StrictCharField,
    StrictChoiceField,
    StrictFloatField,
    StrictIntegerField,
)

ROLES = ["system", "developer", "user", "assistant", "tool"]
MAX_MESSAGES = 256


def _text(value) -> str:
    return StrictCharField(allow_blank=True, trim_whitespace=False).run_validation(value)


class ChatMessageSerializer(serializers.Serializer):
    """One message: `content` is text, or a list of text parts (`{"type": "text", "text": ...}`)."""

    role = StrictChoiceField(choices=ROLES)
    content = serializers.JSONField()
    name = StrictCharField(max_length=64, required=False)

    def validate_content(self, content):
        if isinstance(content, str):
            return _text(content)
        if isinstance(content, list) and content:
            for part in content:
                if not isinstance(part, dict) or part.get("type") != "text":
                    raise serializers.ValidationError("Only text content is supported.")
                _text(part.get("text"))
            return content
        raise serializers.ValidationError("Expected text, or a list of text parts.")

    def to_internal_value(self, data):
        message = super().to_internal_value(data)
        return {key: message[key] for key in ("role", "content", "name") if key in message}


def message_text(message: dict) -> str:
    content = message["content"]
    return content if isinstance(content, str) else "".join(part["text"] for part in content)


class StreamOptionsSerializer(serializers.Serializer):
    include_usage = StrictBooleanField(required=False, default=False)


class ChatCompletionRequestSerializer(serializers.Serializer):
    """The parameters we take; others are ignored (never passed on)."""

    model = StrictChoiceField(choices=settings.OPENAI_ALLOWED_MODELS)
    messages = serializers.ListField(child=ChatMessageSerializer(), min_length=1, max_length=MAX_MESSAGES)
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
    n = StrictIntegerField(min_value=1, max_value=1, required=False, allow_null=True)
    user = StrictCharField(max_length=256, required=False)

    def validate_stop(self, stop):
        """Checked as text like every free-text field (no NUL, no lone surrogate: they cannot go upstream)."""
        if stop is None or isinstance(stop, str):
            return stop if stop is None else _text(stop)
        if isinstance(stop, list) and len(stop) <= 4 and all(isinstance(item, str) for item in stop):
            return [_text(item) for item in stop]
        raise serializers.ValidationError("Expected a string or a list of up to 4 strings.")

    def validate_messages(self, messages):
        if not any(message["role"] == "user" for message in messages):
            raise serializers.ValidationError("At least one message must have the role `user`.")
        total = sum(len(message_text(message)) for message in messages)
        if total > settings.OPENAI_COMPAT_MAX_INPUT_CHARS:
            raise serializers.ValidationError(
                f"The messages are too long: at most {settings.OPENAI_COMPAT_MAX_INPUT_CHARS} characters in all."
            )
        return messages


# --- Documentation of the answers (OpenAI's shapes) ----------------------------------------------


class OpenAIErrorDetailSerializer(serializers.Serializer):
    message = serializers.CharField()
    type = serializers.CharField()
    param = serializers.CharField(allow_null=True)
    code = serializers.CharField(allow_null=True)


class OpenAIErrorSerializer(serializers.Serializer):
    error = OpenAIErrorDetailSerializer()


class CompletionMessageSerializer(serializers.Serializer):
    role = serializers.CharField()
    content = serializers.CharField()


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
