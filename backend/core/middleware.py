"""Django's middleware without a thread hop per hook on `/api/`.

Under ASGI, Django runs every `process_request` and `process_response` of a `MiddlewareMixin`
through `sync_to_async`: a thread hop each, about a dozen per request with the stock middleware,
measured at ~2 ms of CPU per send (docs/performance.md). These subclass Django's (the admin's
checks look for subclasses) and change only `__call__`, the public entry of a middleware (and
CSRF's `process_view`, made a coroutine). The session, locale, common, authentication and messages
ones are named in MIDDLEWARE; the security, CSRF and clickjacking ones keep Django's names there
(`check --deploy` looks for exactly those) and take their places in the chain that
`core.handler.ASGIHandler` builds.

On `/api/` the hooks do no I/O: the API authenticates with bearer tokens, so no session is loaded
or saved and no message is stored; what is left is header arithmetic, run on the event loop. A view
that does use the session (the social login's start and callback keep the OAuth state in one) is
marked `@uses_session`, as `csrf_exempt` marks a view: its response hooks run Django's way, on a
thread, where saving the session may touch the database. Everywhere else (the admin) Django's own
path runs.
"""

from asgiref.sync import iscoroutinefunction, sync_to_async
from django.conf import settings
from django.contrib.auth.middleware import AuthenticationMiddleware as DjangoAuthenticationMiddleware
from django.contrib.messages.middleware import MessageMiddleware as DjangoMessageMiddleware
from django.contrib.sessions.middleware import SessionMiddleware as DjangoSessionMiddleware
from django.middleware.clickjacking import XFrameOptionsMiddleware as DjangoXFrameOptionsMiddleware
from django.middleware.common import CommonMiddleware as DjangoCommonMiddleware
from django.middleware.csrf import CsrfViewMiddleware as DjangoCsrfViewMiddleware
from django.middleware.locale import LocaleMiddleware as DjangoLocaleMiddleware
from django.middleware.security import SecurityMiddleware as DjangoSecurityMiddleware
from django.utils import translation

API_PREFIX = "/api/"
# OpenAI's clients, and the code written against them, read OpenAI's English messages.
ENGLISH_ONLY_PREFIX = "/api/openai/"


def uses_session(view):
    """Mark a view (a function, or a class-based view's class) whose request reads or writes the session."""
    view.uses_session = True
    return view


def view_uses_session(request) -> bool:
    """Whether the view the request was routed to is marked `@uses_session` (known once it ran)."""
    match = getattr(request, "resolver_match", None)
    view = match.func if match else None
    view_class = getattr(view, "cls", None) or getattr(view, "view_class", None)  # DRF's, Django's as_view()
    return bool(getattr(view, "uses_session", False) or getattr(view_class, "uses_session", False))


class OnTheLoopForTheApi:
    """For a Django `MiddlewareMixin` subclass: its hooks on the event loop for `/api/`."""

    def __init__(self, get_response):
        super().__init__(get_response)
        self.on_the_loop = iscoroutinefunction(get_response)  # served by ASGI, not WSGI

    def __call__(self, request):
        if not self.on_the_loop or not request.path_info.startswith(API_PREFIX):
            return super().__call__(request)  # Django's own way
        return self.hooks_on_the_loop(request)

    async def hooks_on_the_loop(self, request):
        response = self.process_request(request) if hasattr(self, "process_request") else None
        response = response or await self.get_response(request)
        if hasattr(self, "process_response"):
            if view_uses_session(request):
                response = await sync_to_async(self.process_response)(request, response)
            else:
                response = self.process_response(request, response)
        return response


class SessionMiddleware(OnTheLoopForTheApi, DjangoSessionMiddleware):
    pass


class SecurityMiddleware(OnTheLoopForTheApi, DjangoSecurityMiddleware):
    pass


class CsrfViewMiddleware(OnTheLoopForTheApi, DjangoCsrfViewMiddleware):
    """On the loop unless the CSRF secret lives in the session (CSRF_USE_SESSIONS: a database read).
    `process_view`, which the handler calls, is a coroutine: for a `csrf_exempt` view (every DRF view)
    Django's answers at once, on the loop; any other view's check runs on a thread, as Django runs it."""

    def __call__(self, request):
        if settings.CSRF_USE_SESSIONS:
            return DjangoCsrfViewMiddleware.__call__(self, request)
        return super().__call__(request)

    async def process_view(self, request, callback, callback_args, callback_kwargs):
        check = super().process_view
        if getattr(callback, "csrf_exempt", False):
            return check(request, callback, callback_args, callback_kwargs)
        return await sync_to_async(check)(request, callback, callback_args, callback_kwargs)


class XFrameOptionsMiddleware(OnTheLoopForTheApi, DjangoXFrameOptionsMiddleware):
    pass


class CommonMiddleware(OnTheLoopForTheApi, DjangoCommonMiddleware):
    pass


class AuthenticationMiddleware(OnTheLoopForTheApi, DjangoAuthenticationMiddleware):
    pass


class MessageMiddleware(OnTheLoopForTheApi, DjangoMessageMiddleware):
    pass


class LocaleMiddleware(OnTheLoopForTheApi, DjangoLocaleMiddleware):
    """Django's: the language of `Accept-Language` (no URL prefix, no session or cookie on `/api/`);
    the OpenAI-compatible API answers in English whatever the header says."""

    def process_request(self, request):
        if request.path_info.startswith(ENGLISH_ONLY_PREFIX):
            translation.activate(settings.LANGUAGE_CODE)
            request.LANGUAGE_CODE = translation.get_language()
            return None
        return super().process_request(request)
