"""The benchmark's stage: Django on a fresh database, the seeded users and chats, the two servers."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from benchmarks.seeding import chain_turns
from testsupport.servers import Server, start_api, start_mock_llm

BACKEND = Path(__file__).resolve().parent.parent
MODEL = "gpt-4o-mini"


def configure_django(database_url: str) -> None:
    os.environ.update(
        {
            "DATABASE_URL": database_url,
            "DJANGO_SETTINGS_MODULE": "config.settings.production",
            "DJANGO_SECURE_SSL_REDIRECT": "false",
            "JWT_ACCESS_MINUTES": "600",
            "LOG_LEVEL": "WARNING",
        }
    )
    import django

    django.setup()
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v0"], cwd=BACKEND, check=True, env=os.environ
    )


def seed(users: int, *, chats_for_history: int, turns: int) -> dict:
    """Bench users with one chat each, and one user with many chats and a long one."""
    from django.contrib.auth.hashers import make_password
    from rest_framework_simplejwt.tokens import AccessToken

    from accounts.models import User
    from chat.models import ChatBot, Choice, Config, Prompt, Reply

    User.objects.all().delete()
    password = make_password("bench-password-123")
    people = User.objects.bulk_create(
        User(email=f"bench{n}@example.com", password=password, daily_limit=10**9) for n in range(users + 1)
    )
    chats = ChatBot.objects.bulk_create(ChatBot(user=u, title=f"bench {u.pk}") for u in people)
    reader = people[-1]
    chats += ChatBot.objects.bulk_create(
        ChatBot(user=reader, title=f"history {n}") for n in range(chats_for_history - 1)
    )
    Config.objects.bulk_create(Config(chatbot=c, model=MODEL, max_tokens=256) for c in chats)
    long_chat = chats[users]
    prompts = Prompt.objects.bulk_create(
        Prompt(chatbot=long_chat, content=f"question {n} " + "lorem ipsum " * 10) for n in range(turns)
    )
    chain_turns(prompts)
    replies = Reply.objects.bulk_create(
        Reply(chatbot=long_chat, prompt=p, model=MODEL, prompt_tokens=9, completion_tokens=9, total_tokens=18)
        for p in prompts
    )
    Choice.objects.bulk_create(
        Choice(reply=r, content="answer " + "dolor sit " * 20, finish_reason="stop") for r in replies
    )
    return {
        "senders": [(str(AccessToken.for_user(u)), chats[i].pk) for i, u in enumerate(people[:users])],
        "reader": (str(AccessToken.for_user(reader)), long_chat.pk),
    }


@contextmanager
def servers(database_url: str, *, workers: int) -> Iterator[tuple[Server, Server]]:
    """The mock upstream and the API in front of it (gunicorn, as `make serve`), stopped afterwards."""
    mock = start_mock_llm()
    api = start_api(
        database_url=database_url,
        openai_base_url=f"{mock.url}/v1",
        workers=workers,
        JWT_ACCESS_MINUTES="600",
    )
    try:
        yield mock, api
    finally:
        api.stop()
        mock.stop()
