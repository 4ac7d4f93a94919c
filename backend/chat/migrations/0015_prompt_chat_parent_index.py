"""The versions of a chat's turns on an index of (chat, parent).

`chat.branches.versions_of` asks for the siblings of a page's messages and for the chat's first
messages (no parent). On the parent's own index the second half read every first message of every
chat: 14 ms of one 10-turn chat's detail with 400,000 messages in the table (docs/performance.md),
growing with the table. Built CONCURRENTLY on PostgreSQL (hence not atomic), so a large table keeps
taking writes meanwhile, and built again if an interrupted build left it invalid; a plain CREATE
INDEX elsewhere.
"""

from django.db import migrations, models

INDEX = models.Index(fields=["chatbot", "parent"], name="chat_prompt_chat_parent")


def create_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        schema_editor.add_index(apps.get_model("chat", "Prompt"), INDEX)
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            "SELECT i.indisvalid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE c.relname = %s",
            [INDEX.name],
        )
        found = cursor.fetchone()
    if found and not found[0]:  # left INVALID by a build that was interrupted: built again
        schema_editor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {INDEX.name}")
    schema_editor.execute(
        f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {INDEX.name} ON chat_prompt (chatbot_id, parent_id)"
    )


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {INDEX.name}")
    else:
        schema_editor.remove_index(apps.get_model("chat", "Prompt"), INDEX)


class Migration(migrations.Migration):
    atomic = False

    dependencies = [("chat", "0014_search_index")]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[migrations.RunPython(create_index, drop_index, elidable=False)],
            state_operations=[migrations.AddIndex(model_name="prompt", index=INDEX)],
        ),
    ]
