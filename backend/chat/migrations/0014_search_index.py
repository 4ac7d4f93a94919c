"""Search on an index (PostgreSQL only): a trigram GIN index on the messages' text, as `?search=` asks.

Django's `icontains` on PostgreSQL is `UPPER(content::text) LIKE UPPER(%s)`, so the index is on that
expression; pg_trgm answers a LIKE with `%` on both sides from it. Built CONCURRENTLY (hence not
atomic), so a large table keeps taking writes meanwhile. SQLite has neither: nothing happens there
and the search scans the user's messages as before.
"""

from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations

INDEX = "chat_prompt_content_trgm"


class CreateTrigramExtension(TrigramExtension):
    """`CREATE EXTENSION IF NOT EXISTS pg_trgm` on PostgreSQL (Django's operation skips other databases).

    Left in place on the way back: it may have been there before, and other indexes may use it
    (Django's own backwards would also query pg_extension on SQLite)."""

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        pass


def create_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {INDEX} ON chat_prompt USING gin (UPPER(content) gin_trgm_ops)"
        )
        # Statistics of the indexed expression now, not at autovacuum's next pass: without them the
        # planner takes a word in every message for a rare one and reads all of them through the index.
        schema_editor.execute("ANALYZE chat_prompt")


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    atomic = False

    dependencies = [("chat", "0013_prompt_branches")]

    operations = [
        CreateTrigramExtension(),
        migrations.RunPython(create_index, drop_index, elidable=False),
    ]
