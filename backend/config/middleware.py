"""Django's own middleware, without a thread hop per hook on the API's paths.

Under ASGI, `MiddlewareMixin` runs every `process_request` and `process_response` through
`sync_to_async`: a thread hop each, about a dozen per request with Django's stock middleware,
measured at ~2 ms of CPU per send (docs/performance.md). Security, CSRF and clickjacking keep
Django's own classes (`check --deploy` looks for their exact paths); these are the rest.

On `/api/` these hooks do no I/O: the API authenticates with bearer tokens, so the session is
never loaded or saved and no message is stored; what is left is header arithmetic. There they
run on the event loop. Everywhere else (the admin, whose session and messages hooks do touch the
database, and the social login's start and callback, which keep the OAuth state in a session)
Django's own path runs.
"""

from django.contrib.auth.middleware import AuthenticationMiddleware as DjangoAuthenticationMiddleware
from django.contrib.messages.middleware import MessageMiddleware as DjangoMessageMiddleware
from django.contrib.sessions.middleware import SessionMiddleware as DjangoSessionMiddleware
from django.middleware.common import CommonMiddleware as DjangoCommonMiddleware

API_PREFIX = "/api/"
SESSION_PATHS = "/api/v1/auth/social/"


class InlineOnApiPathsMixin:
    async def __acall__(self, request):
        path = request.path_info
        if not path.startswith(API_PREFIX) or path.startswith(SESSION_PATHS):
            return await super().__acall__(request)
        response = self.process_request(request) if hasattr(self, "process_request") else None
        response = response or await self.get_response(request)
        if hasattr(self, "process_response"):
            response = self.process_response(request, response)
        return response


class SessionMiddleware(InlineOnApiPathsMixin, DjangoSessionMiddleware):
    pass


class CommonMiddleware(InlineOnApiPathsMixin, DjangoCommonMiddleware):
    pass


class AuthenticationMiddleware(InlineOnApiPathsMixin, DjangoAuthenticationMiddleware):
    pass


class MessageMiddleware(InlineOnApiPathsMixin, DjangoMessageMiddleware):
    pass
