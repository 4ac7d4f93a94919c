"""Staff are mailed once when the service passes 80 % and 100 % of a token ceiling (day or month).

`alerts_due` runs under the `ServiceBudgetLock` row lock (chat.quota), so of many sends crossing
a level together exactly one records it; the mail is a background task (core.tasks) enqueued once
that transaction has committed, like every mail.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMessage
from django.db import transaction
from django_tasks import task

from chat.allowances import Window
from core.tasks import retried

logger = logging.getLogger(__name__)
LEVELS = (80, 100)
KEEP = 24  # alerts remembered (older periods are over anyway)


def alerts_due(lock, *, window: Window, used: int, ceiling: int) -> bool:
    """Record the levels `used` has reached for the first time in this window, and mail staff of
    them after commit. Returns whether `lock.alerts` changed (the caller saves it)."""
    changed = False
    for level in LEVELS:
        key = f"{window.name}:{window.first_day.isoformat()}:{level}"
        if used * 100 >= ceiling * level and key not in lock.alerts:
            lock.alerts = [*lock.alerts, key][-KEEP:]
            changed = True
            transaction.on_commit(lambda level=level: _mail_staff(window=window, level=level, ceiling=ceiling))
    return changed


@task()
def budget_mail(*, period: str, level: int, ceiling: int, resets_at: str, attempt: int = 1) -> None:
    """The staff's mail of one level passed, sent by a worker (core.tasks: retried, kept over restarts)."""
    staff = list(
        get_user_model()
        .objects.filter(is_staff=True, is_active=True, email__isnull=False)
        .exclude(email="")
        .values_list("email", flat=True)
    )
    if not staff:
        return
    when = "today" if period == "day" else "this month"
    what = "is used up: sends are refused" if level >= 100 else f"is {level} % used"
    message = EmailMessage(
        subject=f"Chatbot: the service's token budget for {when} {what}",
        body=(
            f"The service's ceiling of {ceiling} tokens for {when} {what}.\n"
            f"It resets at {resets_at}.\n\n"
            "Raise SERVICE_DAILY_TOKENS or SERVICE_MONTHLY_TOKENS to let more through, "
            "or see who used what on the staff page."
        ),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=staff,
    )
    kwargs = {"period": period, "level": level, "ceiling": ceiling, "resets_at": resets_at}
    retried(budget_mail, attempt=attempt, kwargs=kwargs, work=message.send)


def _mail_staff(*, window: Window, level: int, ceiling: int) -> None:
    logger.warning("service token budget level=%s%% window=%s ceiling=%s", level, window.name, ceiling)
    budget_mail.enqueue(period=window.name, level=level, ceiling=ceiling, resets_at=window.resets_at.isoformat())
