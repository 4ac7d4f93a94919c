"""Throttles of accounts (per IP, per address, per user), their rates read from settings at request time."""

import hashlib

from django.conf import settings
from rest_framework.throttling import AnonRateThrottle, SimpleRateThrottle, UserRateThrottle

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


class PasswordResetAddressThrottle(FailOpenThrottleMixin, SimpleRateThrottle):
    """Per-address limit on reset mails, whoever asks: nobody can bury an inbox in them."""

    scope = "password_reset_address"

    def get_rate(self) -> str:
        return settings.PASSWORD_RESET_THROTTLE_RATE

    def get_cache_key(self, request, view):
        email = request.data.get("email") if isinstance(request.data, dict) else None
        if not isinstance(email, str):
            return None  # the serializer answers 400
        address = hashlib.sha256(email.strip().lower().encode()).hexdigest()
        return self.cache_format % {"scope": self.scope, "ident": address}


class EmailResendThrottle(FailOpenThrottleMixin, UserRateThrottle):
    scope = "email_resend"

    def get_rate(self) -> str:
        return settings.EMAIL_RESEND_THROTTLE_RATE
