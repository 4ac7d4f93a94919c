"""The daily quota: the one place that decides whether a user may have another completion.

Exactness comes from the database, which every worker process and server shares:

* `quota_reserve` runs one short transaction that locks the user's `DailyUsage` row for the day
  (`SELECT ... FOR UPDATE` on PostgreSQL; on SQLite every transaction is `BEGIN IMMEDIATE`, which
  serialises writers), counts completions already obtained plus reservations still in flight, and
  inserts a `QuotaReservation` only if that sum is below the limit. No lock is held afterwards,
  in particular not while the model is answering.
* `quota_commit` turns the reservation into a used unit (with its tokens) inside the transaction
  that stores the reply; `quota_release` deletes it on any failure, so failed sends cost nothing.
* Images count the same way against CHAT_IMAGES_PER_DAY: those of stored messages
  (`DailyUsage.images`) plus those of sends in flight (`QuotaReservation.images`), under the same lock.
* A reservation carries `expires_at` (the upstream timeout plus a margin, renewed by a flowing
  stream): if its process dies, it stops counting by then.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import Count, F, Q, Sum
from django.utils import timezone
from rest_framework.fields import DateTimeField

from chat.exceptions import ImageLimitReached
from chat.models import DailyUsage, QuotaReservation
from core.errors import ApplicationError
from core.metrics import QUOTA_REFUSALS

# Extra life of a reservation beyond the upstream timeout, for the work around the call.
RESERVATION_MARGIN = dt.timedelta(seconds=2)


def now() -> dt.datetime:
    """The clock of the quota (tests move it with time-machine)."""
    return timezone.now()


def limit_for(user) -> int:
    return user.daily_limit if user.daily_limit is not None else settings.CHAT_DAILY_LIMIT


def quota_day(at: dt.datetime) -> tuple[dt.date, dt.datetime]:
    """The calendar day `at` falls on in the server's zone, and the moment the next one starts."""
    local = timezone.localtime(at)
    day = local.date()
    next_midnight = dt.datetime.combine(day + dt.timedelta(days=1), dt.time.min)
    return day, timezone.make_aware(next_midnight, local.tzinfo)


def reservation_lifetime() -> dt.timedelta:
    return dt.timedelta(seconds=settings.OPENAI_TIMEOUT) + RESERVATION_MARGIN


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


def quota_status_for(user) -> QuotaStatus:
    at = now()
    day, resets_at = quota_day(at)
    usage = DailyUsage.objects.filter(user=user, day=day).annotate(
        in_flight=Count("reservations", filter=Q(reservations__expires_at__gt=at))
    )
    row = usage.values_list("used", "in_flight").first() or (0, 0)
    return QuotaStatus.build(limit=limit_for(user), used=row[0], in_flight=row[1], resets_at=resets_at)


def seconds_until_reset(status: QuotaStatus) -> int:
    return max(1, int((status.resets_at - now()).total_seconds()) + 1)


class QuotaExceeded(ApplicationError):
    """No completion left today: 429 with where the user stands and, in `Retry-After`, when it resets."""

    status, code = 429, "rate_limit_exceeded"

    def __init__(self, quota: QuotaStatus):
        super().__init__(
            f"You have used all {quota.limit} completions for today. The limit resets at {quota.resets_at.isoformat()}."
        )
        self.quota = quota
        self.headers = {"Retry-After": str(seconds_until_reset(quota))}

    def body(self) -> dict:  # documented by chat.api.serializers.QuotaExceededSerializer
        quota = self.quota
        resets_at = DateTimeField().to_representation(quota.resets_at)
        return {"detail": self.detail, "limit": quota.limit, "remaining": quota.remaining, "resets_at": resets_at}


@dataclass(frozen=True)
class Reservation:
    id: int
    usage_id: int
    status: QuotaStatus  # as it stands with this reservation counted
    images: int = 0  # images the send carries, counted in the day's once it is stored


def quota_reserve(*, user, images: int = 0) -> Reservation:
    """Hold one completion of today's quota for `user`, with `images` of today's images, or raise
    QuotaExceeded (ImageLimitReached when it is the images that are over)."""
    at = now()
    day, resets_at = quota_day(at)
    limit = limit_for(user)
    with transaction.atomic():
        usage, _ = DailyUsage.objects.select_for_update().get_or_create(user=user, day=day)
        counts = usage.reservations.aggregate(
            in_flight=Count("pk", filter=Q(expires_at__gt=at)), expired=Count("pk", filter=Q(expires_at__lte=at))
        )
        if counts["expired"]:  # left by a process that died mid-call
            usage.reservations.filter(expires_at__lte=at).delete()
        in_flight = counts["in_flight"]
        if usage.used + in_flight >= limit:
            QUOTA_REFUSALS.inc()
            status = QuotaStatus.build(limit=limit, used=usage.used, in_flight=in_flight, resets_at=resets_at)
            raise QuotaExceeded(status)
        if images:
            _ensure_room_for_images(usage, images=images, at=at, resets_at=resets_at)
        reservation = QuotaReservation.objects.create(
            usage=usage, created_at=at, expires_at=at + reservation_lifetime(), images=images
        )
    status = QuotaStatus.build(limit=limit, used=usage.used, in_flight=in_flight + 1, resets_at=resets_at)
    return Reservation(id=reservation.pk, usage_id=usage.pk, status=status, images=images)


def _ensure_room_for_images(usage: DailyUsage, *, images: int, at: dt.datetime, resets_at: dt.datetime) -> None:
    """Under `quota_reserve`'s lock on the day's row: stored images plus those in flight, plus these."""
    in_flight = usage.reservations.filter(expires_at__gt=at).aggregate(images=Sum("images"))["images"] or 0
    left = settings.CHAT_IMAGES_PER_DAY - usage.images - in_flight
    if images > left:
        raise ImageLimitReached(
            f"You can send {settings.CHAT_IMAGES_PER_DAY} images a day and have {max(0, left)} left today; "
            f"the count resets at {resets_at.isoformat()}.",
            param="images",
        )


def quota_commit(*, reservation: Reservation, prompt_tokens: int = 0, completion_tokens: int = 0) -> None:
    """Count the reserved completion (and its images) as used. Call inside the transaction that stores the reply."""
    QuotaReservation.objects.filter(pk=reservation.id).delete()
    DailyUsage.objects.filter(pk=reservation.usage_id).update(
        used=F("used") + 1,
        images=F("images") + reservation.images,
        prompt_tokens=F("prompt_tokens") + prompt_tokens,
        completion_tokens=F("completion_tokens") + completion_tokens,
    )


def quota_release(*, reservation: Reservation) -> None:
    """Give back a reservation whose completion failed."""
    QuotaReservation.objects.filter(pk=reservation.id).delete()


def quota_renew(*, reservation: Reservation) -> None:
    """Keep a reservation alive while its (long) stream is still flowing."""
    QuotaReservation.objects.filter(pk=reservation.id).update(expires_at=now() + reservation_lifetime())
