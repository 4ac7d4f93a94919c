"""Where a user stands with the quota, read without its locks: `QuotaStatus` (today's completions,
as `quota_status_for` reads it for the API and `me`), the token budgets of the day and month
(`token_status_for`), the day's row as an unlocked read sees it, and the clock and calendar day the
quota runs on (`now`, `quota_day`), which the locked reservation in `chat.quota` shares. What is
read here may be a moment stale; the exact check, which admits a send, is `quota_reserve`'s."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, Q, Sum
from django.utils import timezone

from chat.allowances import Allowance, allowance_for, user_tokens_used, windows_at
from chat.models import DailyUsage


def now() -> dt.datetime:
    """The clock of the quota (tests move it with time-machine)."""
    return timezone.now()


def limit_for(user) -> int:
    return allowance_for(user).daily_limit


def quota_day(at: dt.datetime) -> tuple[dt.date, dt.datetime]:
    """The calendar day `at` falls on in the server's zone, and the moment the next one starts."""
    day, _ = windows_at(at)
    return day.first_day, day.resets_at


@dataclass(frozen=True)
class QuotaStatus:
    """Where a user stands today: a plain value (read by `quota_status_for`, formatted by the API)."""

    limit: int
    used: int
    remaining: int
    resets_at: dt.datetime

    @classmethod
    def build(cls, *, limit: int, used: int, in_flight: int, resets_at: dt.datetime) -> QuotaStatus:
        return cls(limit=limit, used=used, remaining=max(0, limit - used - in_flight), resets_at=resets_at)

    def with_released(self) -> QuotaStatus:
        """This status once one reservation counted in it is given back."""
        return QuotaStatus(self.limit, self.used, min(self.limit - self.used, self.remaining + 1), self.resets_at)


def today_usage(user, at: dt.datetime) -> tuple[int, int, int, int]:
    """The day's row as a read without its lock sees it: completions used, images stored, and the
    reservations in flight with their images."""
    day, _ = quota_day(at)
    live = Q(reservations__expires_at__gt=at)
    row = (
        DailyUsage.objects.filter(user=user, day=day)
        .annotate(
            in_flight=Count("reservations", filter=live), images_in_flight=Sum("reservations__images", filter=live)
        )
        .values_list("used", "images", "in_flight", "images_in_flight")
        .first()
    )
    used, images, in_flight, images_in_flight = row or (0, 0, 0, 0)
    return used, images, in_flight, images_in_flight or 0


def quota_status_for(user, *, allowance: Allowance | None = None) -> QuotaStatus:
    at = now()
    used, _, in_flight, _ = today_usage(user, at)
    limit = allowance.daily_limit if allowance is not None else limit_for(user)
    return QuotaStatus.build(limit=limit, used=used, in_flight=in_flight, resets_at=quota_day(at)[1])


def token_status_for(user, *, allowance: Allowance | None = None) -> dict:
    """The user's token budgets: `{daily: {limit, used, remaining}, monthly: {...}}` (None: no limit)."""
    at = now()
    allowance = allowance if allowance is not None else allowance_for(user)
    answer = {}
    for window, limit in allowance.token_budgets(windows_at(at)):
        settled, in_flight = user_tokens_used(user.pk, window, at)
        remaining = None if limit is None else max(0, limit - settled - in_flight)
        answer["daily" if window.name == "day" else "monthly"] = {
            "limit": limit,
            "used": settled,
            "remaining": remaining,
        }
    return answer
