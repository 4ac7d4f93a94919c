"""Search on an index, the titles' half (PostgreSQL only): a trigram GIN index on `UPPER(title)`.

`chat.selectors.chat_list_for` asks PostgreSQL for the chats whose title or one of whose messages
contains the words, as one set of chat ids (the titles' matches and the messages' matches) that the
user's own chats are then taken from. Migration 0014 indexed the messages; this is the other half,
so neither grows with the table. Built CONCURRENTLY (hence not atomic), and built again if an
interrupted build left it invalid. Nothing on SQLite, which keeps its scan of the user's chats.
"""

from django.db import migrations

INDEX = "chat_chatbot_title_trgm"


def create_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            "SELECT i.indisvalid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE c.relname = %s", [INDEX]
        )
        found = cursor.fetchone()
    if found and not found[0]:  # left INVALID by a build that was interrupted: built again
        schema_editor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {INDEX}")
    schema_editor.execute(
        f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {INDEX} ON chat_chatbot USING gin (UPPER(title) gin_trgm_ops)"
    )
    schema_editor.execute("ANALYZE chat_chatbot")  # the expression's statistics now (see 0014)


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    atomic = False

    dependencies = [("chat", "0015_prompt_chat_parent_index")]

    operations = [migrations.RunPython(create_index, drop_index, elidable=False)]
