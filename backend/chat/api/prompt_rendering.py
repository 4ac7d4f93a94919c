"""A send's stored prompt as JSON (`PromptSerializer`'s shape), without building the serializer each time.

A DRF `ModelSerializer` builds its fields from the model on first use, for every instance made:
for the prompt with its replies and choices that was a fifth of a streamed send's CPU on the event
loop (docs/performance.md). The serializer stays the one definition of the shape; its fields are
built once per thread and reused, with the request's context set for each call.
"""

from __future__ import annotations

import threading

from chat.api.serializers import PromptSerializer
from chat.models import Prompt

_per_thread = threading.local()


def prompt_data(prompt: Prompt, *, context: dict) -> dict:
    """`PromptSerializer(prompt, context=context).data`, from a serializer whose fields are built once."""
    serializer = getattr(_per_thread, "prompt_serializer", None)
    if serializer is None:
        serializer = _per_thread.prompt_serializer = PromptSerializer(context={})
        serializer.fields  # noqa: B018 - built here, once
    serializer._context = context  # what every field (nested ones too) reads as `self.context`
    try:
        return serializer.to_representation(prompt)
    finally:
        serializer._context = {}
