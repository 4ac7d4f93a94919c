"""Settings for the test suite: the production settings, served over plain HTTP on loopback."""

from config.settings import *  # noqa: F403

SECURE_SSL_REDIRECT = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# In-process tests run the send path's database work on the test's own thread, inside its
# transaction; tests that start a real server process exercise the thread pool.
CHAT_DB_THREADS = 0
