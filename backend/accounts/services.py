"""Writes on accounts."""

from django.db import IntegrityError, transaction
from rest_framework.exceptions import ValidationError
from rest_framework_simplejwt.tokens import RefreshToken

from accounts.models import User


def user_create(*, email: str, password: str, **profile) -> User:
    try:
        with transaction.atomic():
            return User.objects.create_user(email=email, password=password, **profile)
    except IntegrityError as error:  # a concurrent signup with the same email won the race
        raise ValidationError({"email": ["A user with this email already exists."]}) from error


def user_logout(*, refresh: RefreshToken) -> None:
    refresh.blacklist()
