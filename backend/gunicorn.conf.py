"""Gunicorn settings for `make serve`: several uvicorn (ASGI) workers, configured by environment."""

import os
import shutil
import tempfile

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
# is, from NUM_PROXIES (config/settings/rest.py), so a client cannot choose its own identity.
forwarded_allow_ips = ""

# Metrics from every worker (core/metrics.py): prometheus-client's multiprocess mode keeps each
# worker's samples in files here, set before any worker imports the app.
if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="chatbot-metrics-")


def on_starting(server):
    directory = os.environ["PROMETHEUS_MULTIPROC_DIR"]
    shutil.rmtree(directory, ignore_errors=True)  # samples of an earlier run must not add up
    os.makedirs(directory, exist_ok=True)


def child_exit(server, worker):
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)
