"""Accounts: social login, mail, API keys."""

from urllib.parse import urlsplit

from django.core.exceptions import ImproperlyConfigured

from config.settings.environment import env

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
# EMAIL_URL as django-environ reads it: smtp+tls://user:password@host:587, smtp+ssl://...,
# filemail:///absolute/folder, or consolemail:// (the default: each mail printed to the terminal as
# one readable block).
EMAIL_URL = env.str("EMAIL_URL", default="consolemail://")
_email = env.email_url_config(EMAIL_URL)
EMAIL_BACKEND = _email["EMAIL_BACKEND"]
if EMAIL_BACKEND == "django.core.mail.backends.console.EmailBackend":
    EMAIL_BACKEND = "core.mail.ReadableConsoleBackend"
EMAIL_HOST = _email["EMAIL_HOST"] or "localhost"
EMAIL_PORT = _email["EMAIL_PORT"]  # None: smtplib's own default (25, or 465 for smtp+ssl)
EMAIL_HOST_USER = _email["EMAIL_HOST_USER"] or ""
EMAIL_HOST_PASSWORD = _email["EMAIL_HOST_PASSWORD"] or ""
EMAIL_USE_TLS = _email.get("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = _email.get("EMAIL_USE_SSL", False)
# django-environ drops the leading slash of filemail:///var/mail: the URL's own path is the folder.
EMAIL_FILE_PATH = ""
if EMAIL_BACKEND.endswith("filebased.EmailBackend"):
    _folder = urlsplit(EMAIL_URL)
    if _folder.netloc or not _folder.path.startswith("/"):
        raise ImproperlyConfigured(
            f"EMAIL_URL={EMAIL_URL!r}: write a mail folder as filemail:///absolute/path (three slashes)."
        )
    EMAIL_FILE_PATH = _folder.path
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=10)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Chatbot <no-reply@localhost>")
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
# Making a key asks for the password; an account without one must have logged in this recently.
API_KEY_REAUTH_MINUTES = env.int("API_KEY_REAUTH_MINUTES", default=10)

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

# --- Who may sign up (accounts/invites.py) --------------------------------------------------------
# open: anyone; invite: a valid invite code (`python manage.py invite create`); closed: nobody new.
# The same rules hold for a new GitHub or Kakao user. SIGNUP_EMAIL_DOMAINS: the domains an address
# must be in (empty: any), e.g. `school.example,staff.school.example`.
SIGNUP_MODE = env.str("SIGNUP_MODE", default="open").strip().lower()
if SIGNUP_MODE not in ("open", "invite", "closed"):
    raise ImproperlyConfigured(f"SIGNUP_MODE={SIGNUP_MODE!r}: expected open, invite or closed.")
SIGNUP_EMAIL_DOMAINS = [
    domain.strip().lower().lstrip("@") for domain in env.list("SIGNUP_EMAIL_DOMAINS", default=[]) if domain.strip()
]
