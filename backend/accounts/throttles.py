"""Per-IP throttle for signup, login and the admin's login, its rate read from settings at request time."""

from django.conf import settings
from rest_framework.throttling import AnonRateThrottle

from config.throttling import FailOpenThrottleMixin


class AuthRateThrottle(FailOpenThrottleMixin, AnonRateThrottle):
    scope = "auth"

    def get_rate(self) -> str:
        return settings.AUTH_THROTTLE_RATE

    def get_cache_key(self, request, view):
        # Keyed by client address (see NUM_PROXIES) whether or not the caller sent a token.
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class SocialStartThrottle(AuthRateThrottle):
    """Per-IP limit on starting a provider login: each start stores a short session."""

    scope = "social_start"

    def get_rate(self) -> str:
        return settings.SOCIAL_START_THROTTLE_RATE
