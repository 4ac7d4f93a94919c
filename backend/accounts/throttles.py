"""Per-IP throttle for signup and login, its rate read from settings at request time."""

from django.conf import settings
from rest_framework.throttling import AnonRateThrottle


class AuthRateThrottle(AnonRateThrottle):
    scope = "auth"

    def get_rate(self) -> str:
        return settings.AUTH_THROTTLE_RATE

    def get_cache_key(self, request, view):
        # Keyed by client address whether or not the caller sent a token.
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}
