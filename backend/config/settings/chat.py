"""Chat: the model's server (OpenAI or any compatible one) and the limits of a chat."""

from django.core.exceptions import ImproperlyConfigured

from config.settings.base import DATABASES, REQUEST_BODY_MAX_BYTES
from config.settings.environment import env

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

# --- History within the model's context window ------------------------------------------------
# The earlier turns sent with a message are counted in tokens (chat/tokens.py): they fill what the
# model's window leaves after the reply's max_tokens, the system prompt, the context, the summary and
# a margin; the oldest are dropped first (and folded into the chat's summary, below).
if "CHAT_HISTORY_BUDGET" in env.ENVIRON:
    raise ImproperlyConfigured(
        "CHAT_HISTORY_BUDGET (characters) was removed: the history is now budgeted in tokens from each model's "
        "context window (OPENAI_CONTEXT_WINDOWS, CHAT_CONTEXT_MARGIN). Remove it from the environment."
    )
# Context windows in tokens, by model; `OPENAI_CONTEXT_WINDOWS=model=tokens,other=tokens` overrides
# or adds entries. A dated snapshot (gpt-4o-mini-2024-07-18) takes its family's window.
CONTEXT_WINDOWS_TABLE = {
    "gpt-4o-mini": 128_000,
    "gpt-4o": 128_000,
    "gpt-4.1": 1_047_576,
    "gpt-4.1-mini": 1_047_576,
    "gpt-4.1-nano": 1_047_576,
    "gpt-4-turbo": 128_000,
    "gpt-4": 8_192,
    "gpt-3.5-turbo": 16_385,
    "o3-mini": 200_000,
    "o4-mini": 200_000,
}


def _context_windows(text: str) -> dict[str, int]:
    windows = dict(CONTEXT_WINDOWS_TABLE)
    for pair in filter(None, (item.strip() for item in text.split(","))):
        model, _, tokens = pair.partition("=")
        if not model.strip() or not tokens.strip().isdigit() or int(tokens) < 1:
            raise ImproperlyConfigured(f"OPENAI_CONTEXT_WINDOWS: {pair!r} is not model=tokens (a positive integer).")
        windows[model.strip()] = int(tokens)
    return windows


OPENAI_CONTEXT_WINDOWS = _context_windows(env.str("OPENAI_CONTEXT_WINDOWS", default=""))
# A model in neither: a small window, so that an unknown model is never sent more than it reads.
OPENAI_DEFAULT_CONTEXT_WINDOW = env.int("OPENAI_DEFAULT_CONTEXT_WINDOW", default=8192)
# Tokens kept free besides the counted ones (counts of an unknown model's tokens are estimates).
CHAT_CONTEXT_MARGIN = env.int("CHAT_CONTEXT_MARGIN", default=256)
# Fold the turns that no longer fit into a summary the model writes (a short call of its own, not
# counted against the user's daily completions), sent ahead of the remaining turns.
CHAT_SUMMARY = env.bool("CHAT_SUMMARY", default=True)
# Title a chat from its first exchange (a few words from the model, a background task) when the
# user gave it none; a title the user sets is never replaced.
CHAT_AUTO_TITLE = env.bool("CHAT_AUTO_TITLE", default=True)
# The summary's length (the call's max_tokens) and how many tokens of turns one call may fold.
CHAT_SUMMARY_MAX_TOKENS = env.int("CHAT_SUMMARY_MAX_TOKENS", default=400)
CHAT_SUMMARY_INPUT_TOKENS = env.int("CHAT_SUMMARY_INPUT_TOKENS", default=8000)
# Seconds the send waits for the summary before going on without it (plain trimming).
CHAT_SUMMARY_TIMEOUT = env.float("CHAT_SUMMARY_TIMEOUT", default=20.0)
CHAT_MAX_TOKENS_CAP = env.int("CHAT_MAX_TOKENS_CAP", default=4096)
CHAT_DEFAULT_MAX_TOKENS = env.int("CHAT_DEFAULT_MAX_TOKENS", default=1024)
CHAT_MESSAGE_MAX_CHARS = env.int("CHAT_MESSAGE_MAX_CHARS", default=8000)
# Characters of all messages of one call to the OpenAI-compatible endpoint.
OPENAI_COMPAT_MAX_INPUT_CHARS = env.int("OPENAI_COMPAT_MAX_INPUT_CHARS", default=100_000)
# Chats one user may keep, and may create per minute (a clear 400 / 429 past either).
CHAT_MAX_PER_USER = env.int("CHAT_MAX_PER_USER", default=1000)
CHAT_CREATE_THROTTLE_RATE = env.str("CHAT_CREATE_THROTTLE_RATE", default="30/minute")

# --- Allowances and the service's ceiling (chat/quota.py) -----------------------------------------


def _optional_count(name: str) -> int | None:
    """A whole number of tokens, or None when unset or empty (no limit)."""
    value = env.str(name, default="").strip().replace("_", "")
    if not value:
        return None
    if not value.isdigit():
        raise ImproperlyConfigured(f"{name}={value!r}: expected a whole number of tokens, or nothing for no limit.")
    return int(value)


# Completions (every send path) are refused with 403 until the user's address is confirmed.
REQUIRE_VERIFIED_EMAIL = env.bool("REQUIRE_VERIFIED_EMAIL", default=False)
# Per-user tokens (prompt + completion) per day and calendar month, beside CHAT_DAILY_LIMIT; unset:
# no limit. A user's own setting, else the most generous of their groups, else these.
CHAT_DAILY_TOKENS = _optional_count("CHAT_DAILY_TOKENS")
CHAT_MONTHLY_TOKENS = _optional_count("CHAT_MONTHLY_TOKENS")
# The whole service's tokens per day and month (every user's sends together); unset: no ceiling.
SERVICE_DAILY_TOKENS = _optional_count("SERVICE_DAILY_TOKENS")
SERVICE_MONTHLY_TOKENS = _optional_count("SERVICE_MONTHLY_TOKENS")
# --- Images sent with a message (chat.images) ---------------------------------------------------
# Bytes of one uploaded image, images per message and per user per day (counted with the quota).
CHAT_IMAGE_MAX_BYTES = env.int("CHAT_IMAGE_MAX_BYTES", default=8 * 1024 * 1024)
CHAT_IMAGE_MAX_PIXELS = env.int("CHAT_IMAGE_MAX_PIXELS", default=40_000_000)
CHAT_IMAGES_PER_MESSAGE = env.int("CHAT_IMAGES_PER_MESSAGE", default=4)
CHAT_IMAGES_PER_DAY = env.int("CHAT_IMAGES_PER_DAY", default=50)
# The models that read images; a send with images to any other is refused (400). The default lists
# OpenAI's current vision models (https://platform.openai.com/docs/guides/images-vision).
OPENAI_VISION_MODELS = env.list(
    "OPENAI_VISION_MODELS",
    default=["gpt-4o", "gpt-4o-mini", "gpt-4.1", "gpt-4.1-mini", "gpt-4.1-nano", "gpt-5", "gpt-5-mini", "o4-mini"],
)
# The send route takes a body big enough for its images (every other route keeps REQUEST_BODY_MAX_BYTES).
IMAGE_SEND_BODY_MAX_BYTES = CHAT_IMAGES_PER_MESSAGE * CHAT_IMAGE_MAX_BYTES + 1024 * 1024
# An OpenAI-style call carries its images as base64 (4 characters for 3 bytes) in `data:` URLs.
OPENAI_COMPAT_BODY_MAX_BYTES = CHAT_IMAGES_PER_MESSAGE * CHAT_IMAGE_MAX_BYTES * 4 // 3 + 1024 * 1024
REQUEST_BODY_MAX_BYTES_FOR = {
    r"^/api/v1/chats/\d+/messages/$": IMAGE_SEND_BODY_MAX_BYTES,
    r"^/api/openai/v1/chat/completions$": OPENAI_COMPAT_BODY_MAX_BYTES,
    r"^/api/openai/v1/responses$": OPENAI_COMPAT_BODY_MAX_BYTES,  # input_image parts, as data: URLs
}
# Django refuses a body past DATA_UPLOAD_MAX_MEMORY_SIZE as it reads it (a JSON body all of it, files
# aside): the largest route's, so an OpenAI-style call with its images is not refused there while
# core.body_limit, in front of every route, keeps each one to its own limit.
DATA_UPLOAD_MAX_MEMORY_SIZE = max(REQUEST_BODY_MAX_BYTES, OPENAI_COMPAT_BODY_MAX_BYTES)
# Reads of shared chats (GET /api/v1/shared/<token>/) per client address.
SHARED_CHAT_THROTTLE_RATE = env.str("SHARED_CHAT_THROTTLE_RATE", default="60/minute")
