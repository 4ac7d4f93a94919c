"""The tokens of the service's own calls to the model (summaries, titles): recorded apart from any
user's completions (never in DailyUsage, never against a quota), for the service's usage and metrics.

They count against the service's ceiling (SERVICE_DAILY_TOKENS, SERVICE_MONTHLY_TOKENS) as the
users' completions do, and are held the same way: before the call, under the one
`ServiceBudgetLock` row, its worst case is checked against what the service has spent or holds and
written as its row; the call's own count then replaces it (`settle_service_call`). A call that failed
before the model could generate anything (refused with a 4xx, unreachable) gives its row back
(`fail_service_call`); one that timed out, broke off, got a 5xx or was cancelled keeps its worst case,
as does a worker that dies mid-call: the model may have spent the tokens all the same.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from chat.allowances import prompt_tokens_estimate, service_ceilings, service_tokens_used, windows_at
from chat.completions import Completion
from chat.exceptions import UpstreamError
from chat.gateway import CompletionRequest
from chat.models import ServiceBudgetLock, ServiceTokenUsage
from core.metrics import SERVICE_TOKENS


def hold_service_call(
    *, kind: str, request: CompletionRequest, user_id: int | None, chat_id: int | None
) -> ServiceTokenUsage | None:
    """The held row of a call the service's ceiling can take (its worst case: the prompt's generous
    estimate and `max_tokens`), or None when it would pass the day's or the month's ceiling."""
    worst_case = prompt_tokens_estimate(request.messages) + (request.max_tokens or 0)
    ceilings = service_ceilings()
    with transaction.atomic():
        if any(ceiling is not None for ceiling in ceilings.values()):
            ServiceBudgetLock.objects.select_for_update().get_or_create(pk=1)
            at = timezone.now()
            for window in windows_at(at):
                ceiling = ceilings[window.name]
                if ceiling is not None and service_tokens_used(window, at) + worst_case > ceiling:
                    return None
        return ServiceTokenUsage.objects.create(
            kind=kind, model=request.model[:100], prompt_tokens=worst_case, user_id=user_id, chatbot_id=chat_id
        )


def settle_service_call(held: ServiceTokenUsage, completion: Completion) -> None:
    """The call's own count in place of its worst case."""
    ServiceTokenUsage.objects.filter(pk=held.pk).update(
        model=completion.model[:100],
        prompt_tokens=completion.prompt_tokens,
        completion_tokens=completion.completion_tokens,
    )
    SERVICE_TOKENS.labels(held.kind, "prompt").inc(completion.prompt_tokens)
    SERVICE_TOKENS.labels(held.kind, "completion").inc(completion.completion_tokens)


def fail_service_call(held: ServiceTokenUsage, error: BaseException) -> None:
    """A failed call's row goes if the model cannot have generated anything; otherwise its worst case stays."""
    if isinstance(error, UpstreamError) and error.nothing_generated:
        ServiceTokenUsage.objects.filter(pk=held.pk).delete()
