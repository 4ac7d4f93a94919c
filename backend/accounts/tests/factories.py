"""Factories of the accounts' models."""

import factory

from accounts.models import User

PASSWORD = "a-long-enough-password"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User

    email = factory.Sequence(lambda n: f"user{n}@example.com")
    nickname = factory.Sequence(lambda n: f"user{n}")
    password = factory.django.Password(PASSWORD)
