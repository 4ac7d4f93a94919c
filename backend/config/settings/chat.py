"""Chat: the model's server (OpenAI or any compatible one) and the limits of a chat."""

from config.settings.base import DATABASES
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
# Reads of shared chats (GET /api/v1/shared/<token>/) per client address.
SHARED_CHAT_THROTTLE_RATE = env.str("SHARED_CHAT_THROTTLE_RATE", default="60/minute")
