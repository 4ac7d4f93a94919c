"""The test suite: the local settings (plain HTTP on loopback), fast password hashing, mail in memory."""

import os
import tempfile

from config.settings.local import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# In-process tests run the send path's database work on the test's own thread, inside its
# transaction; tests that start a real server process exercise the thread pool.
CHAT_DB_THREADS = 0
# Tasks (mail, titles) run when enqueued, in the test's process: mail goes to Django's locmem
# outbox at once, where the tests read it. The tests of the queue itself use the database backend
# and real worker processes (core/tests/test_tasks.py).
TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
TASKS_RETRY_SECONDS = 0.0
# The model's titles are a call of their own after a chat's first reply: off unless a test is about them.
CHAT_AUTO_TITLE = False

# The throttles' file cache of the test run is its own (and its server processes', which inherit
# CACHE_DIR), never the one `make run` uses: counters must not leak between the two.
if not REDIS_URL:  # noqa: F405
    CACHES["default"]["LOCATION"] = os.environ.setdefault(  # noqa: F405
        "CACHE_DIR", tempfile.mkdtemp(prefix="chatbot-test-cache-")
    )

# Uploaded images of the test run go to a folder of their own (its server processes inherit it).
MEDIA_ROOT = os.environ.setdefault("MEDIA_ROOT", tempfile.mkdtemp(prefix="chatbot-test-media-"))
