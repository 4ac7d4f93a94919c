"""A chat's branches: every message follows its `parent`, an edit is a sibling of what it edits, and
`ChatBot.current_prompt` is the leaf of the branch the user is on.

A branch is read by walking the parent chain from a leaf in one statement (a recursive CTE, the same
SQL on SQLite and PostgreSQL), never more of it than asked for: the send reads as many turns as its
window holds, a page of the detail as many as the page.
"""

from __future__ import annotations

import base64
import binascii
from collections import defaultdict
from collections.abc import Iterator

from django.db import connection, transaction
from django.db.models import Q

from chat.exceptions import ChatNotFound, CursorNotFound, PromptNotFound
from chat.models import ChatBot, Choice, Prompt, PromptKind, Reply

# No real chat is this deep; the walk's bound, so a broken chain could never loop.
MAX_DEPTH = 1_000_000


# Newest first from the leaf (`id`, `chatbot_id`), at most `limit` prompts (the walk stops there too;
# past the root it adds one NULL, which the join below drops). Each step reads the parent by a scalar
# subquery on the primary key, not a join: for a join inside the recursion SQLite's planner may build
# a Bloom filter over the whole prompt table on every send (40 ms with 400,000 prompts, docs/performance.md).
_WALK = (
    "WITH RECURSIVE branch(id, depth) AS ("
    "SELECT id, 0 FROM {prompt} WHERE id = %s AND chatbot_id = %s "
    "UNION ALL SELECT (SELECT p.parent_id FROM {prompt} p WHERE p.id = b.id), b.depth + 1 FROM branch b "
    "WHERE b.id IS NOT NULL AND b.depth + 1 < %s) "
)
_IDS = "SELECT p.id, p.parent_id FROM branch b JOIN {prompt} p ON p.id = b.id ORDER BY b.depth LIMIT %s"
# ... with each message's newest reply's first choice.
_TURNS = (
    "SELECT p.id, p.parent_id, p.kind, p.content, p.tokens, p.tokens_by, c.id, c.content, c.tokens, c.tokens_by "
    "FROM branch b JOIN {prompt} p ON p.id = b.id "
    "LEFT JOIN {reply} r ON r.id = (SELECT MAX(r2.id) FROM {reply} r2 WHERE r2.prompt_id = p.id) "
    'LEFT JOIN {choice} c ON c.reply_id = r.id AND c."index" = 0 '
    "ORDER BY b.depth LIMIT %s"
)


def _walk_sql(*, with_answers: bool) -> str:
    """The walk's SQL. Table names come from our models; every value is a query parameter."""
    tables = {"prompt": Prompt._meta.db_table, "reply": Reply._meta.db_table, "choice": Choice._meta.db_table}
    return (_WALK + (_TURNS if with_answers else _IDS)).format(**tables)


def branch_ids(*, chat_id: int, leaf_id: int | None, limit: int = MAX_DEPTH) -> list[tuple[int, int | None]]:
    """`(id, parent_id)` of the leaf and its ancestors, newest first, at most `limit`."""
    if leaf_id is None or limit <= 0:
        return []
    with connection.cursor() as cursor:
        cursor.execute(_walk_sql(with_answers=False), [leaf_id, chat_id, limit, limit])
        return cursor.fetchall()


def branch_turn_batches(*, chat_id: int, leaf_id: int | None, batch: int = 50) -> Iterator[list[tuple]]:
    """The branch's messages newest first, each with its newest answer, `batch` at a time: the caller
    stops when it has enough, and nothing older is read. A row is `(id, parent_id, kind, content,
    tokens, tokens_by, choice_id, answer, answer_tokens, answer_tokens_by)`."""
    sql = _walk_sql(with_answers=True)
    while leaf_id is not None:
        with connection.cursor() as cursor:
            cursor.execute(sql, [leaf_id, chat_id, batch, batch])
            rows = cursor.fetchall()
        if rows:
            yield rows
        leaf_id = rows[-1][1] if len(rows) == batch else None


def descend(prompt_id: int) -> int:
    """The leaf under `prompt_id` taking the newest version (child) at each step: where an edit last
    went on from there."""
    table = Prompt._meta.db_table
    sql = (
        f"WITH RECURSIVE down(id, depth) AS (SELECT id, 0 FROM {table} WHERE id = %s "  # noqa: S608
        f"UNION ALL SELECT (SELECT MAX(c.id) FROM {table} c WHERE c.parent_id = d.id), d.depth + 1 "
        "FROM down d WHERE d.id IS NOT NULL AND d.depth < %s) "
        "SELECT id FROM down WHERE id IS NOT NULL ORDER BY depth DESC LIMIT 1"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [prompt_id, MAX_DEPTH])
        return cursor.fetchone()[0]


def versions_of(*, chat_id: int, prompts: list[Prompt]) -> None:
    """Give each message prompt `loaded_versions`: its siblings and itself, oldest first, `[{id, created_at}]`
    (one query for all of them)."""
    messages = [prompt for prompt in prompts if prompt.kind == PromptKind.MESSAGE]
    if not messages:
        return
    parents = {prompt.parent_id for prompt in messages}
    wanted = Q(parent_id__in=[parent for parent in parents if parent is not None])
    if None in parents:
        wanted |= Q(parent__isnull=True, kind=PromptKind.MESSAGE)
    by_parent: dict[int | None, list[dict]] = defaultdict(list)
    siblings = Prompt.objects.filter(wanted, chatbot_id=chat_id).order_by("created_at", "id")
    for sibling in siblings.values("id", "parent_id", "created_at"):
        by_parent[sibling["parent_id"]].append({"id": sibling["id"], "created_at": sibling["created_at"]})
    for prompt in messages:
        prompt.loaded_versions = by_parent.get(prompt.parent_id) or [{"id": prompt.pk, "created_at": prompt.created_at}]


# --- The detail's pages -----------------------------------------------------------------------------


def cursor_for(prompt_id: int) -> str:
    return base64.urlsafe_b64encode(f"before:{prompt_id}".encode()).decode().rstrip("=")


def prompt_id_of_cursor(cursor: str) -> int | None:
    """The prompt a cursor names, or None when it is not one of ours."""
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    label, _, number = text.partition(":")
    if label != "before" or not number.isdigit() or len(number) > 18:
        return None
    return int(number)


def branch_page(*, chat: ChatBot, turns: int | None, before: int | None) -> tuple[list[int], int | None]:
    """Ids of the branch's messages to show, oldest first, and the id the next older page ends before
    (None: nothing older). Every one of the current branch without `turns`; else the newest `turns`
    of it, or of the branch above `before` (a message of this chat, else CursorNotFound)."""
    leaf = chat.current_prompt_id
    if before is not None:
        parents = list(Prompt.objects.filter(pk=before, chatbot=chat, kind=PromptKind.MESSAGE).values_list("parent_id"))
        if not parents:
            raise CursorNotFound()
        leaf = parents[0][0]
    if turns is None:
        return [pk for pk, _ in reversed(branch_ids(chat_id=chat.pk, leaf_id=leaf))], None
    rows = branch_ids(chat_id=chat.pk, leaf_id=leaf, limit=turns + 1)
    shown = rows[:turns]
    older = shown[-1][0] if len(rows) > turns else None
    return [pk for pk, _ in reversed(shown)], older


# --- Switching branch ---------------------------------------------------------------------------


def chat_branch_switch(*, user, chat_id: int, prompt_id: int) -> ChatBot:
    """Make the branch through `prompt_id` (a message of the user's chat) current, down to the leaf
    its newest versions lead to (ChatNotFound, PromptNotFound)."""
    with transaction.atomic():
        chat = ChatBot.objects.owned_by(user).select_for_update().filter(pk=chat_id).first()
        if chat is None:
            raise ChatNotFound()
        if not Prompt.objects.filter(pk=prompt_id, chatbot=chat, kind=PromptKind.MESSAGE).exists():
            raise PromptNotFound()
        chat.current_prompt_id = descend(prompt_id)
        ChatBot.objects.filter(pk=chat.pk).update(current_prompt_id=chat.current_prompt_id)
    return chat
