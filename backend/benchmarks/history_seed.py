"""Seeds history at scale for section 7: one user with many chats and messages, others around them.

Written with bulk inserts (not the API), so 400,000 prompts take seconds. Every message carries a
few words drawn from a fixed vocabulary of made-up words, so a search for one of them matches a
known share of the messages (about 0.4 %), as a real word would, and never every message.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from benchmarks.environment import MODEL
from benchmarks.seeding import chain_turns

VOCABULARY_SIZE = 2000
WORDS_PER_MESSAGE = 8
BATCH = 5000


@dataclass(frozen=True)
class HistoryScale:
    messages: int  # the searcher's messages, over all of their chats
    chats: int  # the searcher's chats (one long, one short, the rest share the messages)
    long_turns: int
    short_turns: int
    others: int  # other users
    other_messages: int  # every other user's messages together


FULL = HistoryScale(messages=100_000, chats=2_000, long_turns=2_000, short_turns=10, others=100, other_messages=300_000)
QUICK = HistoryScale(messages=10_000, chats=200, long_turns=200, short_turns=10, others=10, other_messages=20_000)


def vocabulary() -> list[str]:
    rng = random.Random(24)
    return [
        "".join(rng.choice("bcdfghjklmnprstvz") + rng.choice("aeiou") for _ in range(4)) for _ in range(VOCABULARY_SIZE)
    ]


def message_text(rng: random.Random, words: list[str], n: int) -> str:
    return f"question {n}: " + " ".join(rng.choices(words, k=WORDS_PER_MESSAGE)) + " lorem ipsum dolor sit amet"


def seed_history(scale: HistoryScale) -> dict:
    """The searcher (with a long and a short chat) and the other users; their tokens and chat ids."""
    from django.contrib.auth.hashers import make_password
    from django.db import connection
    from rest_framework_simplejwt.tokens import AccessToken

    from accounts.models import User
    from chat.models import ChatBot, Choice, Config, Prompt, Reply

    rng = random.Random(2024)
    words = vocabulary()
    password = make_password("bench-password-123")
    searcher = User.objects.create(email="searcher@example.com", password=password)
    others = User.objects.bulk_create(
        User(email=f"other{n}@example.com", password=password) for n in range(scale.others)
    )
    titles = [f"chat about {rng.choice(words)}" for _ in range(scale.chats)]
    chats = ChatBot.objects.bulk_create((ChatBot(user=searcher, title=t) for t in titles), batch_size=BATCH)
    other_chats = ChatBot.objects.bulk_create(
        (ChatBot(user=u, title=f"other chat {n}") for u in others for n in range(20)), batch_size=BATCH
    )
    Config.objects.bulk_create((Config(chatbot=c, model=MODEL, max_tokens=256) for c in chats), batch_size=BATCH)
    long_chat, short_chat, rest = chats[0], chats[1], chats[2:]

    def prompts(chat_for_n, count: int) -> list[Prompt]:
        made = []
        for start in range(0, count, BATCH):
            made += Prompt.objects.bulk_create(
                Prompt(chatbot=chat_for_n(n), content=message_text(rng, words, n))
                for n in range(start, min(count, start + BATCH))
            )
        return made

    turns = prompts(lambda n: long_chat, scale.long_turns) + prompts(lambda n: short_chat, scale.short_turns)
    chain_turns(turns)
    replies = Reply.objects.bulk_create(
        (
            Reply(chatbot_id=p.chatbot_id, prompt=p, model=MODEL, prompt_tokens=9, completion_tokens=9, total_tokens=18)
            for p in turns
        ),
        batch_size=BATCH,
    )
    Choice.objects.bulk_create(
        (Choice(reply=r, content="answer " + "dolor sit " * 20, finish_reason="stop") for r in replies),
        batch_size=BATCH,
    )
    chain_turns(prompts(lambda n: rest[n % len(rest)], scale.messages - len(turns)))
    chain_turns(prompts(lambda n: other_chats[n % len(other_chats)], scale.other_messages))
    # The state a live database is in once autovacuum has passed after such a bulk load: statistics
    # (without them the planner sizes the tables as the empty ones the migrations saw) and, on
    # PostgreSQL, the search index's pending list merged into it and the new rows' visibility set,
    # both of which a bulk load leaves to the first reads (the search took 25 ms instead of 16 ms).
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")
    return {
        "token": str(AccessToken.for_user(searcher)),
        "long_chat": long_chat.pk,
        "short_chat": short_chat.pk,
        "search_word": words[7],
        "scale": scale,
    }
