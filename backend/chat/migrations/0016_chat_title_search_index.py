"""Search on an index, the titles' half (PostgreSQL only): a trigram GIN index on `UPPER(title)`.

`chat.selectors.chat_list_for` unites the user's chats whose title contains the words with those
that have a matching message. Migration 0014 indexed the messages; without this index the title
half compared the title of every one of the user's chats. Built CONCURRENTLY (hence not atomic),
and built again if an interrupted build left it invalid. Nothing on SQLite, which keeps its scan.
"""

from django.db import migrations

INDEX = "chat_chatbot_title_trgm"


def create_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        # This schema's index of that name, as the statements below see it (the search path).
        cursor.execute("SELECT indisvalid FROM pg_index WHERE indexrelid = to_regclass(%s)", [INDEX])
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
