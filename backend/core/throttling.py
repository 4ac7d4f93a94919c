"""DRF throttles that fail open: a cache outage must not lock anyone out of logging in."""

from __future__ import annotations

import logging
import time

logger = logging.getLogger(__name__)
WARN_EVERY = 60.0  # seconds between two warnings about the same outage
_last_warning = 0.0


def _warn_once_a_minute(error: Exception) -> None:
    global _last_warning
    if time.monotonic() - _last_warning >= WARN_EVERY:
        _last_warning = time.monotonic()
        logger.warning("throttle cache unavailable, requests are let through error=%s", type(error).__name__)


class FailOpenThrottleMixin:
    """Put before a DRF throttle class: when its cache cannot be reached, the request is allowed."""

    def allow_request(self, request, view) -> bool:
        try:
            return super().allow_request(request, view)
        except Exception as error:  # the cache client's own errors (redis, files) have no common base
            _warn_once_a_minute(error)
            return True
