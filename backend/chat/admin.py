from django.contrib import admin

from chat.models import (
    ChatBot,
    ChatSummary,
    Choice,
    Config,
    DailyUsage,
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
