"""Application errors of the chat; `config.exceptions` maps each to its HTTP answer, once."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from chat.quota import QuotaStatus


class QuotaExceeded(Exception):
    """No completion left today (429)."""

    def __init__(self, status: QuotaStatus):
        super().__init__("Daily limit reached.")
        self.status = status


class UpstreamError(Exception):
    """The model's server failed or refused the request (502)."""

    default_detail = "The language model service failed to answer. Please try again."

    def __init__(self, detail: str | None = None):
        super().__init__(detail or self.default_detail)
        self.detail = detail or self.default_detail


class UpstreamBusy(UpstreamError):
    """The model's server is rate limiting us (503)."""

    default_detail = "The language model service is busy. Please try again shortly."

    def __init__(self, detail: str | None = None, *, retry_after: int = 10):
        super().__init__(detail)
        self.retry_after = retry_after


class UpstreamTimeout(UpstreamError):
    """No answer within OPENAI_TIMEOUT (504)."""

    default_detail = "The language model service did not answer in time. Please try again."
