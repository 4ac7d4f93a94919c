"""Django's ASGI handler, with the on-the-loop subclasses of Django's security, CSRF and clickjacking
middleware in their places in the chain.

MIDDLEWARE names Django's own three, because `check --deploy` looks for exactly those paths (HSTS,
SSL redirect, CSRF cookie and X-Frame-Options are only checked when they are there). Run as Django
runs them, their five hooks are five thread hops on every request, ~1 ms of a send's CPU
(docs/performance.md). The subclasses in `core.middleware` run the same hooks on the event loop for
`/api/` and Django's way everywhere else; this handler builds its chain from MIDDLEWARE with each
of the three replaced by its subclass, and nothing else changes. Django's test client and any
other handler build theirs from MIDDLEWARE as it is.
"""

from __future__ import annotations

import django
from django.conf import settings
from django.core.handlers.asgi import ASGIHandler as DjangoASGIHandler

ON_THE_LOOP = {
    "django.middleware.security.SecurityMiddleware": "core.middleware.SecurityMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware": "core.middleware.CsrfViewMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware": "core.middleware.XFrameOptionsMiddleware",
}


class ASGIHandler(DjangoASGIHandler):
    def load_middleware(self, is_async=False):
        listed = settings.MIDDLEWARE
        settings.MIDDLEWARE = [ON_THE_LOOP.get(path, path) for path in listed]
        try:
            super().load_middleware(is_async)
        finally:
            settings.MIDDLEWARE = listed


def get_asgi_application() -> ASGIHandler:
    """`django.core.asgi.get_asgi_application`, with this handler."""
    django.setup(set_prefix=False)
    return ASGIHandler()
