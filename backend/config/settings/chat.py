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
REQUEST_BODY_MAX_BYTES_FOR = {r"^/api/v1/chats/\d+/messages/$": IMAGE_SEND_BODY_MAX_BYTES}
