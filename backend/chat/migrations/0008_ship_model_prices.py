"""Prices of the allowed models as OpenAI publishes them (US dollars per million tokens, standard
tier); editable in the admin, where a model without a row gives replies a `cost` of null."""

from decimal import Decimal

from django.db import migrations

PRICES = {
    "gpt-4o-mini": ("0.15", "0.60"),
    "gpt-4o": ("2.50", "10.00"),
    "gpt-4.1": ("2.00", "8.00"),
    "gpt-4.1-mini": ("0.40", "1.60"),
    "gpt-4.1-nano": ("0.10", "0.40"),
}


def ship(apps, schema_editor):
    ModelPrice = apps.get_model("chat", "ModelPrice")
    for model, (prompt, completion) in PRICES.items():
        ModelPrice.objects.get_or_create(
            model=model,
            defaults={"prompt_per_million": Decimal(prompt), "completion_per_million": Decimal(completion)},
        )


class Migration(migrations.Migration):
    dependencies = [("chat", "0007_groups_prices_token_budgets")]
    operations = [migrations.RunPython(ship, migrations.RunPython.noop)]
