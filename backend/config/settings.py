"""Django settings for the chatbot API, grouped by concern and configured by environment.

Every variable read here is listed with a comment in `.env.example` at the repository root.
"""

from datetime import timedelta
from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parent.parent
REPO_DIR = BASE_DIR.parent

env = environ.Env()
# A `.env` at the repository root is optional; real environment variables win over it.
environ.Env.read_env(REPO_DIR / ".env", overwrite=False)

# --- Core -------------------------------------------------------------------------------------
DEBUG = env.bool("DJANGO_DEBUG", default=False)
# The fallback key only serves local development; `check --deploy` flags it in production.
SECRET_KEY = env.str("DJANGO_SECRET_KEY", default="django-insecure-local-development-only-key")
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "servestatic.runserver_nostatic",
    "django.contrib.staticfiles",
    "corsheaders",
    "rest_framework",
    "rest_framework_simplejwt",
    "rest_framework_simplejwt.token_blacklist",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI and ReDoc from our own static files, no CDN
    "django_guid",
    # django-allauth for the provider side of social login (state, PKCE, token exchange, profile);
    # simplejwt stays the only issuer of our tokens (accounts/social/).
    "allauth",
    "allauth.account",
    "allauth.socialaccount",
    "allauth.socialaccount.providers.github",
    "allauth.socialaccount.providers.kakao",
    "accounts",
    "chat",
]

MIDDLEWARE = [
    # Request counts and latencies for /api/metrics/ (core/metrics.py).
    "core.metrics.MetricsMiddleware",
    # A request id (the caller's X-Request-ID, or a new one) on every log line and response.
    "django_guid.middleware.guid_middleware",
    "django.middleware.security.SecurityMiddleware",
    # ServeStatic (WhiteNoise's async-capable fork): a sync-only middleware would make Django run
    # every request, streams included, on a thread of its own.
    "servestatic.middleware.ServeStaticMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    # Django's own, run without a thread hop per hook on /api/ (core/middleware.py). The security,
    # CSRF and clickjacking ones keep their own names: `check --deploy` looks for exactly those.
    "core.middleware.SessionMiddleware",
    "core.middleware.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "core.middleware.AuthenticationMiddleware",
    "core.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Required by django-allauth (it sets allauth's per-request context).
    "allauth.account.middleware.AccountMiddleware",
]

ROOT_URLCONF = "config.urls"
ASGI_APPLICATION = "config.asgi.application"
WSGI_APPLICATION = "config.wsgi.application"
AUTH_USER_MODEL = "accounts.User"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Database ---------------------------------------------------------------------------------
DATABASES = {
    "default": env.db_url("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Tests use a file, not memory, so that threads and server processes share it.
    DATABASES["default"].setdefault("TEST", {"NAME": str(BASE_DIR / "test-db.sqlite3")})
    # IMMEDIATE makes every transaction take SQLite's write lock up front, so the quota's
    # read-then-write cannot interleave across processes; WAL lets readers run meanwhile.
    # https://docs.djangoproject.com/en/5.2/ref/databases/#sqlite-transaction-behavior
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "transaction_mode": "IMMEDIATE",
            "timeout": 30,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )
# Under ASGI every request runs its sync code on a fresh thread: persistent connections would
# pile up, so they are closed after each request (Django's advice for ASGI deployments).
DATABASES["default"]["CONN_MAX_AGE"] = 0

# --- Cache (the throttles' counters) -------------------------------------------------------------
# Redis when configured (shared by every server). Without it, files under CACHE_DIR: shared by the
# worker processes of one machine, so a limit is not multiplied by WEB_CONCURRENCY (a per-process
# memory cache would be). Several machines need REDIS_URL.
REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            # A Redis that is down or unreachable must cost a request milliseconds, not seconds.
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": env.str("CACHE_DIR", default=str(BASE_DIR / ".cache")),
        }
    }

# --- Passwords --------------------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = ["accounts.backends.EmailBackend"]

# --- Time -------------------------------------------------------------------------------------
# The daily quota resets at midnight of this zone.
TIME_ZONE = env.str("TIME_ZONE", default="UTC")
USE_TZ = True
LANGUAGE_CODE = "en-us"
USE_I18N = True

# --- Static files (admin, Swagger UI) -----------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "servestatic.storage.CompressedStaticFilesStorage"},
}
# Serve straight from the apps' folders, so no collectstatic step is needed to run.
SERVESTATIC_USE_FINDERS = True

# --- REST framework, JWT, OpenAPI ------------------------------------------------------------------
REST_FRAMEWORK = {
    # API keys (cbk_...) first: anything else in `Bearer` is a JWT for simplejwt.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.authentication.ApiKeyAuthentication",
        "rest_framework_simplejwt.authentication.JWTAuthentication",
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

# --- Social login (accounts/social/) --------------------------------------------------------------
# A provider is enabled when its client id is set. The only place a browser is ever sent back to is
# SOCIAL_LOGIN_REDIRECT_URL (the SPA), with a one-time code in the fragment, never a token.
SOCIAL_LOGIN_REDIRECT_URL = env.str("SOCIAL_LOGIN_REDIRECT_URL", default="http://127.0.0.1:5173/")
GITHUB_CLIENT_ID = env.str("GITHUB_CLIENT_ID", default="")
GITHUB_CLIENT_SECRET = env.str("GITHUB_CLIENT_SECRET", default="")
GITHUB_URL = env.str("GITHUB_URL", default="https://github.com").rstrip("/")
KAKAO_CLIENT_ID = env.str("KAKAO_CLIENT_ID", default="")
KAKAO_CLIENT_SECRET = env.str("KAKAO_CLIENT_SECRET", default="")
KAKAO_AUTH_URL = env.str("KAKAO_AUTH_URL", default="https://kauth.kakao.com").rstrip("/")
KAKAO_API_URL = env.str("KAKAO_API_URL", default="https://kapi.kakao.com").rstrip("/")
# Per-IP limit on starting a social login (each start stores a short-lived session).
SOCIAL_START_THROTTLE_RATE = env.str("SOCIAL_START_THROTTLE_RATE", default="30/minute")
# Link tickets (`POST social/<provider>/link/`) one user may ask for.
SOCIAL_LINK_THROTTLE_RATE = env.str("SOCIAL_LINK_THROTTLE_RATE", default="10/hour")
# Seconds each call to a provider (token, profile) may take before the login fails with `failed`.
SOCIALACCOUNT_REQUESTS_TIMEOUT = env.int("SOCIAL_PROVIDER_TIMEOUT", default=5)
SOCIALACCOUNT_ADAPTER = "accounts.social.adapter.SocialLoginAdapter"
SOCIALACCOUNT_STORE_TOKENS = False  # we never call the providers on the user's behalf afterwards
SOCIALACCOUNT_QUERY_EMAIL = True
SOCIALACCOUNT_PROVIDERS = {
    # The apps (client id and secret) and the URLs come from the settings above, read at request
    # time (accounts/social/): no SocialApp rows, and GitHub Enterprise, Kakao and the fake alike.
    "github": {
        "SCOPE": ["read:user", "user:email"],
        "OAUTH_PKCE_ENABLED": True,
        "provider_class": "accounts.social.providers.GitHubProvider",
    },
    "kakao": {
        "SCOPE": ["profile_nickname", "account_email"],
        # Kakao's documentation does not list PKCE: its code exchange is authenticated by the app's key.
        "OAUTH_PKCE_ENABLED": False,
        "provider_class": "accounts.social.providers.KakaoProvider",
    },
}
# allauth's own account views are not mounted (the API has its own signup and login); these keep
# its checks consistent with our user model, which has an email and no username.
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*"]

# --- Mail (accounts/mail.py) -------------------------------------------------------------------------
# EMAIL_URL as django-environ reads it: smtp+tls://user:password@host:587, smtp+ssl://..., or
# consolemail:// (the default: each mail printed to the terminal as one readable block).
vars().update(env.email_url("EMAIL_URL", default="consolemail://"))
if EMAIL_BACKEND == "django.core.mail.backends.console.EmailBackend":  # noqa: F821 - set by the line above
    EMAIL_BACKEND = "core.mail.ReadableConsoleBackend"
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=10)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Chatbot <no-reply@localhost>")
EMAIL_IN_BACKGROUND = True
# The SPA page mails link to (#/verify-email/..., #/reset-password/...).
SPA_URL = env.str("SPA_URL", default="http://127.0.0.1:5173/")
EMAIL_VERIFICATION_DAYS = env.int("EMAIL_VERIFICATION_DAYS", default=3)
PASSWORD_RESET_TIMEOUT = 60 * 60  # a reset link works for an hour (Django's token generator)
# Reset mails per address (past it, requests are answered alike and no mail goes), and
# verification mails one user may ask for again.
PASSWORD_RESET_THROTTLE_RATE = env.str("PASSWORD_RESET_THROTTLE_RATE", default="3/hour")
EMAIL_RESEND_THROTTLE_RATE = env.str("EMAIL_RESEND_THROTTLE_RATE", default="3/hour")

# Personal API keys one user may hold.
API_KEYS_PER_USER = env.int("API_KEYS_PER_USER", default=10)

SPECTACULAR_SETTINGS = {
    "TITLE": "Chatbot API",
    "DESCRIPTION": (
        "Sign up, log in with JWT and chat with an OpenAI model. "
        "Each user gets a daily number of completions; see `X-RateLimit-*` headers on every send."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": r"/api/(v1|openai/v1)",
    "ENUM_NAME_OVERRIDES": {
        "PromptKindEnum": "chat.models.PromptKind",
        "DependencyStateEnum": "core.views.DEPENDENCY_STATES",
    },
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
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

# --- OpenAI upstream --------------------------------------------------------------------------
OPENAI_API_KEY = env.str("OPENAI_API_KEY", default="")
OPENAI_BASE_URL = env.str("OPENAI_BASE_URL", default="") or None
OPENAI_MODEL = env.str("OPENAI_MODEL", default="gpt-4o-mini")
OPENAI_ALLOWED_MODELS = env.list("OPENAI_ALLOWED_MODELS", default=["gpt-4o-mini", "gpt-4.1-mini", "gpt-4.1-nano"])
if OPENAI_MODEL not in OPENAI_ALLOWED_MODELS:
    OPENAI_ALLOWED_MODELS = [OPENAI_MODEL, *OPENAI_ALLOWED_MODELS]
# Seconds before an upstream call is abandoned (504). The SDK's own retries are off so it holds.
OPENAI_TIMEOUT = env.float("OPENAI_TIMEOUT", default=60.0)

# --- Chat -------------------------------------------------------------------------------------
# Threads per worker process that run the send path's database work (core/database.py); each keeps
# one connection, so this bounds a process's connections however many replies are streaming.
# One on SQLite, whose writers queue for a single file lock anyway.
CHAT_DB_THREADS = env.int("CHAT_DB_THREADS", default=1 if DATABASES["default"]["ENGINE"].endswith("sqlite3") else 4)
CHAT_DAILY_LIMIT = env.int("CHAT_DAILY_LIMIT", default=5)
# Characters of earlier turns sent upstream with a new message; the oldest are dropped first.
CHAT_HISTORY_BUDGET = env.int("CHAT_HISTORY_BUDGET", default=24_000)
CHAT_MAX_TOKENS_CAP = env.int("CHAT_MAX_TOKENS_CAP", default=4096)
CHAT_DEFAULT_MAX_TOKENS = env.int("CHAT_DEFAULT_MAX_TOKENS", default=1024)
CHAT_MESSAGE_MAX_CHARS = env.int("CHAT_MESSAGE_MAX_CHARS", default=8000)
# Characters of all messages of one call to the OpenAI-compatible endpoint.
OPENAI_COMPAT_MAX_INPUT_CHARS = env.int("OPENAI_COMPAT_MAX_INPUT_CHARS", default=100_000)
# Chats one user may keep, and may create per minute (a clear 400 / 429 past either).
CHAT_MAX_PER_USER = env.int("CHAT_MAX_PER_USER", default=1000)
CHAT_CREATE_THROTTLE_RATE = env.str("CHAT_CREATE_THROTTLE_RATE", default="30/minute")

# --- Request size -------------------------------------------------------------------------------
# Bodies over this are refused with a JSON 413 before they are read (config.asgi), and Django
# refuses the same past its own reading (DATA_UPLOAD_MAX_MEMORY_SIZE). 1 MiB holds the longest
# message or OpenAI-compatible request we accept many times over.
REQUEST_BODY_MAX_BYTES = env.int("REQUEST_BODY_MAX_BYTES", default=1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = REQUEST_BODY_MAX_BYTES

# --- Security (see `manage.py check --deploy`) ------------------------------------------------------
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if not DEBUG:
    # Behind a proxy that terminates TLS and sets X-Forwarded-Proto.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
    SECURE_REDIRECT_EXEMPT = [r"^api/health/$"]
    SECURE_HSTS_SECONDS = env.int("DJANGO_HSTS_SECONDS", default=60 * 60 * 24 * 365)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    # Cookies (the admin's session, the social login's short one) only over HTTPS; `make run` and the
    # tests serve plain HTTP on loopback and turn this off.
    SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = env.bool("DJANGO_SECURE_COOKIES", default=True)
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

# --- Metrics ----------------------------------------------------------------------------------------
# /api/metrics/ answers only `Authorization: Bearer <METRICS_TOKEN>`; unset, it does not exist (404).
METRICS_TOKEN = env.str("METRICS_TOKEN", default="")

# --- Logging ----------------------------------------------------------------------------------
# One line per event, key=value, with the request id, so one request can be followed across workers.
DJANGO_GUID = {
    "GUID_HEADER_NAME": "X-Request-ID",
    "VALIDATE_GUID": True,  # a caller's id that is not a UUID is replaced, never echoed
    "RETURN_HEADER": True,
    "EXPOSE_HEADER": False,  # CORS_EXPOSE_HEADERS lists it
}
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "request_id": {"()": "django_guid.log_filters.CorrelationId", "correlation_id_field": "request_id"},
    },
    "formatters": {
        "keyvalue": {
            "format": "%(asctime)s level=%(levelname)s logger=%(name)s request_id=%(request_id)s %(message)s",
        },
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "keyvalue", "filters": ["request_id"]},
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        # The SDK's and its transport's debug logs carry request headers: the key must never reach a log.
        "openai": {"level": "WARNING"},
        "httpx": {"level": "WARNING"},
        "httpx2": {"level": "WARNING"},
        "httpcore": {"level": "WARNING"},
        "httpcore2": {"level": "WARNING"},
        "django_guid": {"level": "WARNING"},
    },
}
