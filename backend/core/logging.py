"""What the server's access log may say: the path of a request, never its query string.

A query string can carry what must not reach a log (a social link ticket, the text of a search).
Uvicorn, run by `make run` and by gunicorn's workers, logs `"<method> <path?query> HTTP/<version>"`
through the `uvicorn.access` logger; this filter drops the query from that line.
"""

import logging

ACCESS_LOGGER = "uvicorn.access"


class WithoutQueryString(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) >= 3 and isinstance(args[2], str):
            record.args = (*args[:2], args[2].split("?", 1)[0], *args[3:])
        return True


def keep_query_strings_out_of_access_logs() -> None:
    logger = logging.getLogger(ACCESS_LOGGER)
    if not any(isinstance(existing, WithoutQueryString) for existing in logger.filters):
        logger.addFilter(WithoutQueryString())
