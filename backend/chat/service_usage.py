"""The tokens of the service's own calls to the model (summaries, titles): recorded apart from any
user's completions (never in DailyUsage, never against a quota), for the service's usage and metrics."""

from __future__ import annotations

from chat.gateway import Completion
from chat.models import ServiceTokenUsage
from core.metrics import SERVICE_TOKENS


def record_service_usage(*, kind: str, completion: Completion, user_id: int | None, chat_id: int | None) -> None:
    ServiceTokenUsage.objects.create(
        kind=kind,
        model=completion.model[:100],
        prompt_tokens=completion.prompt_tokens,
        completion_tokens=completion.completion_tokens,
        user_id=user_id,
        chatbot_id=chat_id,
    )
    SERVICE_TOKENS.labels(kind, "prompt").inc(completion.prompt_tokens)
    SERVICE_TOKENS.labels(kind, "completion").inc(completion.completion_tokens)
