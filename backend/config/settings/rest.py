"""The API's frameworks: DRF, simplejwt, drf-spectacular, CORS."""

from datetime import timedelta

from config.settings.base import DEBUG, SECRET_KEY
from config.settings.environment import env

# --- REST framework, JWT, OpenAPI ------------------------------------------------------------------
REST_FRAMEWORK = {
    # API keys (cbk_...) first: anything else in `Bearer` is a JWT for simplejwt.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.authentication.ApiKeyAuthentication",
        "accounts.authentication.JWTAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["core.parsers.StrictJSONParser"],
    "DEFAULT_PAGINATION_CLASS": "core.pagination.StrictPageNumberPagination",
    "PAGE_SIZE": 20,
    "DEFAULT_SCHEMA_CLASS": "core.schema.ApiAutoSchema",
    "EXCEPTION_HANDLER": "core.error_answers.api_exception_handler",
    "UNAUTHENTICATED_USER": None,
    # Content types are negotiated with the Accept header only (no `?format=`).
    "URL_FORMAT_OVERRIDE": None,
}
if DEBUG:
    REST_FRAMEWORK["DEFAULT_RENDERER_CLASSES"].append("rest_framework.renderers.BrowsableAPIRenderer")

# Per-IP limit on signup, login and the admin's login (DRF's cache throttle: approximate, which is fine here).
AUTH_THROTTLE_RATE = env.str("AUTH_THROTTLE_RATE", default="10/minute")
# Reverse proxies in front of the API. 0: the client is the peer address and X-Forwarded-For is
# ignored (a client could write anything there); N: the N-th address from the right of that header.
NUM_PROXIES = env.int("NUM_PROXIES", default=0)
REST_FRAMEWORK["NUM_PROXIES"] = NUM_PROXIES

SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=env.int("JWT_ACCESS_MINUTES", default=15)),
    "REFRESH_TOKEN_LIFETIME": timedelta(days=env.int("JWT_REFRESH_DAYS", default=7)),
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
    "UPDATE_LAST_LOGIN": True,
    # Tokens carry a hash of the password hash: a password reset or change (and an address claimed
    # from an unverified account, which loses its password) ends every session at once.
    "CHECK_REVOKE_TOKEN": True,
    # A separate key lets operators rotate JWTs without touching Django's SECRET_KEY.
    "SIGNING_KEY": env.str("JWT_SIGNING_KEY", default=SECRET_KEY),
    "AUTH_HEADER_TYPES": ("Bearer",),
}

# --- CORS: the SPA is served from another origin --------------------------------------------------
CORS_ALLOWED_ORIGINS = env.list("CORS_ALLOWED_ORIGINS", default=["http://127.0.0.1:5173", "http://localhost:5173"])
# Content-Disposition: the SPA names an exported chat's download after it.
CORS_EXPOSE_HEADERS = [
    "X-RateLimit-Limit",
    "X-RateLimit-Remaining",
    "X-RateLimit-Reset",
    "Retry-After",
    "X-Request-ID",
    "Content-Disposition",
]
CORS_URLS_REGEX = r"^/api/.*$"
