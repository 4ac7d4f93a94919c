"""The custom user: people log in with their email address."""

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone


class UserManager(BaseUserManager):
    use_in_migrations = True

    @classmethod
    def normalize_email(cls, email: str | None) -> str:
        # Emails are compared case-insensitively, so they are stored in one case.
        return (email or "").strip().lower()

    def get_by_natural_key(self, username: str):
        return self.get(email__iexact=self.normalize_email(username))

    def create_user(self, email: str, password: str | None = None, **extra_fields):
        if not email:
            raise ValueError("Users must have an email address.")
        user = self.model(email=self.normalize_email(email), **extra_fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **extra_fields):
        extra_fields.update(is_staff=True, is_superuser=True)
        return self.create_user(email, password, **extra_fields)


class User(AbstractBaseUser, PermissionsMixin):
    """A member of the service (the original design's Member)."""

    # Empty (NULL) only for someone who signed up through a provider that gave no verified email:
    # they log in through that provider alone.
    email = models.EmailField(max_length=254, unique=True, null=True, blank=True)
    nickname = models.CharField(max_length=50, blank=True)
    born_year = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1900), MaxValueValidator(2100)]
    )
    job = models.CharField(max_length=100, null=True, blank=True)  # noqa: DJ001 - nullable in the original design
    email_verified = models.BooleanField(
        default=False, help_text="The owner of the address followed a link mailed to it (or a provider vouched for it)."
    )
    daily_limit = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text="Completions per day for this user; empty means their groups' or CHAT_DAILY_LIMIT.",
    )
    daily_tokens = models.PositiveBigIntegerField(
        null=True, blank=True, help_text="Tokens per day for this user; empty means their groups' or CHAT_DAILY_TOKENS."
    )
    monthly_tokens = models.PositiveBigIntegerField(
        null=True,
        blank=True,
        help_text="Tokens per calendar month for this user; empty means their groups' or CHAT_MONTHLY_TOKENS.",
    )
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False)
    date_joined = models.DateTimeField(default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        constraints = [
            models.UniqueConstraint(Lower("email"), name="accounts_user_email_ci_unique"),
        ]

    def __str__(self) -> str:
        return self.email or f"user {self.pk} (no email)"

    def clean(self):
        super().clean()
        self.email = UserManager.normalize_email(self.email) or None


class ApiKey(models.Model):
    """A personal key for scripts and SDKs (`Authorization: Bearer cbk_...`).

    Only a SHA-256 of the key is stored. A fast hash is right here, unlike for passwords: the key
    is 256 random bits, so there is nothing to guess from its hash, and a slow hash would cost
    every API request ~100 ms. It is found by `prefix` (indexed, shown to the owner) and compared in
    constant time.
    """

    user = models.ForeignKey("accounts.User", on_delete=models.CASCADE, related_name="api_keys")
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=16, unique=True)
    key_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "API key"

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"


class SocialLoginCode(models.Model):
    """A one-time secret of the social login, stored as a SHA-256 like an API key.

    `login`: what the SPA exchanges, with the PKCE verifier of `code_challenge`, for a token pair
    (after a provider's callback). `link`: the ticket in a `start_url` that makes the provider
    login link to `user` instead; when it comes back, the provider account to link waits in
    `pending_link` of the `login` code and is linked only when that code is exchanged, so whoever
    holds the verifier, and only they, completes it.
    """

    class Purpose(models.TextChoices):
        LOGIN = "login", "log in"
        LINK = "link", "link a provider"

    purpose = models.CharField(max_length=8, choices=Purpose.choices)
    code_hash = models.CharField(max_length=64, unique=True)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    provider = models.CharField(max_length=30)
    code_challenge = models.CharField(max_length=43, blank=True)
    pending_link = models.JSONField(null=True, blank=True)
    expires_at = models.DateTimeField(db_index=True)
    used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.purpose} code for {self.user} ({self.provider})"


class Invite(models.Model):
    """A code that lets people sign up while SIGNUP_MODE is `invite` (and puts them in `groups`).

    Only a SHA-256 of the code is kept (it is 80 random bits: nothing to guess from the hash); `hint`
    is its first characters, for the admin's list. `uses` is counted by one conditional UPDATE, so
    however many signups race for the last use, one gets it.
    """

    code_hash = models.CharField(max_length=64, unique=True)
    hint = models.CharField(max_length=8)
    max_uses = models.PositiveIntegerField(default=1, validators=[MinValueValidator(1)])
    uses = models.PositiveIntegerField(default=0)
    expires_at = models.DateTimeField(null=True, blank=True, help_text="Empty: never.")
    groups = models.ManyToManyField("chat.AllowanceGroup", blank=True, related_name="invites")
    note = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.hint}… ({self.uses}/{self.max_uses})"
