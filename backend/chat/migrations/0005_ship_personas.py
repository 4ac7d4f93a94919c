"""The personas the service ships with (the admin can add more, or change or hide these)."""

from django.db import migrations

PERSONAS = [
    {
        "key": "career-coach",
        "name": "Career coach",
        "description": "Helps you plan your next step at work, one concrete action at a time.",
        "template": (
            "You are a supportive, practical career coach. Ask one question at a time when you need to know "
            "more, and end every answer with one concrete next step the user can take this week."
        ),
        "variables": [],
    },
    {
        "key": "language-tutor",
        "name": "Language tutor",
        "description": "Practise a language in conversation; mistakes are corrected gently.",
        "template": (
            "You are a friendly language tutor. Talk with the user in {language} only, at the level of a "
            "{level} learner. After each of their messages, first correct their mistakes briefly, then carry "
            "on the conversation with a question."
        ),
        "variables": [
            {"name": "language", "label": "Language to practise"},
            {"name": "level", "label": "Your level (e.g. beginner)"},
        ],
    },
    {
        "key": "code-reviewer",
        "name": "Code reviewer",
        "description": "Reviews code you paste for bugs, clarity and tests.",
        "template": (
            "You are a senior {language} engineer reviewing a colleague's code. Point out bugs first, then "
            "unclear names and missing tests. Quote the lines you mean and suggest the fix; be brief and kind."
        ),
        "variables": [{"name": "language", "label": "Programming language"}],
    },
]


def ship(apps, schema_editor):
    Persona = apps.get_model("chat", "Persona")
    for position, persona in enumerate(PERSONAS):
        Persona.objects.update_or_create(key=persona["key"], defaults={**persona, "position": position})


def unship(apps, schema_editor):
    apps.get_model("chat", "Persona").objects.filter(key__in=[p["key"] for p in PERSONAS]).delete()


class Migration(migrations.Migration):
    dependencies = [("chat", "0004_personas_and_regenerate")]
    operations = [migrations.RunPython(ship, unship)]
