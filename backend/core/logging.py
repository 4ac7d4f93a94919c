"""What the server's logs may say of a request's address: its path, never its query string, and no
secret that a path carries.

A query string can carry what must not reach a log (a social link ticket, the text of a search);
a shared chat's token is in its path by contract (`/api/v1/shared/<token>/`). Uvicorn, run by
`make run` and by gunicorn's workers, logs `"<method> <path?query> HTTP/<version>"` through the
`uvicorn.access` logger; Django logs `"Not Found: <path>"` (and the like) for every 4xx and 5xx
through `django.request`. The filters here drop the query and mask such secrets in both.
"""

import logging
import re

ACCESS_LOGGER = "uvicorn.access"
# Paths whose segment after the prefix is a secret (the token of a shared chat).
SECRET_IN_PATH = re.compile(r"(/api/v1/shared/)[^/?#\s]+")
MASK = r"\1<token>"


def masked(text: str) -> str:
    return SECRET_IN_PATH.sub(MASK, text)


class WithoutQueryString(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) >= 3 and isinstance(args[2], str):
            record.args = (*args[:2], masked(args[2].split("?", 1)[0]), *args[3:])
        return True


class WithoutSecretsInPaths(logging.Filter):
    """On our own handlers: a path argument (Django's `log_response`) or message loses its secret."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = masked(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(masked(arg) if isinstance(arg, str) else arg for arg in record.args)
        return True


def keep_query_strings_out_of_access_logs() -> None:
    logger = logging.getLogger(ACCESS_LOGGER)
    if not any(isinstance(existing, WithoutQueryString) for existing in logger.filters):
        logger.addFilter(WithoutQueryString())
