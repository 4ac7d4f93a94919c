"""The versions of a chat's turns on an index of (chat, parent).

`chat.branches.versions_of` asks for the siblings of a page's messages and for the chat's first
messages (no parent). On the parent's own index the second half read every first message of every
chat: 14 ms for one 10-turn chat's detail with 2,000 chats' worth in the table (docs/performance.md),
growing with the table. Built CONCURRENTLY on PostgreSQL (hence not atomic), so a large table keeps
taking writes meanwhile; a plain CREATE INDEX elsewhere.
"""

from django.db import migrations, models

INDEX = models.Index(fields=["chatbot", "parent"], name="chat_prompt_chat_parent")


def create_index(apps, schema_editor):
    prompt = apps.get_model("chat", "Prompt")
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.add_index(prompt, INDEX, concurrently=True)
    else:
        schema_editor.add_index(prompt, INDEX)


def drop_index(apps, schema_editor):
    prompt = apps.get_model("chat", "Prompt")
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.remove_index(prompt, INDEX, concurrently=True)
    else:
        schema_editor.remove_index(prompt, INDEX)


class Migration(migrations.Migration):
    atomic = False

    dependencies = [("chat", "0014_search_index")]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[migrations.RunPython(create_index, drop_index, elidable=False)],
            state_operations=[migrations.AddIndex(model_name="prompt", index=INDEX)],
        ),
    ]
