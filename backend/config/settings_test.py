"""Settings for the test suite: the production settings, served over plain HTTP on loopback."""

from config.settings import *  # noqa: F403

SECURE_SSL_REDIRECT = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
