"""The quota: the one place that decides whether a user may have another completion.

Three kinds of limits, all held by the same reservation (`chat.allowances` says what they are):
the completions of the day, the user's tokens of the day and of the month, and the service's
tokens of the day and of the month (its ceiling). Exactness comes from the database, which every
worker process and server shares:

* `quota_reserve` runs one short transaction that locks, in this order, the user's row (when a
  monthly budget applies: sends on both sides of midnight queue there), the user's `DailyUsage`
  row for the day, and (when a service ceiling is set) the one `ServiceBudgetLock` row
  (`SELECT ... FOR UPDATE` on PostgreSQL; on SQLite every transaction is `BEGIN IMMEDIATE`,
  which serialises writers). It counts what is used plus what sends in flight reserved, and
  inserts a `QuotaReservation` holding one completion and the send's worst case in tokens (its
  prompt, estimated, plus its `max_tokens`) only if all of it fits. No lock is held afterwards,
  in particular not while the model is answering.
* `quota_commit` turns the reservation into used units with the tokens the model reported (and
  the reply's cost) inside the transaction that stores the reply, so unused headroom comes back
  at once; `quota_release` deletes it on any failure, so failed sends cost nothing.
* Images count the same way against CHAT_IMAGES_PER_DAY: those of stored messages
  (`DailyUsage.images`) plus those of sends in flight (`QuotaReservation.images`), under the same lock.
* A reservation carries `expires_at` (the upstream timeout plus a margin, renewed by a flowing
  stream): if its process dies, it stops counting by then.
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.db.models import Sum

from chat.allowances import (
    Allowance,
    Window,
    allowance_for,
    service_ceilings,
    service_tokens_used,
    user_tokens_used,
    windows_at,
)
from chat.budget_alerts import alerts_due
from chat.models import DailyUsage, ModelUsage, QuotaReservation, ServiceBudgetLock
from chat.quota_status import QuotaStatus, now
from chat.refusals import (
    EmailNotVerified,
    ModelNotAllowed,
    QuotaExceeded,
    ServiceBudgetExhausted,
    TokenQuotaExceeded,
    refuse_past_images,
)
from core.metrics import (
    QUOTA_REFUSALS,
    SERVICE_BUDGET_REFUSALS,
    SERVICE_TOKENS_LIMIT,
    SERVICE_TOKENS_USED,
    TOKEN_REFUSALS,
)

# Extra life of a reservation beyond the upstream timeout, for the work around the call.
RESERVATION_MARGIN = dt.timedelta(seconds=2)


def reservation_lifetime() -> dt.timedelta:
    return dt.timedelta(seconds=settings.OPENAI_TIMEOUT) + RESERVATION_MARGIN


def admission_check(*, user, allowance: Allowance, model: str | None) -> None:
    """What refuses a send before counting anything: an unconfirmed address, a model not allowed."""
    if settings.REQUIRE_VERIFIED_EMAIL and not user.email_verified:
        raise EmailNotVerified()
    if model is not None and allowance.models is not None and model not in allowance.models:
        raise ModelNotAllowed(model, allowance.models)


@dataclass(frozen=True)
class Reservation:
    id: int
    usage_id: int
    status: QuotaStatus  # as it stands with this reservation counted
    user_id: int = 0
    day: dt.date | None = None
    tokens: int = 0
    images: int = 0  # images the send carries, counted in the day's once it is stored


def quota_reserve(
    *, user, tokens: int = 0, model: str | None = None, allowance: Allowance | None = None, images: int = 0
) -> Reservation:
    """Hold one completion and `tokens` (the send's worst case) for `user`, with `images` of today's
    images, or raise QuotaExceeded, ImageLimitReached, TokenQuotaExceeded, ServiceBudgetExhausted (and
    EmailNotVerified, ModelNotAllowed)."""
    at = now()
    day_window, month_window = windows_at(at)
    allowance = allowance if allowance is not None else allowance_for(user)
    admission_check(user=user, allowance=allowance, model=model)
    ceilings = service_ceilings()
    with transaction.atomic():
        if allowance.monthly_tokens is not None:
            # FOR NO KEY UPDATE, like chat.services: rows that point at the user are not held up.
            list(get_user_model().objects.select_for_update(no_key=True).filter(pk=user.pk).values_list("pk"))
        usage = _usage_locked(user.pk, day_window.first_day)
        in_flight, expired = _reservations_of(usage.id, at=at)
        if expired:  # left by a process that died mid-call
            QuotaReservation.objects.filter(usage_id=usage.id, expires_at__lte=at).delete()
        status = QuotaStatus.build(
            limit=allowance.daily_limit, used=usage.used, in_flight=in_flight, resets_at=day_window.resets_at
        )
        if usage.used + in_flight >= allowance.daily_limit:
            QUOTA_REFUSALS.inc()
            raise QuotaExceeded(status)
        if images:
            _ensure_room_for_images(usage, images=images, at=at, resets_at=day_window.resets_at)
        for window, limit in allowance.token_budgets((day_window, month_window)):
            if limit is not None:
                settled, held = user_tokens_used(user.pk, window, at)
                if settled + held + tokens > limit:
                    TOKEN_REFUSALS.inc()
                    left = max(0, limit - settled - held)
                    raise TokenQuotaExceeded(window=window, limit=limit, remaining=left, needed=tokens, quota=status)
        refusal = _service_check(ceilings=ceilings, windows=(day_window, month_window), tokens=tokens, at=at)
        if refusal is None:
            reservation_id = _reservation_insert(
                usage_id=usage.id, at=at, expires_at=at + reservation_lifetime(), tokens=tokens, images=images
            )
    if refusal is not None:  # raised once the alert it may have recorded is committed
        SERVICE_BUDGET_REFUSALS.inc()
        raise ServiceBudgetExhausted(window=refusal, quota=status)
    status = QuotaStatus.build(
        limit=allowance.daily_limit, used=usage.used, in_flight=in_flight + 1, resets_at=day_window.resets_at
    )
    return Reservation(
        id=reservation_id,
        usage_id=usage.id,
        status=status,
        user_id=user.pk,
        day=day_window.first_day,
        tokens=tokens,
        images=images,
    )


@dataclass(frozen=True)
class _Usage:
    id: int
    used: int
    images: int


def _usage_locked(user_id: int, day: dt.date) -> _Usage:
    """The user's `DailyUsage` row of `day`, made if it is the day's first send, locked until the
    transaction ends (`SELECT ... FOR UPDATE`; SQLite's `BEGIN IMMEDIATE` holds the database)."""
    select, make = _usage_statements()
    day = connection.ops.adapt_datefield_value(day)
    with connection.cursor() as cursor:
        cursor.execute(select, [user_id, day])
        row = cursor.fetchone()
        if row is None:  # a concurrent first send may make it too: one of them does, both then lock it
            cursor.execute(make, [user_id, day])
            cursor.execute(select, [user_id, day])
            row = cursor.fetchone()
    return _Usage(*row)


@functools.cache
def _usage_statements() -> tuple[str, str]:
    daily = connection.ops.quote_name(DailyUsage._meta.db_table)
    lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
    return (
        f"SELECT id, used, images FROM {daily} WHERE user_id = %s AND day = %s{lock}",  # noqa: S608 - the model's table
        f"INSERT INTO {daily} (user_id, day, used, prompt_tokens, completion_tokens, images) "  # noqa: S608
        "VALUES (%s, %s, 0, 0, 0, 0) ON CONFLICT (user_id, day) DO NOTHING",
    )


def _reservations_of(usage_id: int, *, at: dt.datetime) -> tuple[int, int]:
    """The day's reservations still held and those expired, with one plain query (the hot path)."""
    held, _, _ = _reservation_statements()
    moment = connection.ops.adapt_datetimefield_value(at)
    with connection.cursor() as cursor:
        cursor.execute(held, [moment, moment, usage_id])
        in_flight, expired = cursor.fetchone()
    return in_flight or 0, expired or 0


def _reservation_insert(*, usage_id: int, at: dt.datetime, expires_at: dt.datetime, tokens: int, images: int) -> int:
    _, insert, _ = _reservation_statements()
    adapt = connection.ops.adapt_datetimefield_value
    with connection.cursor() as cursor:
        cursor.execute(insert, [usage_id, adapt(at), adapt(expires_at), tokens, images])
        return cursor.fetchone()[0]


@functools.cache
def _reservation_statements() -> tuple[str, str, str]:
    """The reservation's SQL (the same on SQLite and PostgreSQL), made once per process."""
    quote = connection.ops.quote_name
    reservation = quote(QuotaReservation._meta.db_table)
    return (
        "SELECT SUM(CASE WHEN expires_at > %s THEN 1 ELSE 0 END), "  # noqa: S608 - table names from the models
        f"SUM(CASE WHEN expires_at <= %s THEN 1 ELSE 0 END) FROM {reservation} WHERE usage_id = %s",
        f"INSERT INTO {reservation} (usage_id, created_at, expires_at, tokens, images) "  # noqa: S608
        "VALUES (%s, %s, %s, %s, %s) RETURNING id",
        f"DELETE FROM {reservation} WHERE id = %s",  # noqa: S608
    )


def _service_check(*, ceilings: dict, windows: tuple[Window, Window], tokens: int, at) -> Window | None:
    """Under the one service row lock: the window whose ceiling `tokens` more would pass (None if
    they fit), the levels passed recorded for the staff's mail (chat.budget_alerts)."""
    if all(ceiling is None for ceiling in ceilings.values()):
        return None
    lock, _ = ServiceBudgetLock.objects.select_for_update().get_or_create(pk=1)
    refused, changed = None, False
    for window in windows:
        if (ceiling := ceilings[window.name]) is None:
            continue
        used = service_tokens_used(window, at)
        SERVICE_TOKENS_USED.labels(window.name).set(used)
        SERVICE_TOKENS_LIMIT.labels(window.name).set(ceiling)
        fits = used + tokens <= ceiling
        changed |= alerts_due(lock, window=window, used=used + tokens if fits else ceiling, ceiling=ceiling)
        if not fits and refused is None:
            refused = window
    if changed:
        lock.save(update_fields=["alerts"])
    return refused


def _ensure_room_for_images(usage: _Usage, *, images: int, at: dt.datetime, resets_at: dt.datetime) -> None:
    """Under `quota_reserve`'s lock on the day's row: stored images plus those in flight, plus these."""
    in_flight = (
        QuotaReservation.objects.filter(usage_id=usage.id, expires_at__gt=at).aggregate(images=Sum("images"))["images"]
        or 0
    )
    left = settings.CHAT_IMAGES_PER_DAY - usage.images - in_flight
    refuse_past_images(images=images, left=left, resets_at=resets_at)


def quota_commit(
    *,
    reservation: Reservation,
    prompt_tokens: int = 0,
    completion_tokens: int = 0,
    model: str | None = None,
    cost: Decimal | None = None,
) -> None:
    """Count the reserved completion as used, with the tokens the model reported (the reserved worst
    case is given back) and, per model, its cost. Call inside the transaction that stores the reply.

    Three hand-written statements on the send's hot path (the ORM spent more building them than the
    database running them; docs/performance.md); the per-model row is one upsert."""
    _, _, delete = _reservation_statements()
    count, count_model = _commit_statements()
    with connection.cursor() as cursor:
        cursor.execute(delete, [reservation.id])
        # This UPDATE also locks the day's row: the per-model row below is written by one send at a time.
        cursor.execute(count, [reservation.images, prompt_tokens, completion_tokens, reservation.usage_id])
        if model is not None and reservation.day is not None:
            cursor.execute(
                count_model, [reservation.user_id, reservation.day, model[:100], prompt_tokens, completion_tokens, cost]
            )


@functools.cache
def _commit_statements() -> tuple[str, str]:
    """quota_commit's SQL (the same on SQLite and PostgreSQL), made once per process."""
    quote = connection.ops.quote_name
    daily, usage = (quote(m._meta.db_table) for m in (DailyUsage, ModelUsage))
    return (
        f"UPDATE {daily} SET used = used + 1, images = images + %s, "  # noqa: S608 - table names from the models
        "prompt_tokens = prompt_tokens + %s, completion_tokens = completion_tokens + %s WHERE id = %s",
        f"INSERT INTO {usage} (user_id, day, model, completions, prompt_tokens, completion_tokens, cost) "  # noqa: S608
        "VALUES (%s, %s, %s, 1, %s, %s, %s) ON CONFLICT (user_id, day, model) DO UPDATE SET "
        f"completions = {usage}.completions + 1, "
        f"prompt_tokens = {usage}.prompt_tokens + excluded.prompt_tokens, "
        f"completion_tokens = {usage}.completion_tokens + excluded.completion_tokens, "
        f"cost = CASE WHEN excluded.cost IS NULL THEN {usage}.cost "
        f"ELSE COALESCE({usage}.cost, 0) + excluded.cost END",
    )


def quota_release(*, reservation: Reservation) -> None:
    """Give back a reservation whose completion failed."""
    QuotaReservation.objects.filter(pk=reservation.id).delete()


def quota_renew(*, reservation: Reservation) -> None:
    """Keep a reservation alive while its (long) stream is still flowing."""
    QuotaReservation.objects.filter(pk=reservation.id).update(expires_at=now() + reservation_lifetime())
