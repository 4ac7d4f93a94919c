"""Personas: listing them, and rendering one's template with the user's values (chat.models.Persona)."""

from __future__ import annotations

import re

from django.utils.translation import gettext as _

from chat.exceptions import ChatError
from chat.models import VARIABLE_NAME, Persona

PLACEHOLDER = re.compile(r"\{(" + VARIABLE_NAME.pattern + r")\}")
VALUE_MAX_CHARS = 200


class PersonaInvalid(ChatError):
    """Unknown persona, or values that do not match its variables (answered 400)."""


def personas_available():
    return Persona.objects.filter(is_active=True)


def persona_render(*, persona: Persona, values: dict[str, str]) -> str:
    """The persona's system prompt with its declared variables replaced, in one pass.

    Only `{name}` of a declared variable is replaced, with the value as it is: a value holding
    `{other}` or `{{ ... }}` stays that text, since the output is never read as a template again.
    """
    declared = [variable["name"] for variable in persona.variables]
    missing = [name for name in declared if not str(values.get(name, "")).strip()]
    if missing:
        raise PersonaInvalid(_("Fill in: %(names)s.") % {"names": ", ".join(missing)})
    unknown = sorted(set(values) - set(declared))
    if unknown:
        raise PersonaInvalid(_("This persona has no variable %(names)s.") % {"names": ", ".join(unknown)})
    too_long = [name for name in declared if len(values[name]) > VALUE_MAX_CHARS]
    if too_long:
        message = _("At most %(limit)s characters: %(names)s.")
        raise PersonaInvalid(message % {"limit": VALUE_MAX_CHARS, "names": ", ".join(too_long)})

    def substitute(match: re.Match) -> str:
        name = match.group(1)
        return values[name].strip() if name in declared else match.group(0)

    return PLACEHOLDER.sub(substitute, persona.template)


def persona_for_chat(*, key: str, values: dict[str, str]) -> tuple[Persona, str]:
    persona = personas_available().filter(key=key).first()
    if persona is None:
        raise PersonaInvalid(_("There is no such persona."))
    return persona, persona_render(persona=persona, values=values)
