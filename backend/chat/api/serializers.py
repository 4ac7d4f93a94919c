from decimal import Decimal

from django.conf import settings
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from chat.models import CONTEXT_KINDS, ChatBot, Choice, Config, Prompt, Reply

CONTEXT_MAX_CHARS = 2000
SYSTEM_PROMPT_MAX_CHARS = 4000


class StrictCharField(serializers.CharField):
    """A CharField that refuses numbers and booleans instead of turning them into text."""

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


# --- Output -----------------------------------------------------------------------------------


class ChoiceSerializer(serializers.ModelSerializer):
    class Meta:
        model = Choice
        fields = ["index", "role", "content", "finish_reason"]


class ReplySerializer(serializers.ModelSerializer):
    # Loaded by chat.selectors.prompts_with_replies().
    choices = ChoiceSerializer(many=True, read_only=True, source="ordered_choices")

    class Meta:
        model = Reply
        fields = ["id", "model", "created_at", "prompt_tokens", "completion_tokens", "total_tokens", "choices"]


class PromptSerializer(serializers.ModelSerializer):
    reply = ReplySerializer(read_only=True, allow_null=True)  # null until (unless) the model answered

    class Meta:
        model = Prompt
        fields = ["id", "kind", "content", "created_at", "reply"]


class ChatConfigSerializer(serializers.ModelSerializer):
    """A chat's model settings. On input every field is optional; unset ones keep their value."""

    temperature = serializers.DecimalField(
        max_digits=3,
        decimal_places=2,
        min_value=Decimal("0"),
        max_value=Decimal("2"),
        coerce_to_string=False,
        required=False,
    )
    system_prompt = StrictCharField(
        max_length=SYSTEM_PROMPT_MAX_CHARS, allow_blank=True, required=False, trim_whitespace=False
    )

    class Meta:
        model = Config
        fields = ["model", "temperature", "max_tokens", "stream", "system_prompt"]
        extra_kwargs = {
            "model": {"required": False, "help_text": "One of OPENAI_ALLOWED_MODELS."},
            "max_tokens": {"required": False, "min_value": 1},
            "stream": {"required": False},
        }

    def validate_model(self, value: str) -> str:
        if value not in settings.OPENAI_ALLOWED_MODELS:
            allowed = ", ".join(settings.OPENAI_ALLOWED_MODELS)
            raise serializers.ValidationError(f'"{value}" is not an allowed model. Choose one of: {allowed}.')
        return value

    def validate_max_tokens(self, value: int) -> int:
        if value > settings.CHAT_MAX_TOKENS_CAP:
            raise serializers.ValidationError(f"Ensure this value is at most {settings.CHAT_MAX_TOKENS_CAP}.")
        return value


class ChatContextSerializer(serializers.Serializer):
    """What the user told the bot; sent to the model ahead of the conversation. Empty removes it."""

    current_state = StrictCharField(max_length=CONTEXT_MAX_CHARS, allow_blank=True, allow_null=True, required=False)
    goal = StrictCharField(max_length=CONTEXT_MAX_CHARS, allow_blank=True, allow_null=True, required=False)
    misc = StrictCharField(max_length=CONTEXT_MAX_CHARS, allow_blank=True, allow_null=True, required=False)


class ChatSummarySerializer(serializers.ModelSerializer):
    class Meta:
        model = ChatBot
        fields = ["id", "title", "created_at", "updated_at"]


class ChatDetailSerializer(serializers.ModelSerializer):
    config = ChatConfigSerializer(read_only=True)
    context = serializers.SerializerMethodField()
    prompts = PromptSerializer(many=True, read_only=True)

    class Meta:
        model = ChatBot
        fields = ["id", "title", "created_at", "updated_at", "config", "context", "prompts"]

    @extend_schema_field(ChatContextSerializer)
    def get_context(self, chat: ChatBot) -> dict[str, str | None]:
        # Read from the prefetched prompts: no extra query.
        stored = {prompt.kind: prompt.content for prompt in chat.prompts.all() if prompt.kind in CONTEXT_KINDS}
        return {kind.value: stored.get(kind) for kind in CONTEXT_KINDS}


# --- Input ------------------------------------------------------------------------------------


class ChatWriteSerializer(serializers.Serializer):
    title = StrictCharField(max_length=200, allow_blank=True, required=False)
    config = ChatConfigSerializer(required=False)
    context = ChatContextSerializer(required=False)


class MessageCreateSerializer(serializers.Serializer):
    content = StrictCharField()

    def validate_content(self, value: str) -> str:
        if len(value) > settings.CHAT_MESSAGE_MAX_CHARS:
            raise serializers.ValidationError(
                f"Ensure this field has no more than {settings.CHAT_MESSAGE_MAX_CHARS} characters."
            )
        return value


# --- Errors (documentation of the error bodies) -----------------------------------------------------


class ErrorDetailSerializer(serializers.Serializer):
    detail = serializers.CharField()


class QuotaExceededSerializer(serializers.Serializer):
    detail = serializers.CharField()
    limit = serializers.IntegerField()
    remaining = serializers.IntegerField()
    resets_at = serializers.DateTimeField()
