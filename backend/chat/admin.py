from django.contrib import admin

from chat.models import (
    AllowanceGroup,
    ChatBot,
    ChatSummary,
    Choice,
    Config,
    DailyUsage,
    ModelPrice,
    ModelUsage,
    Persona,
    Prompt,
    QuotaReservation,
    Reply,
    ServiceTokenUsage,
)


class ConfigInline(admin.StackedInline):
    model = Config
    can_delete = False


class PromptInline(admin.TabularInline):
    model = Prompt
    extra = 0
    fields = ["kind", "content", "created_at"]
    readonly_fields = ["created_at"]


@admin.register(ChatBot)
class ChatBotAdmin(admin.ModelAdmin):
    list_display = ["id", "title", "user", "created_at", "updated_at"]
    search_fields = ["title", "user__email"]
    list_select_related = ["user"]
    raw_id_fields = ["user"]
    inlines = [ConfigInline, PromptInline]


class ChoiceInline(admin.TabularInline):
    model = Choice
    extra = 0


@admin.register(Reply)
class ReplyAdmin(admin.ModelAdmin):
    list_display = ["id", "chatbot", "model", "total_tokens", "created_at"]
    raw_id_fields = ["chatbot", "prompt"]
    inlines = [ChoiceInline]


class ReservationInline(admin.TabularInline):
    model = QuotaReservation
    extra = 0
    readonly_fields = ["created_at", "expires_at"]


@admin.register(DailyUsage)
class DailyUsageAdmin(admin.ModelAdmin):
    """Completions per user and day. A user's own limit is set on the user (Daily limit)."""

    list_display = ["user", "day", "used"]
    list_filter = ["day"]
    search_fields = ["user__email"]
    raw_id_fields = ["user"]
    inlines = [ReservationInline]


@admin.register(Persona)
class PersonaAdmin(admin.ModelAdmin):
    list_display = ["name", "key", "position", "is_active"]
    list_editable = ["position", "is_active"]
    search_fields = ["name", "key", "description"]
    prepopulated_fields = {"key": ["name"]}


@admin.register(AllowanceGroup)
class AllowanceGroupAdmin(admin.ModelAdmin):
    """A class or a team. Empty limits: the service default; a member gets the most generous of their groups."""

    list_display = ["name", "daily_limit", "daily_tokens", "monthly_tokens", "allowed_models"]
    search_fields = ["name"]
    filter_horizontal = ["members"]


@admin.register(ModelPrice)
class ModelPriceAdmin(admin.ModelAdmin):
    list_display = ["model", "prompt_per_million", "completion_per_million"]
    list_editable = ["prompt_per_million", "completion_per_million"]
    search_fields = ["model"]


@admin.register(ModelUsage)
class ModelUsageAdmin(admin.ModelAdmin):
    """The book of who used which model when (read only: the sends write it)."""

    list_display = ["user", "day", "model", "completions", "prompt_tokens", "completion_tokens", "cost"]
    list_filter = ["day", "model"]
    search_fields = ["user__email"]
    list_select_related = ["user"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(ChatSummary)
class ChatSummaryAdmin(admin.ModelAdmin):
    list_display = ["chatbot", "covers_until_prompt_id", "tokens", "updated_at"]
    raw_id_fields = ["chatbot"]
    readonly_fields = ["updated_at"]


@admin.register(ServiceTokenUsage)
class ServiceTokenUsageAdmin(admin.ModelAdmin):
    """The service's own calls (summaries, titles): never a user's completions."""

    list_display = ["created_at", "kind", "model", "prompt_tokens", "completion_tokens", "user", "chatbot"]
    list_filter = ["kind", "model"]
    raw_id_fields = ["user", "chatbot"]
    date_hierarchy = "created_at"
