"""The one place application errors become HTTP answers.

`error_answer` maps a domain error (`chat.exceptions`) or a database outage to a status, a body in
DRF's shape and headers. DRF's exception handler uses it for JSON answers, the event stream for its
`error` event, and the OpenAI-compatible API reshapes the same answer into OpenAI's error body.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from django.db import InterfaceError, OperationalError
from rest_framework import status
from rest_framework.exceptions import APIException
from rest_framework.response import Response
from rest_framework.views import exception_handler

from accounts.api_keys import ApiKeyLimitReached
from accounts.exceptions import AccountError, AccountNotFound
from chat.exceptions import (
    ChatError,
    ChatNotFound,
    QuotaExceeded,
    UpstreamBusy,
    UpstreamError,
    UpstreamTimeout,
)
from chat.quota import seconds_until_reset

logger = logging.getLogger(__name__)
# Seconds a client should wait before retrying when the database is unavailable.
DATABASE_RETRY_AFTER = 5
# The database cannot be reached or dropped the connection (not a constraint or a bug: those stay 500s).
DATABASE_OUTAGE = (OperationalError, InterfaceError)


@dataclass(frozen=True)
class ErrorAnswer:
    status: int
    body: dict
    headers: dict[str, str] = field(default_factory=dict)
    code: str = "error"  # a short machine name of the error, for the OpenAI-shaped answers

    @property
    def detail(self) -> str:
        return str(self.body.get("detail", ""))


def error_answer(exc: BaseException) -> ErrorAnswer | None:
    """The HTTP answer to an application error or a database outage; None for anything else."""
    if isinstance(exc, QuotaExceeded):
        from chat.api.serializers import QuotaExceededSerializer

        quota = exc.status
        body = QuotaExceededSerializer(
            {"detail": exc.detail, "limit": quota.limit, "remaining": quota.remaining, "resets_at": quota.resets_at}
        ).data
        headers = {"Retry-After": str(seconds_until_reset(quota))}
        return ErrorAnswer(status.HTTP_429_TOO_MANY_REQUESTS, dict(body), headers, "rate_limit_exceeded")
    if isinstance(exc, UpstreamBusy):
        headers = {"Retry-After": str(exc.retry_after)}
        return ErrorAnswer(status.HTTP_503_SERVICE_UNAVAILABLE, {"detail": exc.detail}, headers, "upstream_busy")
    if isinstance(exc, UpstreamTimeout):
        return ErrorAnswer(status.HTTP_504_GATEWAY_TIMEOUT, {"detail": exc.detail}, code="upstream_timeout")
    if isinstance(exc, UpstreamError):
        return ErrorAnswer(status.HTTP_502_BAD_GATEWAY, {"detail": exc.detail}, code="upstream_error")
    if isinstance(exc, ChatNotFound):
        return ErrorAnswer(status.HTTP_404_NOT_FOUND, {"detail": exc.detail}, code="not_found")
    if isinstance(exc, ChatError):  # ChatLimitReached and any other refusal of the request itself
        return ErrorAnswer(status.HTTP_400_BAD_REQUEST, {"detail": exc.detail}, code="invalid_request")
    if isinstance(exc, AccountNotFound):
        return ErrorAnswer(status.HTTP_404_NOT_FOUND, {"detail": exc.detail}, code="not_found")
    if isinstance(exc, AccountError):
        return ErrorAnswer(status.HTTP_400_BAD_REQUEST, {"detail": exc.detail}, code="invalid_request")
    if isinstance(exc, ApiKeyLimitReached):
        return ErrorAnswer(status.HTTP_400_BAD_REQUEST, {"detail": str(exc)}, code="invalid_request")
    if isinstance(exc, DATABASE_OUTAGE):
        logger.error("database unavailable error=%s", type(exc).__name__)
        return ErrorAnswer(
            status.HTTP_503_SERVICE_UNAVAILABLE,
            {"detail": "The service is temporarily unavailable. Please try again shortly."},
            {"Retry-After": str(DATABASE_RETRY_AFTER)},
            "service_unavailable",
        )
    if isinstance(exc, APIException):
        detail = exc.detail if isinstance(exc.detail, dict | list) else {"detail": exc.detail}
        body = detail if isinstance(detail, dict) else {"detail": detail}
        headers = {"Retry-After": str(exc.wait)} if getattr(exc, "wait", None) else {}
        return ErrorAnswer(exc.status_code, body, headers, str(exc.default_code))
    return None


def api_exception_handler(exc, context):
    """DRF's handler, with our application errors and database outages answered by `error_answer`."""
    if isinstance(exc, ChatError | AccountError | ApiKeyLimitReached | OperationalError | InterfaceError):
        answer = error_answer(exc)
        return Response(answer.body, status=answer.status, headers=answer.headers)
    return exception_handler(exc, context)
