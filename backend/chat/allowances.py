"""What a user may spend, what they and the whole service have spent, and what a reply costs.

Read by `chat.quota`, which holds the locks, and by `chat.quota_status`'s unlocked reads: nothing here
locks or writes.

* The effective allowance, limit by limit: the user's own (an admin's override), else the most
  generous of their groups (a group's empty limit is the service default), else the service
  default (`CHAT_DAILY_LIMIT`, `CHAT_DAILY_TOKENS`, `CHAT_MONTHLY_TOKENS`; None: no limit).
* Token windows are the calendar day and month in the server's zone. Spent tokens are the settled
  usage in `DailyUsage` plus the worst cases still reserved by sends in flight.
* `service_tokens_used` is the one place the service's spending is summed.
"""

from __future__ import annotations

import datetime as dt
import decimal
import functools
import json
import math
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import F, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from chat.models import (
    AllowanceGroup,
    DailyUsage,
    ModelPrice,
    QuotaReservation,
    ServiceBudgetLock,
    ServiceTokenUsage,
)

# The estimate of a prompt, before the model counts it: a token is at least one byte of text for
# OpenAI's tokenizers and English runs about four bytes a token, so half the bytes is generous.
BYTES_PER_TOKEN = 2
TOKENS_PER_MESSAGE = 4  # the role and the framing of each message
TOKENS_PER_IMAGE = 1600  # a high-detail image of up to 2048 px, as OpenAI counts it


@dataclass(frozen=True)
class Allowance:
    daily_limit: int  # completions per day
    daily_tokens: int | None  # None: no limit
    monthly_tokens: int | None
    models: frozenset[str] | None  # None: every allowed model
    source: str  # "user", "group", "default": where the completions' limit came from

    @property
    def limits_tokens(self) -> bool:
        return self.daily_tokens is not None or self.monthly_tokens is not None

    def token_budgets(self, windows: tuple[Window, Window]) -> tuple[tuple[Window, int | None], ...]:
        """The day's and the month's window (as `windows_at` gives them), each with its token limit here."""
        day, month = windows
        return (day, self.daily_tokens), (month, self.monthly_tokens)


def _most_generous(values: list[int | None]) -> int | None:
    return None if any(value is None for value in values) else max(values)


@functools.cache
def _groups_statement() -> str:
    """The user's groups, by one plain query (it runs on every send)."""
    quote = connection.ops.quote_name
    members = AllowanceGroup._meta.get_field("members")
    through = quote(members.remote_field.through._meta.db_table)
    group_column, user_column = quote(members.m2m_column_name()), quote(members.m2m_reverse_name())
    return (
        f"SELECT g.* FROM {quote(AllowanceGroup._meta.db_table)} g JOIN {through} m "  # noqa: S608 - model tables
        f"ON m.{group_column} = g.id WHERE m.{user_column} = %s"
    )


def allowance_for(user) -> Allowance:
    groups = list(AllowanceGroup.objects.raw(_groups_statement(), [user.pk]))
    defaults = {
        "daily_limit": settings.CHAT_DAILY_LIMIT,
        "daily_tokens": settings.CHAT_DAILY_TOKENS,
        "monthly_tokens": settings.CHAT_MONTHLY_TOKENS,
    }
    chosen = {}
    for name, default in defaults.items():
        own = getattr(user, name, None)
        if own is not None:
            chosen[name] = own
        elif groups:
            values = [default if getattr(group, name) is None else getattr(group, name) for group in groups]
            chosen[name] = _most_generous(values)
        else:
            chosen[name] = default
    if chosen["daily_limit"] is None:  # a group without a count limit, under no service default
        chosen["daily_limit"] = defaults["daily_limit"]
    models = None
    if groups and all(group.allowed_models for group in groups):
        models = frozenset(model for group in groups for model in group.allowed_models)
    own = any(getattr(user, name, None) is not None for name in defaults)
    source = "user" if own else "group" if groups else "default"
    return Allowance(models=models, source=source, **chosen)


# --- Windows --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Window:
    """A day or a calendar month, in the server's zone."""

    name: str  # "day" or "month"
    first_day: dt.date
    last_day: dt.date
    resets_at: dt.datetime


def windows_at(at: dt.datetime) -> tuple[Window, Window]:
    local = timezone.localtime(at)
    day = local.date()
    tomorrow = timezone.make_aware(dt.datetime.combine(day + dt.timedelta(days=1), dt.time.min), local.tzinfo)
    first = day.replace(day=1)
    next_month = (first + dt.timedelta(days=32)).replace(day=1)
    month_end = timezone.make_aware(dt.datetime.combine(next_month, dt.time.min), local.tzinfo)
    return (
        Window("day", day, day, tomorrow),
        Window("month", first, next_month - dt.timedelta(days=1), month_end),
    )


def _total(queryset, expression) -> Subquery:
    """SUM(expression) over `queryset` as a scalar subquery (0 for no rows)."""
    summed = queryset.order_by().values(one=Value(1)).annotate(total=Sum(expression)).values("total")[:1]
    return Coalesce(Subquery(summed), 0)


def _used_in_one_statement(
    anchor, usages, reservations, at: dt.datetime, also: tuple[str, ...] = ()
) -> tuple[int, ...]:
    """(settled, in flight, *also) read by ONE statement, so in one snapshot: a reply settling meanwhile
    (its reservation deleted, its usage added, in one transaction) is counted once, never zero times.
    `also`: more sums the anchor was annotated with."""
    row = anchor.annotate(
        settled=_total(usages, F("prompt_tokens") + F("completion_tokens")),
        reserved=_total(reservations.filter(expires_at__gt=at), F("tokens")),
    ).values_list("settled", "reserved", *also)
    return tuple(int(value) for value in (row.first() or (0,) * (2 + len(also))))


def user_tokens_used(user_id: int, window: Window, at: dt.datetime) -> tuple[int, int]:
    """(settled, in flight) tokens of the user in `window`."""
    days = {"day__gte": window.first_day, "day__lte": window.last_day}
    return _used_in_one_statement(
        get_user_model().objects.filter(pk=user_id),
        DailyUsage.objects.filter(user_id=user_id, **days),
        QuotaReservation.objects.filter(usage__user_id=user_id, **{f"usage__{k}": v for k, v in days.items()}),
        at,
    )


def service_tokens_used(window: Window, at: dt.datetime) -> int:
    """Every token the service spent in `window`, settled or reserved: the users' completions and
    the service's own calls (summaries, titles: ServiceTokenUsage), in the same statement."""
    days = {"day__gte": window.first_day, "day__lte": window.last_day}
    ServiceBudgetLock.objects.get_or_create(pk=1)  # the anchor of the one statement
    anchor = ServiceBudgetLock.objects.filter(pk=1)
    start = timezone.make_aware(dt.datetime.combine(window.first_day, dt.time.min), window.resets_at.tzinfo)
    own_calls = ServiceTokenUsage.objects.filter(created_at__gte=start, created_at__lt=window.resets_at)
    anchor = anchor.annotate(own=_total(own_calls, F("prompt_tokens") + F("completion_tokens")))
    row = _used_in_one_statement(
        anchor,
        DailyUsage.objects.filter(**days),
        QuotaReservation.objects.filter(**{f"usage__{k}": v for k, v in days.items()}),
        at,
        also=("own",),
    )
    return sum(row)


def service_ceilings() -> dict[str, int | None]:
    return {"day": settings.SERVICE_DAILY_TOKENS, "month": settings.SERVICE_MONTHLY_TOKENS}


# --- Estimates and prices -----------------------------------------------------------------------------


def _text_tokens(text: str) -> int:
    return math.ceil(len(text.encode("utf-8", "replace")) / BYTES_PER_TOKEN)


def _content_tokens(content) -> int:
    if isinstance(content, str):
        return _text_tokens(content)
    if isinstance(content, list):
        total = 0
        for part in content:
            if isinstance(part, dict) and part.get("type") == "text":
                total += _text_tokens(str(part.get("text") or ""))
            elif isinstance(part, dict) and part.get("type") == "image_url":
                total += TOKENS_PER_IMAGE
            else:
                total += _text_tokens(json.dumps(part, default=str))
        return total
    return 0 if content is None else _text_tokens(json.dumps(content, default=str))


def prompt_tokens_estimate(messages: list[dict], extra: dict | None = None) -> int:
    """A generous count of the prompt's tokens (the model's own count settles it afterwards)."""
    total = 3  # the reply's priming
    for message in messages:
        total += TOKENS_PER_MESSAGE + _content_tokens(message.get("content"))
        for name in ("tool_calls", "name", "tool_call_id"):
            if message.get(name):
                total += _text_tokens(json.dumps(message[name], default=str))
    for name in ("tools", "response_format"):
        if extra and extra.get(name):
            total += _text_tokens(json.dumps(extra[name], default=str))
    return total


def text_tokens_estimate(text: str) -> int:
    return _text_tokens(text)


def reply_cost(model: str, prompt_tokens: int, completion_tokens: int) -> Decimal | None:
    """US dollars for this usage at the model's price (the price of its exact name, else of the
    longest priced name it starts with: `gpt-4o-mini-2024-07-18` is `gpt-4o-mini`); None if unpriced."""
    prices = _prices()
    price = prices.get(model)
    if price is None:
        prefixes = [name for name in prices if model.startswith(f"{name}-")]
        price = prices[max(prefixes, key=len)] if prefixes else None
    if price is None:
        return None
    prompt_per_million, completion_per_million = price
    cost = (prompt_tokens * prompt_per_million + completion_tokens * completion_per_million) / 1_000_000
    return cost.quantize(Decimal("0.00000001"))


def _prices() -> dict[str, tuple[Decimal, Decimal]]:
    """The price table, read with one plain query on every send (the ORM's queryset cost a send more
    than the query itself), its numbers converted as the ORM converts a DecimalField."""
    table = connection.ops.quote_name(ModelPrice._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT model, prompt_per_million, completion_per_million FROM {table}")  # noqa: S608
        rows = cursor.fetchall()
    return {model: (_price_decimal(prompt), _price_decimal(completion)) for model, prompt, completion in rows}


_FROM_NUMBER = decimal.Context(prec=15).create_decimal_from_float  # what the SQLite backend's converter uses
_PRICE_PLACES = Decimal(1).scaleb(-ModelPrice._meta.get_field("prompt_per_million").decimal_places)


def _price_decimal(value) -> Decimal:
    return value if isinstance(value, Decimal) else _FROM_NUMBER(value).quantize(_PRICE_PLACES)
