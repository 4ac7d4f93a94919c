"""DRF authentication by personal API key (`Authorization: Bearer cbk_...`); JWTs go on to simplejwt."""

import functools

from django.db import connection
from django.utils.translation import gettext_lazy as _
from drf_spectacular.contrib.rest_framework_simplejwt import SimpleJWTScheme
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions
from rest_framework_simplejwt import authentication as simplejwt
from rest_framework_simplejwt.exceptions import AuthenticationFailed as TokenUserRefused  # its body has `code`
from rest_framework_simplejwt.settings import api_settings
from rest_framework_simplejwt.utils import get_md5_hash_password

from accounts.api_keys import api_key_user, looks_like_api_key
from accounts.models import User
from core import plain_sql

MAX_ID = 2**63 - 1


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


class JWTAuthentication(simplejwt.JWTAuthentication):
    """simplejwt's, with the token's user read by one plain statement (core.plain_sql): on every
    request, the ORM's compiler cost more than the database's lookup. The checks after it are
    simplejwt's own (`get_user`: active, and the password-hash claim that a password change revokes);
    a claim that is not one of our ids goes to simplejwt's `get_user` and gets its answer."""

    def get_user(self, validated_token):
        user_id = our_id(validated_token.get(api_settings.USER_ID_CLAIM))
        if api_settings.USER_ID_FIELD != "id" or user_id is None:
            return super().get_user(validated_token)
        with connection.cursor() as cursor:
            cursor.execute(_user_statement(), [user_id])
            row = cursor.fetchone()
        if row is None:
            raise TokenUserRefused(_("User not found"), code="user_not_found")
        user = plain_sql.instance(User, row)
        if api_settings.CHECK_USER_IS_ACTIVE and not user.is_active:
            raise TokenUserRefused(_("User is inactive"), code="user_inactive")
        if api_settings.CHECK_REVOKE_TOKEN and validated_token.get(
            api_settings.REVOKE_TOKEN_CLAIM
        ) != get_md5_hash_password(user.password):
            raise TokenUserRefused(_("The user's password has been changed."), code="password_changed")
        return user


def our_id(claim) -> int | None:
    """The user id a token's claim names, or None for a claim that is not one of our ids. simplejwt
    writes the id as a string (`for_user`); an integer is taken too. No bool, no sign, no 0."""
    if type(claim) is str and claim.isascii() and claim.isdigit() and len(claim) <= 19:
        claim = int(claim)
    elif type(claim) is not int:
        return None
    return claim if 0 < claim <= MAX_ID else None


@functools.cache
def _user_statement() -> str:
    quote = connection.ops.quote_name
    return (
        f"SELECT {plain_sql.columns(User)} FROM {quote(User._meta.db_table)} WHERE {quote(User._meta.pk.column)} = %s"  # noqa: S608
    )


class JWTAuthenticationScheme(SimpleJWTScheme):
    target_class = JWTAuthentication  # simplejwt's scheme, for our subclass
