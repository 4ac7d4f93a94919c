"""Where an error becomes an HTTP answer: one renderer per wire format, reading what the error declares.

- `api_exception_handler`: DRF's handler (REST JSON), for our application errors and DRF's own;
- `event_stream_error`: the `error` event that ends a server-sent event stream;
- `openai_error`: OpenAI's `{"error": {message, type, param, code}}` for the OpenAI-compatible API.
Nothing else maps errors: every class in `core.errors` (and its subclasses in the apps) says its
status, code, message and headers.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from django.http import Http404
from django.utils.translation import gettext_lazy
from rest_framework.exceptions import APIException, AuthenticationFailed, NotAuthenticated, ValidationError
from rest_framework.response import Response
from rest_framework.views import exception_handler

from core.errors import NotFound, application_error

logger = logging.getLogger(__name__)
INTERNAL_ERROR = gettext_lazy("The reply could not be completed. Please try again.")


def api_exception_handler(exc, context):
    """REST JSON: an application error's own body, status and headers; DRF's answer for DRF's errors."""
    if isinstance(exc, Http404):  # Django's says which model it looked in ("No ChatBot matches..."): ours does not
        exc = NotFound()
    error = application_error(exc)
    if error is None:
        return exception_handler(exc, context)
    return Response(error.body(), status=error.status, headers=error.headers)


def event_stream_error(exc: BaseException) -> dict:
    """The data of the `error` event that ends a stream: `{detail, status}`."""
    error = application_error(exc)
    if error is None:
        logger.exception("stream failed unexpectedly", exc_info=exc)
        return {"detail": str(INTERNAL_ERROR), "status": 500}
    return {"detail": error.detail, "status": error.status}


@dataclass(frozen=True)
class OpenAIError:
    status: int
    body: dict
    headers: dict[str, str] = field(default_factory=dict)


def openai_error_body(message: str, *, type: str, code: str | None = None, param: str | None = None) -> dict:
    return {"error": {"message": message, "type": type, "param": param, "code": code}}


def _openai_type(status: int) -> str:
    if status == 429:
        return "requests"
    return "server_error" if status >= 500 else "invalid_request_error"


def _detail_text(detail) -> str:
    """The message of a DRF error's detail (a string, or a dict with `detail` as simplejwt's are)."""
    return str(detail.get("detail", "")) if isinstance(detail, dict) else str(detail)


def _first_error(detail, path: str = "") -> tuple[str, str]:
    """(field path, message) of the first error in a DRF ValidationError's detail."""
    if isinstance(detail, dict):
        key, value = next(iter(detail.items()))
        name = "" if key == "non_field_errors" else str(key)
        return _first_error(value, f"{path}.{name}".strip(".") if name else path)
    if isinstance(detail, list) and detail:
        return _first_error(detail[0], path)
    return path, str(detail)


def openai_error(exc: BaseException) -> OpenAIError | None:
    """OpenAI's error object, with OpenAI's statuses; None for a bug (Django's JSON 500)."""
    if isinstance(exc, NotAuthenticated | AuthenticationFailed):
        message = "Incorrect or missing API key: send `Authorization: Bearer cbk_...`."
        if isinstance(exc, AuthenticationFailed):
            message = _detail_text(exc.detail) or message
        headers = {"WWW-Authenticate": exc.auth_header} if getattr(exc, "auth_header", None) else {}
        return OpenAIError(
            exc.status_code, openai_error_body(message, type="invalid_request_error", code="invalid_api_key"), headers
        )
    if isinstance(exc, ValidationError):
        param, message = _first_error(exc.detail)
        if param == "model":
            message = "The model does not exist or you do not have access to it. " + message
            return OpenAIError(
                400, openai_error_body(message, type="invalid_request_error", param="model", code="model_not_found")
            )
        message = f"{param}: {message}" if param else message
        return OpenAIError(400, openai_error_body(message, type="invalid_request_error", param=param))
    if isinstance(exc, APIException):
        headers = {"Retry-After": str(exc.wait)} if getattr(exc, "wait", None) else {}
        body = openai_error_body(_detail_text(exc.detail), type="invalid_request_error", code=str(exc.default_code))
        return OpenAIError(exc.status_code, body, headers)
    error = application_error(exc)
    if error is None:
        return None
    body = openai_error_body(error.detail, type=_openai_type(error.status), code=error.code, param=error.param)
    headers = dict(error.headers)
    if error.status == 429:
        headers["x-should-retry"] = "false"  # the SDKs' own retries cannot help before the reset
    return OpenAIError(error.status, body, headers)
