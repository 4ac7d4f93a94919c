"""Chat sessions and everything exchanged in them, plus the daily usage behind the quota.

The shape follows the original design (docs/erd.md): a ChatBot aggregates its Prompts, one
Config and its Replies; a Reply mirrors one chat completion (usage on the Reply, choices as rows).
"""

from __future__ import annotations

import hashlib
import re
import secrets
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Prefetch, Q
from django.utils.crypto import salted_hmac


class ChatBotQuerySet(models.QuerySet):
    def owned_by(self, user) -> ChatBotQuerySet:
        """The only way chats reach a user: theirs, and nobody else's."""
        return self.filter(user=user)


VARIABLE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")  # what chat.personas substitutes in `{name}`


class Persona(models.Model):
    """A system-prompt template a chat can start from (a career coach, a language tutor in {language}).

    The template names its variables in braces, `{language}`; only the declared ones are replaced,
    once, with the user's text as it is (no template language: braces in a value stay text).
    """

    key = models.SlugField(max_length=50, unique=True, help_text="The id clients use.")
    name = models.CharField(max_length=100)
    description = models.CharField(max_length=300, blank=True)
    template = models.TextField(help_text="The system prompt; {name} marks a declared variable.")
    variables = models.JSONField(
        default=list, blank=True, help_text='[{"name": "language", "label": "Language to practise"}]'
    )
    position = models.PositiveSmallIntegerField(default=0, help_text="Order in the list (smallest first).")
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.name

    def clean(self):
        super().clean()
        variables = self.variables if isinstance(self.variables, list) else None
        if variables is None or not all(
            isinstance(v, dict) and set(v) == {"name", "label"} and VARIABLE_NAME.fullmatch(str(v["name"]))
            for v in variables
        ):
            raise ValidationError({"variables": 'A list of {"name": "an_identifier", "label": "what to ask"}.'})


class TitleSource(models.TextChoices):
    USER = "user", "Given by the user"
    FIRST_LINE = "first_line", "The first message's first line"
    MODEL = "model", "Written by the model"


class ChatBot(models.Model):
    """A chat session of one user."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="chatbots")
    title = models.CharField(max_length=200, blank=True)
    # Who wrote the title: only a first line may give way to the model's (chat.titles), never the user's.
    title_source = models.CharField(max_length=20, choices=TitleSource.choices, default=TitleSource.USER)
    # The persona the chat started from and the values filled in (its rendered prompt is in Config).
    persona = models.ForeignKey(Persona, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    persona_values = models.JSONField(default=dict, blank=True)
    # The leaf of the branch the user is on (chat.branches): what the detail shows, the model reads
    # next and a send goes on from. Null until the first message.
    current_prompt = models.ForeignKey("Prompt", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    # Last activity: bumped by every message, so lists show the most recently active first.
    updated_at = models.DateTimeField(auto_now=True)

    objects = ChatBotQuerySet.as_manager()

    class Meta:
        indexes = [models.Index(fields=["user", "-updated_at", "-id"], name="chat_chatbot_user_recent")]

    def __str__(self) -> str:
        return self.title or f"Chat {self.pk}"


# Characters of a chat's system prompt (the API refuses longer; an OpenAI-style call's is cut).
SYSTEM_PROMPT_MAX_CHARS = 4000


class Config(models.Model):
    """How a chat calls the model (the original ChatBotConfig)."""

    chatbot = models.OneToOneField(ChatBot, on_delete=models.CASCADE, related_name="config")
    model = models.CharField(max_length=100)
    temperature = models.DecimalField(
        max_digits=3,
        decimal_places=2,
        default=Decimal("1.00"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("2"))],
    )
    max_tokens = models.PositiveIntegerField(validators=[MinValueValidator(1)])
    stream = models.BooleanField(default=True)
    system_prompt = models.TextField(blank=True)

    def __str__(self) -> str:
        return f"{self.model} @ {self.temperature}"


class PromptKind(models.TextChoices):
    MESSAGE = "message", "Message"
    CURRENT_STATE = "current_state", "Current state"
    GOAL = "goal", "Goal"
    MISC = "misc", "Anything else"


CONTEXT_KINDS = (PromptKind.CURRENT_STATE, PromptKind.GOAL, PromptKind.MISC)


class Prompt(models.Model):
    """A user's message, or one of the typed context prompts the model reads first."""

    chatbot = models.ForeignKey(ChatBot, on_delete=models.CASCADE, related_name="prompts")
    kind = models.CharField(max_length=20, choices=PromptKind.choices, default=PromptKind.MESSAGE)
    # The message this one follows on its branch (null: the first); an edit is a sibling of the
    # message it edits (same parent). Context prompts have none. See chat.branches.
    parent = models.ForeignKey("self", on_delete=models.CASCADE, null=True, blank=True, related_name="children")
    # Empty for a turn that only brings tool results (an OpenAI-style tool loop's follow-up).
    content = models.TextField(blank=True)
    # The tool results the client sent with this turn (`role: "tool"` messages): [{tool_call_id, content}].
    tool_results = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # The content's tokens, counted when written (chat.tokens; `tokens_by` names the encoding), so a
    # send reads the history's counts instead of counting it again. Null: not counted yet.
    tokens = models.PositiveIntegerField(null=True, blank=True)
    tokens_by = models.CharField(max_length=20, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["chatbot", "created_at", "id"], name="chat_prompt_chat_order"),
            # A chat's versions of its turns (chat.branches.versions_of): siblings by parent, and the
            # first messages (no parent) of this chat, not of every chat.
            models.Index(fields=["chatbot", "parent"], name="chat_prompt_chat_parent"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["chatbot", "kind"],
                condition=~Q(kind=PromptKind.MESSAGE),
                name="chat_prompt_one_context_per_kind",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind}: {self.content[:40]}"

    @property
    def answers(self) -> list[Reply]:
        """Every reply to this prompt, oldest first, each with `ordered_choices`.

        chat.selectors.prompts_with_replies() loads them (as `loaded_replies`); otherwise they are read now.
        """
        if not hasattr(self, "loaded_replies"):
            choices = Prefetch("choices", queryset=Choice.objects.order_by("index"), to_attr="ordered_choices")
            self.loaded_replies = list(self.replies.order_by("created_at", "id").prefetch_related(choices))
        return self.loaded_replies

    @property
    def attached_images(self) -> list[PromptImage]:
        """The images sent with this message, in order (`loaded_images` when prompts_with_replies() loaded them)."""
        if not hasattr(self, "loaded_images"):
            self.loaded_images = list(self.images.order_by("position", "id"))
        return self.loaded_images

    @property
    def reply(self) -> Reply | None:
        """The newest reply: the answer the conversation goes on from (None until the model answered)."""
        answers = self.answers
        return answers[-1] if answers else None


class PromptImage(models.Model):
    """An image sent with a message: its checked, re-encoded bytes in the default storage, stored once.

    The file's name is random (nothing to guess, and the storage is never served publicly: the API
    serves it to the chat's owner). Deleting the row, or its chat, deletes the file once the
    transaction commits (chat.signals).
    """

    prompt = models.ForeignKey(Prompt, on_delete=models.CASCADE, related_name="images")
    position = models.PositiveSmallIntegerField(default=0)
    file = models.FileField(max_length=200)
    media_type = models.CharField(max_length=30)
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    byte_size = models.PositiveIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["prompt", "position", "id"]

    def __str__(self) -> str:
        return f"{self.media_type} {self.width}x{self.height} of prompt {self.prompt_id}"


class Reply(models.Model):
    """One chat completion answering a prompt, with its token usage."""

    chatbot = models.ForeignKey(ChatBot, on_delete=models.CASCADE, related_name="replies")
    # Several when the user asked the model again (regenerate); the newest is the prompt's answer.
    prompt = models.ForeignKey(Prompt, on_delete=models.CASCADE, related_name="replies")
    upstream_id = models.CharField(max_length=200, blank=True)
    # `resp_...` when made through our Responses API (`GET /api/openai/v1/responses/{id}` finds it).
    response_id = models.CharField(max_length=64, blank=True)
    model = models.CharField(max_length=100)
    created_at = models.DateTimeField(auto_now_add=True)
    prompt_tokens = models.PositiveIntegerField(default=0)
    completion_tokens = models.PositiveIntegerField(default=0)
    total_tokens = models.PositiveIntegerField(default=0)
    # US dollars, from ModelPrice when the reply was stored; None when the model has no price.
    cost = models.DecimalField(max_digits=14, decimal_places=8, null=True, blank=True)

    class Meta:
        verbose_name_plural = "replies"
        constraints = [
            models.UniqueConstraint(
                fields=["response_id"], condition=~Q(response_id=""), name="chat_reply_unique_response_id"
            ),
        ]

    def __str__(self) -> str:
        return f"Reply {self.pk} ({self.model})"


class Choice(models.Model):
    reply = models.ForeignKey(Reply, on_delete=models.CASCADE, related_name="choices")
    index = models.PositiveIntegerField(default=0)
    role = models.CharField(max_length=20, default="assistant")
    content = models.TextField(blank=True)
    # The functions the model asked to call: OpenAI's [{id, type: "function", function: {name, arguments}}].
    tool_calls = models.JSONField(default=list, blank=True)
    finish_reason = models.CharField(max_length=30, blank=True)
    tokens = models.PositiveIntegerField(null=True, blank=True)  # as Prompt.tokens
    tokens_by = models.CharField(max_length=20, blank=True)

    class Meta:
        ordering = ["index"]
        constraints = [models.UniqueConstraint(fields=["reply", "index"], name="chat_choice_unique_index")]

    def __str__(self) -> str:
        return f"Choice {self.index} of reply {self.reply_id}"


class SharedChat(models.Model):
    """A chat's read-only link: at most one live per chat; revoking deletes the row.

    The database holds no usable token: the token is an HMAC (SECRET_KEY) of a random `seed`, so the
    owner can be shown the same link again, and `token_hash` (SHA-256) finds the link from a token by
    equality on an index. A database dump alone opens no link; neither does timing a lookup, which
    could at best learn a prefix of a hash.
    """

    chatbot = models.OneToOneField(ChatBot, on_delete=models.CASCADE, related_name="shared_link")
    seed = models.CharField(max_length=64)
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    SALT = "chat.SharedChat.token"

    def __str__(self) -> str:
        return f"Link to chat {self.chatbot_id}"

    @staticmethod
    def new_seed() -> str:
        return secrets.token_hex(32)

    @classmethod
    def tokens_for(cls, seed: str) -> list[str]:
        """The seed's token under SECRET_KEY, then under each SECRET_KEY_FALLBACKS (a rotated key)."""
        keys = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
        return [salted_hmac(cls.SALT, seed, secret=key, algorithm="sha256").hexdigest()[:43] for key in keys]

    @staticmethod
    def hash_of(token: str) -> str:
        return hashlib.sha256(token.encode()).hexdigest()

    @property
    def token(self) -> str | None:
        """This link's token; None if it was made under a key no longer configured."""
        return next((token for token in self.tokens_for(self.seed) if self.hash_of(token) == self.token_hash), None)


class DailyUsage(models.Model):
    """Completions (and their tokens) a user obtained on one day (server time zone).

    Never decremented, and kept when chats are deleted: it is the quota's book, not history.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="daily_usages")
    day = models.DateField()
    used = models.PositiveIntegerField(default=0)
    prompt_tokens = models.PositiveBigIntegerField(default=0)
    completion_tokens = models.PositiveBigIntegerField(default=0)
    images = models.PositiveIntegerField(default=0, help_text="Images sent with stored messages.")

    class Meta:
        verbose_name_plural = "daily usage"
        constraints = [models.UniqueConstraint(fields=["user", "day"], name="chat_dailyusage_user_day")]

    def __str__(self) -> str:
        return f"{self.user} on {self.day}: {self.used}"


class QuotaReservation(models.Model):
    """A completion in flight: holds one unit of a day's quota until it succeeds, fails or expires.

    A reservation whose process died stops counting at `expires_at` (the upstream timeout plus a
    margin, renewed while a stream is still flowing), so a crash never costs the user for long.
    """

    usage = models.ForeignKey(DailyUsage, on_delete=models.CASCADE, related_name="reservations")
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    # The worst case of the completion (its prompt, estimated, plus max_tokens), held against the
    # token budgets until the reply settles it to the usage the model reported.
    tokens = models.PositiveBigIntegerField(default=0)
    images = models.PositiveSmallIntegerField(default=0, help_text="Images the send carries (the daily image cap).")

    class Meta:
        indexes = [models.Index(fields=["usage", "expires_at"], name="chat_reservation_active")]

    def __str__(self) -> str:
        return f"Reservation {self.pk} until {self.expires_at}"


class AllowanceGroup(models.Model):
    """A class or a team with its own allowances. An empty limit means the service default for it;
    `models` empty means every allowed model. A user in several groups gets the most generous."""

    name = models.CharField(max_length=100, unique=True)
    members = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="allowance_groups")
    daily_limit = models.PositiveIntegerField(null=True, blank=True, help_text="Completions per day.")
    daily_tokens = models.PositiveBigIntegerField(null=True, blank=True, help_text="Tokens per day.")
    monthly_tokens = models.PositiveBigIntegerField(null=True, blank=True, help_text="Tokens per calendar month.")
    allowed_models = models.JSONField(
        default=list, blank=True, help_text='Models its members may use, e.g. ["gpt-4o-mini"]; empty: all allowed.'
    )

    class Meta:
        ordering = ["name"]
        verbose_name = "group"

    def __str__(self) -> str:
        return self.name

    def clean(self):
        super().clean()
        models_ = self.allowed_models
        if not isinstance(models_, list) or not all(isinstance(m, str) and m for m in models_):
            raise ValidationError({"allowed_models": 'A list of model names, e.g. ["gpt-4o-mini"].'})


class ModelPrice(models.Model):
    """What a model costs, in US dollars per million tokens; a reply's `cost` comes from it."""

    model = models.CharField(max_length=100, unique=True)
    prompt_per_million = models.DecimalField(max_digits=10, decimal_places=4)
    completion_per_million = models.DecimalField(max_digits=10, decimal_places=4)

    class Meta:
        ordering = ["model"]

    def __str__(self) -> str:
        return f"{self.model}: ${self.prompt_per_million} / ${self.completion_per_million} per 1M"


class ModelUsage(models.Model):
    """What a user spent on one model on one day: the staff's usage view reads it. Like DailyUsage it
    is the book, kept when chats are deleted."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="model_usages")
    day = models.DateField()
    model = models.CharField(max_length=100)
    completions = models.PositiveIntegerField(default=0)
    prompt_tokens = models.PositiveBigIntegerField(default=0)
    completion_tokens = models.PositiveBigIntegerField(default=0)
    cost = models.DecimalField(max_digits=14, decimal_places=8, null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "day", "model"], name="chat_modelusage_user_day_model")]
        indexes = [models.Index(fields=["day"], name="chat_modelusage_day")]

    def __str__(self) -> str:
        return f"{self.user} on {self.day} with {self.model}"


class ServiceBudgetLock(models.Model):
    """One row, locked by every reservation while a service ceiling is set: the ceiling is checked
    and reserved against by one send at a time, across processes and servers."""

    alerts = models.JSONField(default=list, blank=True, help_text="Ceiling alerts already mailed.")

    def __str__(self) -> str:
        return "the service's budget"


class ChatSummary(models.Model):
    """What the model wrote of a chat's oldest turns, which no longer fit in its context window:
    sent ahead of the remaining turns. It covers every message up to `covers_until_prompt_id`."""

    chatbot = models.OneToOneField(ChatBot, on_delete=models.CASCADE, related_name="summary")
    content = models.TextField()
    covers_until_prompt_id = models.BigIntegerField()
    tokens = models.PositiveIntegerField(default=0)
    tokens_by = models.CharField(max_length=20, blank=True)
    updated_at = models.DateTimeField()

    class Meta:
        verbose_name_plural = "chat summaries"

    def __str__(self) -> str:
        return f"Summary of chat {self.chatbot_id} up to prompt {self.covers_until_prompt_id}"


class ServiceCallKind(models.TextChoices):
    SUMMARY = "summary", "Summary"
    TITLE = "title", "Title"


class ServiceTokenUsage(models.Model):
    """Tokens the service spent on its own calls (summaries, titles): not a user's completions
    (never in DailyUsage or the quota), but the service's usage all the same."""

    kind = models.CharField(max_length=20, choices=ServiceCallKind.choices)
    model = models.CharField(max_length=100)
    prompt_tokens = models.PositiveIntegerField(default=0)
    completion_tokens = models.PositiveIntegerField(default=0)
    # Whose chat it was for (kept when the chat or user goes: it is the service's book).
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    chatbot = models.ForeignKey(ChatBot, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        verbose_name_plural = "service token usage"

    def __str__(self) -> str:
        return f"{self.kind} {self.model}: {self.prompt_tokens}+{self.completion_tokens}"
