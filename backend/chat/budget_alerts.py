"""Staff are mailed once when the service passes 80 % and 100 % of a token ceiling (day or month).

`alerts_due` runs under the `ServiceBudgetLock` row lock (chat.quota), so of many sends crossing
a level together exactly one records it; the mail leaves once that transaction has committed, on
a background thread like every mail (EMAIL_IN_BACKGROUND).
"""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMessage
from django.db import transaction

from chat.allowances import Window

logger = logging.getLogger(__name__)
LEVELS = (80, 100)
KEEP = 24  # alerts remembered (older periods are over anyway)
_outbox = ThreadPoolExecutor(max_workers=1, thread_name_prefix="budget-mail")


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


def _mail_staff(*, window: Window, level: int, ceiling: int) -> None:
    staff = list(
        get_user_model()
        .objects.filter(is_staff=True, is_active=True, email__isnull=False)
        .exclude(email="")
        .values_list("email", flat=True)
    )
    logger.warning("service token budget level=%s%% window=%s ceiling=%s", level, window.name, ceiling)
    if not staff:
        return
    period = "today" if window.name == "day" else "this month"
    what = "is used up: sends are refused" if level >= 100 else f"is {level} % used"
    message = EmailMessage(
        subject=f"Chatbot: the service's token budget for {period} {what}",
        body=(
            f"The service's ceiling of {ceiling} tokens for {period} {what}.\n"
            f"It resets at {window.resets_at.isoformat()}.\n\n"
            "Raise SERVICE_DAILY_TOKENS or SERVICE_MONTHLY_TOKENS to let more through, "
            "or see who used what on the staff page."
        ),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=staff,
    )
    if settings.EMAIL_IN_BACKGROUND:
        _outbox.submit(_send, message)
    else:
        _send(message)


def _send(message: EmailMessage) -> None:
    try:
        message.send()
    except Exception as error:  # SMTP's, sockets' and the backend's own errors have no common base
        logger.error("mail not sent subject=%r error=%s", message.subject, type(error).__name__)
