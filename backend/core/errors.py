"""Application errors: each class declares its own HTTP answer, the way DRF's `APIException` does.

Services raise these and speak the domain; a subclass says which status, machine `code`, message
and headers (`Retry-After`...) it is answered with. `core.error_answers` renders them, once per
wire format. A database that cannot be reached is one of them too (`ServiceUnavailable`).
"""

from __future__ import annotations

import logging

from django.db import InterfaceError, OperationalError
from django.utils.translation import gettext_lazy as _

logger = logging.getLogger(__name__)

# The database cannot be reached or dropped the connection (not a constraint or a bug: those stay 500s).
DATABASE_OUTAGE = (OperationalError, InterfaceError)


class ApplicationError(Exception):
    """Base of every refusal or failure a client is told about."""

    status = 400
    code = "invalid_request"
    default_detail: str = _("The request could not be completed.")
    retry_after: int | None = None  # seconds, sent as `Retry-After`, when waiting helps

    def __init__(self, detail: str | None = None, *, param: str | None = None, retry_after: int | None = None):
        self.detail = str(detail or self.default_detail)  # in the request's language
        self.param = param  # the request field it is about, where one is (OpenAI's error shape names it)
        if retry_after is not None:
            self.retry_after = retry_after
        self.headers: dict[str, str] = {"Retry-After": str(self.retry_after)} if self.retry_after else {}
        super().__init__(self.detail)

    def body(self) -> dict:
        """The JSON body in DRF's shape; subclasses with more to say add their fields."""
        return {"detail": self.detail}


class NotFound(ApplicationError):
    """Nothing of the caller's has this id: other users' objects do not exist for them."""

    status, code = 404, "not_found"
    default_detail = _("Not found.")


class ServiceUnavailable(ApplicationError):
    """The service itself cannot answer now (its database is unreachable); retry shortly."""

    status, code = 503, "service_unavailable"
    default_detail = _("The service is temporarily unavailable. Please try again shortly.")
    retry_after = 5


def application_error(exc: BaseException) -> ApplicationError | None:
    """The application error `exc` is or stands for (a database outage); None for anything else."""
    if isinstance(exc, ApplicationError):
        return exc
    if isinstance(exc, DATABASE_OUTAGE):
        logger.error("database unavailable error=%s", type(exc).__name__)
        return ServiceUnavailable()
    return None
