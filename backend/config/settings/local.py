"""`make run`: the production settings, served over plain HTTP on loopback (no HTTPS redirect, no HSTS,
cookies over HTTP)."""

from config.settings.production import *  # noqa: F403

SECURE_SSL_REDIRECT = False
SECURE_HSTS_SECONDS = 0
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = False
