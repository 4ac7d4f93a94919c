"""docs/erd.md must describe every field of every model of ours."""

import re
from pathlib import Path

import pytest
from django.apps import apps

ERD = Path(__file__).resolve().parents[3] / "docs" / "erd.md"


def entities() -> dict[str, str]:
    text = ERD.read_text()
    return {name: body for name, body in re.findall(r"^\s{4}(\w+) \{\n(.*?)^\s{4}\}", text, re.M | re.S)}


@pytest.mark.parametrize(
    "model",
    [m for app in ("accounts", "chat") for m in apps.get_app_config(app).get_models()],
    ids=lambda m: m.__name__,
)
def test_the_erd_lists_every_field_of_the_model(model):
    body = entities().get(model.__name__)

    assert body is not None, f"{model.__name__} is missing from docs/erd.md"
    documented = {line.split()[1] for line in body.strip().splitlines()}
    missing = {field.attname for field in model._meta.concrete_fields} - documented
    assert not missing, f"{model.__name__} fields missing from docs/erd.md: {sorted(missing)}"
