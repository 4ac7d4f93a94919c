"""Gunicorn settings for `make serve`: several uvicorn (ASGI) workers, configured by environment."""

import os

# Loopback unless told otherwise: behind a proxy (or in a container, where HOST=0.0.0.0 is set).
bind = f"{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '8000')}"
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
worker_class = "uvicorn_worker.UvicornWorker"
# Async workers wait on the model without blocking; this only reaps a worker whose loop is stuck.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "120"))
graceful_timeout = 30
keepalive = 5
accesslog = "-" if os.environ.get("ACCESS_LOG", "true").lower() in ("1", "true", "yes") else None
# The server never rewrites the client address from X-Forwarded-For: Django decides who the client
# is, from NUM_PROXIES (config/settings.py), so a client cannot choose its own identity.
forwarded_allow_ips = ""
