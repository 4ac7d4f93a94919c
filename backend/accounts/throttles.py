"""Throttles of accounts (per IP, per address, per user), their rates read from settings at request time."""

import hashlib

from django.conf import settings
from rest_framework.throttling import AnonRateThrottle, SimpleRateThrottle, UserRateThrottle

from core.throttling import FailOpenThrottleMixin


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


def reset_mail_allowed(email: str) -> bool:
    """Whether another reset mail may go to this address this hour (PASSWORD_RESET_THROTTLE_RATE).

    Silent: over the limit, the request is answered as usual and no mail goes. A 429 would let
    anyone block someone's reset by asking for theirs three times, and tell that the address is
    asked about. Only requests the per-IP limit let through are counted.
    """
    return _ResetAddressLimit(email).allow_request(None, None)


class _ResetAddressLimit(FailOpenThrottleMixin, SimpleRateThrottle):
    scope = "password_reset_address"

    def __init__(self, email: str):
        self.address = hashlib.sha256(email.strip().lower().encode()).hexdigest()
        super().__init__()

    def get_rate(self) -> str:
        return settings.PASSWORD_RESET_THROTTLE_RATE

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": self.address}


class SocialLinkThrottle(FailOpenThrottleMixin, UserRateThrottle):
    """Per-user limit on link tickets (each is a row, and a start URL)."""

    scope = "social_link"

    def get_rate(self) -> str:
        return settings.SOCIAL_LINK_THROTTLE_RATE


class EmailResendThrottle(FailOpenThrottleMixin, UserRateThrottle):
    scope = "email_resend"

    def get_rate(self) -> str:
        return settings.EMAIL_RESEND_THROTTLE_RATE
