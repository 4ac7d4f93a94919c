"""The security headers every answer carries, for the few given before Django's middleware runs.

Django's `SecurityMiddleware` and `XFrameOptionsMiddleware` add these to everything that passes
through them; the body limit's 413 (`core.body_limit`, in front of Django) and the metrics page
(`core.metrics`, answered first so that no host check or redirect stands in a scraper's way) take
the same from the same settings here.
"""

from asgiref.sync import iscoroutinefunction
from django.conf import settings
from django.utils.decorators import sync_and_async_middleware


def security_headers() -> dict[str, str]:
    headers = {"X-Frame-Options": settings.X_FRAME_OPTIONS}
    if settings.SECURE_CONTENT_TYPE_NOSNIFF:
        headers["X-Content-Type-Options"] = "nosniff"
    if settings.SECURE_REFERRER_POLICY:
        headers["Referrer-Policy"] = settings.SECURE_REFERRER_POLICY
    if settings.SECURE_CROSS_ORIGIN_OPENER_POLICY:
        headers["Cross-Origin-Opener-Policy"] = settings.SECURE_CROSS_ORIGIN_OPENER_POLICY
    return headers


# Django's admin runs no inline script (its templates load every script from its static files), so
# only its own files may run; some widgets set inline styles.
ADMIN_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; "
    "form-action 'self'"
)
ADMIN_PREFIX = "/admin/"


@sync_and_async_middleware
def admin_content_security_policy(get_response):
    """A Content-Security-Policy on every answer of the admin (the docs pages set their own)."""

    def with_policy(request, response):
        if request.path_info.startswith(ADMIN_PREFIX):
            response.headers.setdefault("Content-Security-Policy", ADMIN_CSP)
        return response

    if iscoroutinefunction(get_response):

        async def middleware(request):
            return with_policy(request, await get_response(request))

    else:

        def middleware(request):
            return with_policy(request, get_response(request))

    return middleware
