from decimal import Decimal

from django.conf import settings
from django.db.models import Manager
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from chat.api.prompt_rendering import chat_summary_data, image_url, prompt_data
from chat.branches import cursor_for
from chat.models import (
    CONTEXT_KINDS,
    SYSTEM_PROMPT_MAX_CHARS,
    ChatBot,
    ChatSummary,
    Choice,
    Config,
    Persona,
    Prompt,
    PromptImage,
    Reply,
)
from chat.selectors import chat_summary
from core.serializer_fields import (
    StrictCharField,
    StrictChoiceField,
    StrictFloatField,
    StrictIntegerField,
    StrictModelSerializer,
)

CONTEXT_MAX_CHARS = 2000


# --- Output -----------------------------------------------------------------------------------


class ChoiceSerializer(serializers.ModelSerializer):
    class Meta:
        model = Choice
        fields = ["index", "role", "content", "tool_calls", "finish_reason"]


class ReplySerializer(serializers.ModelSerializer):
    # Loaded by chat.selectors.prompts_with_replies().
    choices = ChoiceSerializer(many=True, read_only=True, source="ordered_choices")
    cost = serializers.DecimalField(
        max_digits=14,
        decimal_places=8,
        read_only=True,
        allow_null=True,
        help_text="US dollars at the model's price when it was stored (a decimal string); null: no price.",
    )

    class Meta:
        model = Reply
        fields = ["id", "model", "created_at", "prompt_tokens", "completion_tokens", "total_tokens", "cost", "choices"]


class PromptImageSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField(
        help_text="Where the image's bytes are: readable only with the owner's credentials (JWT or API key)."
    )

    class Meta:
        model = PromptImage
        fields = ["id", "url", "media_type", "width", "height"]

    def get_url(self, image: PromptImage) -> str:
        # The prompt's chat id is on the prompt we are serialised under; no query for it.
        return image_url(image, chat_id=self.context["chat_id"], request=self.context.get("request"))


class PromptVersionSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    created_at = serializers.DateTimeField()


class PromptSerializer(serializers.ModelSerializer):
    images = serializers.SerializerMethodField(help_text="The images sent with the message, in order.")
    versions = PromptVersionSerializer(
        many=True,
        read_only=True,
        source="loaded_versions",
        default=list,
        help_text="A message's versions (it and its edits: siblings on the branches), oldest first; "
        "`POST .../branch/` with one's id shows its branch. Empty for a context prompt.",
    )
    reply = ReplySerializer(
        read_only=True, allow_null=True, help_text="The newest answer; null until (unless) the model answered."
    )
    replies = ReplySerializer(
        many=True, read_only=True, source="answers", help_text="Every answer, oldest first (several after regenerate)."
    )

    class Meta:
        model = Prompt
        fields = ["id", "kind", "content", "tool_results", "created_at", "images", "versions", "reply", "replies"]

    @extend_schema_field(PromptImageSerializer(many=True))
    def get_images(self, prompt: Prompt) -> list[dict]:
        context = {**self.context, "chat_id": prompt.chatbot_id}
        return PromptImageSerializer(prompt.attached_images, many=True, context=context).data


class ChatConfigSerializer(StrictModelSerializer):
    """A chat's model settings. On input every field is optional; unset ones keep their value."""

    model = StrictChoiceField(choices=settings.OPENAI_ALLOWED_MODELS, required=False)
    # Any number from 0 to 2; stored rounded to two decimals.
    temperature = StrictFloatField(min_value=0, max_value=2, required=False)
    max_tokens = StrictIntegerField(min_value=1, max_value=settings.CHAT_MAX_TOKENS_CAP, required=False)
    system_prompt = StrictCharField(
        max_length=SYSTEM_PROMPT_MAX_CHARS, allow_blank=True, required=False, trim_whitespace=False
    )

    class Meta:
        model = Config
        fields = ["model", "temperature", "max_tokens", "stream", "system_prompt"]
        extra_kwargs = {"stream": {"required": False}}

    def validate_temperature(self, value: float) -> Decimal:
        return Decimal(str(round(value, 2)))

    def to_representation(self, config):
        data = super().to_representation(config)
        data["temperature"] = float(config.temperature)
        return data


class ChatContextSerializer(serializers.Serializer):
    """What the user told the bot; sent to the model ahead of the conversation. Empty removes it."""

    current_state = StrictCharField(max_length=CONTEXT_MAX_CHARS, allow_blank=True, allow_null=True, required=False)
    goal = StrictCharField(max_length=CONTEXT_MAX_CHARS, allow_blank=True, allow_null=True, required=False)
    misc = StrictCharField(max_length=CONTEXT_MAX_CHARS, allow_blank=True, allow_null=True, required=False)


class PersonaVariableSerializer(serializers.Serializer):
    name = serializers.CharField()
    label = serializers.CharField()


class PersonaSerializer(serializers.ModelSerializer):
    id = serializers.CharField(source="key")
    variables = PersonaVariableSerializer(many=True)

    class Meta:
        model = Persona
        fields = ["id", "name", "description", "variables"]


class ChatPersonaSerializer(serializers.Serializer):
    """The persona a chat started from, with the values given."""

    id = serializers.CharField(source="persona.key")
    name = serializers.CharField(source="persona.name")
    values = serializers.SerializerMethodField()

    @extend_schema_field(serializers.DictField(child=serializers.CharField()))
    def get_values(self, chat: ChatBot) -> dict[str, str]:
        # In the order the persona declares its variables (PostgreSQL's jsonb keeps no key order).
        stored = chat.persona_values or {}
        declared = [variable["name"] for variable in chat.persona.variables]
        return {name: stored[name] for name in [*declared, *sorted(set(stored) - set(declared))] if name in stored}


class HandRenderedList(serializers.ListSerializer):
    """A list of its child serializer's shape (and schema), each item rendered by `item` (from
    `chat.api.prompt_rendering`, held to the serializer's own output by tests)."""

    def item(self, value) -> dict:
        raise NotImplementedError

    def to_representation(self, data):
        return [self.item(value) for value in (data.all() if isinstance(data, Manager) else data)]


class RenderedChatSummaries(HandRenderedList):
    """A page of the chat list (`prompt_rendering.chat_summary_data`)."""

    def item(self, value) -> dict:
        return chat_summary_data(value)


class ChatSummarySerializer(serializers.ModelSerializer):
    class Meta:
        model = ChatBot
        fields = ["id", "title", "created_at", "updated_at"]
        list_serializer_class = RenderedChatSummaries


class EarlierTurnsSummarySerializer(serializers.ModelSerializer):
    """What the model wrote of the turns that no longer fit its context window."""

    class Meta:
        model = ChatSummary
        fields = ["content", "covers_until_prompt_id", "updated_at"]


class RenderedPromptList(HandRenderedList):
    """A list of `PromptSerializer`s (its shape, its schema) rendered by `chat.api.prompt_rendering`,
    which is held to the serializer's output field for field: a chat's detail is mostly its prompts,
    and through DRF's nested serializers they were a fifth of its time (docs/performance.md)."""

    def item(self, value) -> dict:
        return prompt_data(value, context=self.context)


class ChatDetailSerializer(serializers.ModelSerializer):
    config = ChatConfigSerializer(read_only=True)
    context = serializers.SerializerMethodField()
    persona = serializers.SerializerMethodField()
    summary = serializers.SerializerMethodField()
    prompts = RenderedPromptList(
        child=PromptSerializer(),
        read_only=True,
        source="shown_prompts",
        help_text="The context prompts, then the messages of the current branch, oldest first (with `?turns=`: "
        "its newest turns).",
    )
    older = serializers.SerializerMethodField(
        help_text="With `?turns=`: the cursor of the older turns (`?turns=N&before=<older>`); null when there are none."
    )

    class Meta:
        model = ChatBot
        fields = [
            "id",
            "title",
            "created_at",
            "updated_at",
            "config",
            "context",
            "persona",
            "summary",
            "prompts",
            "older",
        ]

    def get_older(self, chat: ChatBot) -> str | None:
        return cursor_for(chat.older) if getattr(chat, "older", None) is not None else None

    @extend_schema_field(EarlierTurnsSummarySerializer(allow_null=True))
    def get_summary(self, chat: ChatBot) -> dict | None:
        summary = chat_summary(chat)
        return EarlierTurnsSummarySerializer(summary).data if summary else None

    @extend_schema_field(ChatPersonaSerializer(allow_null=True))
    def get_persona(self, chat: ChatBot) -> dict | None:
        return ChatPersonaSerializer(chat).data if chat.persona_id else None

    @extend_schema_field(ChatContextSerializer)
    def get_context(self, chat: ChatBot) -> dict[str, str | None]:
        # Read from the prefetched prompts: no extra query.
        stored = {prompt.kind: prompt.content for prompt in chat.shown_prompts if prompt.kind in CONTEXT_KINDS}
        return {kind.value: stored.get(kind) for kind in CONTEXT_KINDS}


# --- Errors (documentation of the error bodies) -----------------------------------------------------


class QuotaExceededSerializer(serializers.Serializer):
    detail = serializers.CharField()
    limit = serializers.IntegerField()
    remaining = serializers.IntegerField()
    resets_at = serializers.DateTimeField()


class ModelListSerializer(serializers.Serializer):
    default = serializers.CharField()
    models = serializers.ListField(child=serializers.CharField())


class DailyUsageSerializer(serializers.Serializer):
    day = serializers.DateField()
    completions = serializers.IntegerField()
    prompt_tokens = serializers.IntegerField()
    completion_tokens = serializers.IntegerField()


class ReplyExportSerializer(ReplySerializer):
    class Meta(ReplySerializer.Meta):
        fields = [*ReplySerializer.Meta.fields, "upstream_id"]


class PromptExportSerializer(PromptSerializer):
    reply = ReplyExportSerializer(read_only=True, allow_null=True)

    class Meta(PromptSerializer.Meta):
        fields = [*PromptSerializer.Meta.fields, "parent"]
        extra_kwargs = {"parent": {"help_text": "The message this one follows on its branch (null: the first)."}}


class ChatExportSerializer(ChatDetailSerializer):
    """Every stored field of a chat, for `?format=json` exports: every branch (`parent` links them)."""

    prompts = PromptExportSerializer(many=True, read_only=True, source="shown_prompts")

    class Meta(ChatDetailSerializer.Meta):
        fields = [*(f for f in ChatDetailSerializer.Meta.fields if f != "older"), "current_prompt"]
        extra_kwargs = {"current_prompt": {"help_text": "The last message of the current branch."}}
