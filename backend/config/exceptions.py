"""DRF's exception handler, extended with the chat's application errors: the one place they map to HTTP."""

from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import exception_handler

from chat.exceptions import QuotaExceeded, UpstreamBusy, UpstreamError, UpstreamTimeout


def api_exception_handler(exc, context):
    if isinstance(exc, QuotaExceeded):
        quota = exc.status
        body = {
            "detail": f"You have used all {quota.limit} completions for today. The limit resets at "
            f"{quota.resets_at.isoformat()}.",
            "limit": quota.limit,
            "remaining": quota.remaining,
            "resets_at": quota.resets_at.isoformat(),
        }
        return Response(
            body, status=status.HTTP_429_TOO_MANY_REQUESTS, headers={"Retry-After": str(quota.retry_after())}
        )
    if isinstance(exc, UpstreamError):
        headers = {"Retry-After": str(exc.retry_after)} if isinstance(exc, UpstreamBusy) else None
        return Response({"detail": exc.detail}, status=upstream_error_status(exc), headers=headers)
    return exception_handler(exc, context)


def upstream_error_status(exc: UpstreamError) -> int:
    """502 for a failure, 503 when the model's server is busy, 504 when it took too long."""
    if isinstance(exc, UpstreamBusy):
        return status.HTTP_503_SERVICE_UNAVAILABLE
    if isinstance(exc, UpstreamTimeout):
        return status.HTTP_504_GATEWAY_TIMEOUT
    return status.HTTP_502_BAD_GATEWAY
