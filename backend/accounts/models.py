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

    email = models.EmailField(max_length=254, unique=True)
    nickname = models.CharField(max_length=50, blank=True)
    born_year = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1900), MaxValueValidator(2100)]
    )
    job = models.CharField(max_length=100, null=True, blank=True)  # noqa: DJ001 - nullable in the original design
    daily_limit = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text="Completions per day for this user; empty means the service default (CHAT_DAILY_LIMIT).",
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
        return self.email

    def clean(self):
        super().clean()
        self.email = UserManager.normalize_email(self.email)


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
