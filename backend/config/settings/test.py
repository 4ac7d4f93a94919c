"""The test suite: the local settings (plain HTTP on loopback), fast password hashing, mail in memory."""

import os
import tempfile

from config.settings.local import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# In-process tests run the send path's database work on the test's own thread, inside its
# transaction; tests that start a real server process exercise the thread pool.
CHAT_DB_THREADS = 0
# Mail goes to Django's locmem outbox at once, where the tests read it.
EMAIL_IN_BACKGROUND = False

# The throttles' file cache of the test run is its own (and its server processes', which inherit
# CACHE_DIR), never the one `make run` uses: counters must not leak between the two.
if not REDIS_URL:  # noqa: F405
    CACHES["default"]["LOCATION"] = os.environ.setdefault(  # noqa: F405
        "CACHE_DIR", tempfile.mkdtemp(prefix="chatbot-test-cache-")
    )

# Uploaded images of the test run go to a folder of their own (its server processes inherit it).
MEDIA_ROOT = os.environ.setdefault("MEDIA_ROOT", tempfile.mkdtemp(prefix="chatbot-test-media-"))
