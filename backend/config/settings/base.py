"""Django itself: apps, middleware, database, cache, passwords, time, static files, security, logging."""

from config.settings.environment import BASE_DIR, env

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
    # Background tasks on the database (config/settings/tasks.py); core has the worker command.
    "django_tasks",
    "django_tasks_db",
    "core",
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
    # CSRF and clickjacking ones keep their own names (`check --deploy` looks for exactly those); the
    # served ASGI handler puts core.middleware's on-the-loop subclasses in their places (core/handler.py).
    "core.middleware.SessionMiddleware",
    # The language of our messages and of Django's and DRF's own: `Accept-Language` (ko or en).
    "core.middleware.LocaleMiddleware",
    "core.middleware.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "core.middleware.AuthenticationMiddleware",
    "core.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # The admin's Content-Security-Policy (core/security_headers.py).
    "core.security_headers.admin_content_security_policy",
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
# Django's advice for ASGI is CONN_MAX_AGE = 0, as every request runs its sync code on a fresh
# thread. Here a request's thread is lent from a small kept pool (core.request_threads), so a sync
# view's connection is kept for the next request on that thread instead of opened for each one
# (a few milliseconds on PostgreSQL), checked before reuse, and closed with its thread.
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True

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

# --- Languages ----------------------------------------------------------------------------------
# What the API writes (validation errors, `detail`, password validators) follows `Accept-Language`:
# Korean or English, English when the header names neither. URLs carry no language prefix.
LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("ko", "한국어")]
USE_I18N = True
# Our own messages' translations (`make install` compiles the .po files there).
LOCALE_PATHS = [BASE_DIR / "locale"]

# --- Static files (admin, Swagger UI) -----------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
# Uploaded files (the images users send) go through Django's storage API: local files under
# MEDIA_ROOT by default, or any storage class (a django-storages backend, installed separately) named
# by MEDIA_STORAGE_BACKEND with its options as JSON in MEDIA_STORAGE_OPTIONS. They are never served
# from MEDIA_URL: the API serves each image to its owner only (chat.api.views.ChatImageView).
MEDIA_ROOT = env.str("MEDIA_ROOT", default=str(BASE_DIR / "media"))
MEDIA_URL = "media/"
STORAGES = {
    "default": {
        "BACKEND": env.str("MEDIA_STORAGE_BACKEND", default="django.core.files.storage.FileSystemStorage"),
        "OPTIONS": env.json("MEDIA_STORAGE_OPTIONS", default={}),
    },
    "staticfiles": {"BACKEND": "servestatic.storage.CompressedStaticFilesStorage"},
}
# Serve straight from the apps' folders, so no collectstatic step is needed to run.
SERVESTATIC_USE_FINDERS = True
# Files served at the site's root: /favicon.ico, which browsers ask for on the admin's and the docs' pages.
SERVESTATIC_ROOT = BASE_DIR / "core" / "public"

# --- Request size -------------------------------------------------------------------------------
# Bodies over this are refused with a JSON 413 before they are read (config.asgi), and Django
# refuses past its own reading (DATA_UPLOAD_MAX_MEMORY_SIZE, config.settings.chat: the largest
# route's). 1 MiB holds the longest message or text-only OpenAI-compatible request many times over.
REQUEST_BODY_MAX_BYTES = env.int("REQUEST_BODY_MAX_BYTES", default=1024 * 1024)
# Sending images (multipart) may be larger, on that route alone (core.body_limit): see chat's
# CHAT_IMAGE_* settings, which set REQUEST_BODY_MAX_BYTES_FOR.

# --- Security (see `manage.py check --deploy`) ------------------------------------------------------
# Secure whatever DEBUG says: HTTPS only, behind a proxy that terminates TLS and sets X-Forwarded-Proto.
# Plain HTTP on loopback is `config.settings.local` (`make run`) or these variables set to false.
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
SECURE_REDIRECT_EXEMPT = [r"^api/health/$"]
SECURE_HSTS_SECONDS = env.int("DJANGO_HSTS_SECONDS", default=60 * 60 * 24 * 365)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
# Cookies (the admin's session, the social login's short one) only over HTTPS.
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
        # A shared chat's token is in its path: Django's "Not Found: <path>" lines must not carry it.
        "secrets_in_paths": {"()": "core.logging.WithoutSecretsInPaths"},
    },
    "formatters": {
        "keyvalue": {
            "format": "%(asctime)s level=%(levelname)s logger=%(name)s request_id=%(request_id)s %(message)s",
        },
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "keyvalue",
            "filters": ["request_id", "secrets_in_paths"],
        },
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
