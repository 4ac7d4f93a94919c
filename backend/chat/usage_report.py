"""Who used what, for staff: the per-user, per-model, per-day book (`ModelUsage`) summed over a
period by user, by group, by model and by day, with the service's budget levels now."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db.models import F, Sum

from chat.allowances import service_ceilings, service_tokens_used, windows_at
from chat.models import AllowanceGroup, ModelUsage

# Named apart from the model's fields (an annotation may not shadow one).
SUMS = {
    "sum_completions": Sum("completions"),
    "sum_prompt": Sum("prompt_tokens"),
    "sum_completion": Sum("completion_tokens"),
    "sum_cost": Sum("cost"),
}


def _row(values: dict) -> dict:
    prompt, completion = values.get("sum_prompt") or 0, values.get("sum_completion") or 0
    cost = values.get("sum_cost")
    return {
        "completions": values.get("sum_completions") or 0,
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
        "cost": None if cost is None else Decimal(cost).quantize(Decimal("0.00000001")),
    }


def budget_levels(at: dt.datetime) -> dict:
    """The service's tokens used today and this month, against its ceilings (None: no ceiling)."""
    levels = {}
    ceilings = service_ceilings()
    for window in windows_at(at):
        used, limit = service_tokens_used(window, at), ceilings[window.name]
        levels["daily" if window.name == "day" else "monthly"] = {
            "limit": limit,
            "used": used,
            "remaining": None if limit is None else max(0, limit - used),
            "resets_at": window.resets_at,
        }
    return levels


def usage_report(*, since: dt.date, until: dt.date, top: int, at: dt.datetime) -> dict:
    book = ModelUsage.objects.filter(day__gte=since, day__lte=until)
    by_user = [
        {"user_id": values["user_id"], "email": values["user__email"], **_row(values)}
        for values in book.values("user_id", "user__email")
        .annotate(**SUMS)
        .order_by((F("sum_prompt") + F("sum_completion")).desc(), "user_id")[:top]
    ]
    by_model = [
        {"model": values["model"], **_row(values)} for values in book.values("model").annotate(**SUMS).order_by("model")
    ]
    by_day = [{"day": values["day"], **_row(values)} for values in book.values("day").annotate(**SUMS).order_by("day")]
    by_group = []
    for group in AllowanceGroup.objects.all():
        members = group.members.values_list("pk", flat=True)
        by_group.append(
            {
                "group": group.name,
                "members": len(members),
                **_row(book.filter(user_id__in=list(members)).aggregate(**SUMS)),
            }
        )
    return {
        "since": since,
        "until": until,
        "totals": _row(book.aggregate(**SUMS)),
        "by_user": by_user,
        "by_group": by_group,
        "by_model": by_model,
        "by_day": by_day,
        "budget": budget_levels(at),
    }


def usage_rows(*, since: dt.date, until: dt.date):
    """Every row of the book in the period, for a CSV file: day, user, model and what was spent."""
    return (
        ModelUsage.objects.filter(day__gte=since, day__lte=until)
        .select_related("user")
        .order_by("day", "user__email", "model")
        .iterator()
    )
