"""The refusals of a send by a limit, each with its HTTP answer (`core.errors`): no completion left
today (`QuotaExceeded`), not enough of the user's tokens (`TokenQuotaExceeded`) or of the service's
(`ServiceBudgetExhausted`), with `Retry-After` saying when the limit resets; an unconfirmed address
(`EmailNotVerified`) and a model the user's group may not use (`ModelNotAllowed`). Also
`refuse_early`, which refuses a send whose user is already past a limit before its images are
decoded, read without the lock; the exact check, which admits, is `chat.quota`'s `quota_reserve`."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework.fields import DateTimeField

from chat.allowances import Window, allowance_for, user_tokens_used, windows_at
from chat.exceptions import ImageLimitReached
from chat.quota_status import QuotaStatus, now, today_usage
from core.errors import ApplicationError
from core.metrics import QUOTA_REFUSALS, TOKEN_REFUSALS


def _seconds_until(moment: dt.datetime) -> int:
    return max(1, int((moment - now()).total_seconds()) + 1)


def seconds_until_reset(status: QuotaStatus) -> int:
    return _seconds_until(status.resets_at)


def _iso(moment: dt.datetime) -> str:
    return DateTimeField().to_representation(moment)


class AllowanceRefused(ApplicationError):
    """A send refused by a limit; `quota` is where the user's completions stand (for `X-RateLimit-*`)."""

    quota: QuotaStatus


class QuotaExceeded(AllowanceRefused):
    """No completion left today: 429 with where the user stands and, in `Retry-After`, when it resets."""

    status, code = 429, "rate_limit_exceeded"

    def __init__(self, quota: QuotaStatus):
        super().__init__(
            _("You have used all %(limit)s completions for today. The limit resets at %(resets_at)s.")
            % {"limit": quota.limit, "resets_at": quota.resets_at.isoformat()}
        )
        self.quota = quota
        self.headers = {"Retry-After": str(seconds_until_reset(quota))}

    def body(self) -> dict:  # documented by chat.api.serializers.QuotaExceededSerializer
        quota = self.quota
        return {
            "detail": self.detail,
            "limit": quota.limit,
            "remaining": quota.remaining,
            "resets_at": _iso(quota.resets_at),
        }


class TokenQuotaExceeded(AllowanceRefused):
    """The send's worst case does not fit in what is left of the user's tokens for the day or the
    month: 429 like the daily count (same body: the token limit and what is left of it)."""

    status, code = 429, "token_limit_exceeded"

    def __init__(self, *, window: Window, limit: int, remaining: int, needed: int | None, quota: QuotaStatus):
        if needed is None and window.name == "day":  # none left at all, before the send's worst case is known
            message = _("You have no tokens left of your %(limit)s for today. The limit resets at %(resets_at)s.")
        elif needed is None:
            message = _("You have no tokens left of your %(limit)s for this month. The limit resets at %(resets_at)s.")
        elif window.name == "day":
            message = _(
                "This message could need up to %(needed)s tokens and you have %(remaining)s of your %(limit)s "
                "tokens left today. The limit resets at %(resets_at)s."
            )
        else:
            message = _(
                "This message could need up to %(needed)s tokens and you have %(remaining)s of your %(limit)s "
                "tokens left this month. The limit resets at %(resets_at)s."
            )
        values = {"needed": needed, "remaining": remaining, "limit": limit, "resets_at": window.resets_at.isoformat()}
        super().__init__(message % values)
        self.window, self.limit, self.remaining, self.quota = window, limit, remaining, quota
        self.headers = {"Retry-After": str(_seconds_until(window.resets_at))}

    def body(self) -> dict:
        resets_at = _iso(self.window.resets_at)
        return {"detail": self.detail, "limit": self.limit, "remaining": self.remaining, "resets_at": resets_at}


class ServiceBudgetExhausted(AllowanceRefused):
    """The whole service's tokens for the day or month are spent (not the user's): 503 until it resets."""

    status, code = 503, "service_budget_exhausted"

    def __init__(self, *, window: Window, quota: QuotaStatus):
        if window.name == "day":
            message = _(
                "The service has used up today's budget of tokens for everyone (this is not your own limit). "
                "It resets at %(resets_at)s."
            )
        else:
            message = _(
                "The service has used up this month's budget of tokens for everyone (this is not your own limit). "
                "It resets at %(resets_at)s."
            )
        super().__init__(message % {"resets_at": window.resets_at.isoformat()})
        self.window, self.quota = window, quota
        self.headers = {"Retry-After": str(_seconds_until(window.resets_at))}

    def body(self) -> dict:
        return {"detail": self.detail, "resets_at": _iso(self.window.resets_at)}


class EmailNotVerified(ApplicationError):
    status, code = 403, "email_not_verified"
    default_detail = gettext_lazy(
        "Confirm your email address before chatting: follow the link we mailed you (or ask for it again)."
    )


class ModelNotAllowed(ApplicationError):
    status, code = 403, "model_not_allowed"

    def __init__(self, model: str, allowed: frozenset[str]):
        names = ", ".join(sorted(allowed))
        message = _("Your group may not use the model '%(model)s'. You may use: %(names)s.")
        super().__init__(message % {"model": model, "names": names}, param="model")


def refuse_past_images(*, images: int, left: int, resets_at: dt.datetime) -> None:
    if images > left:
        raise ImageLimitReached(
            _("You can send %(limit)s images a day and have %(left)s left today; the count resets at %(resets_at)s.")
            % {"limit": settings.CHAT_IMAGES_PER_DAY, "left": max(0, left), "resets_at": resets_at.isoformat()},
            param="images",
        )


def refuse_early(*, user, images: int) -> None:
    """Before a send's images are decoded (the dear part of it): QuotaExceeded, ImageLimitReached or
    TokenQuotaExceeded if where the user stands already refuses any send (no completion left
    today, not room for these images, or no token left of a budget), so a user past a limit cannot
    make us decode images for nothing. Read without the lock; the exact check, which admits, is
    still `quota_reserve`'s, which also weighs the send's own worst case."""
    at = now()
    windows = windows_at(at)
    resets_at = windows[0].resets_at
    allowance = allowance_for(user)
    used, stored_images, in_flight, images_in_flight = today_usage(user, at)
    status = QuotaStatus.build(limit=allowance.daily_limit, used=used, in_flight=in_flight, resets_at=resets_at)
    if not status.remaining:
        QUOTA_REFUSALS.inc()
        raise QuotaExceeded(status)
    if images:
        left = settings.CHAT_IMAGES_PER_DAY - stored_images - images_in_flight
        refuse_past_images(images=images, left=left, resets_at=resets_at)
    for window, limit in allowance.token_budgets(windows):
        if limit is not None and sum(user_tokens_used(user.pk, window, at)) >= limit:  # any send needs one
            TOKEN_REFUSALS.inc()
            raise TokenQuotaExceeded(window=window, limit=limit, remaining=0, needed=None, quota=status)
