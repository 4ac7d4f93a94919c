"""DRF authentication by personal API key (`Authorization: Bearer cbk_...`); JWTs go on to simplejwt."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions

from accounts.api_keys import api_key_user, looks_like_api_key


class ApiKeyAuthentication(authentication.BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).split()
        if len(header) != 2 or header[0].decode("latin1") != self.keyword:
            return None
        try:
            token = header[1].decode("ascii")
        except UnicodeDecodeError:
            return None
        if not looks_like_api_key(token):
            return None  # a JWT: simplejwt's turn
        user = api_key_user(token)
        if user is None:
            raise exceptions.AuthenticationFailed("Invalid or revoked API key.", code="invalid_api_key")
        return user, token

    def authenticate_header(self, request) -> str:
        return 'Bearer realm="api"'


class ApiKeyAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = ApiKeyAuthentication
    name = "apiKeyAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "cbk_...",
            "description": "A personal API key (POST /api/v1/auth/keys/ with a JWT makes one).",
        }
