"""Where async code does its database work: a small thread pool per process, one connection a thread.

`sync_to_async`'s default under ASGI gives every request a thread and a connection of its own,
held until the request ends: each streamed reply would pin both for its whole duration. The send
path instead runs its short database units on this pool, so a worker process holds at most
`CHAT_DB_THREADS` connections however many replies are in flight (and, on SQLite, its writers
do not fight each other for the file lock). `CHAT_DB_THREADS = 0` runs the units on the caller's
own thread instead (the test suite does, to stay inside each test's transaction).
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from typing import ParamSpec, TypeVar

from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import connections

P = ParamSpec("P")
T = TypeVar("T")

# A pool thread's connection unused this long is checked before its next unit: one `SELECT 1` on
# PostgreSQL (about 0.1 ms; nothing on SQLite). A database restart takes longer than this. Under
# load the threads are seldom idle that long, but a send's store after a slow answer often is.
IDLE_CHECK_SECONDS = 0.25

_executor: ThreadPoolExecutor | None = None
_executor_pid: int | None = None
_this_thread = threading.local()  # .last_used: when each of the thread's connections was last used


def _pool() -> ThreadPoolExecutor:
    global _executor, _executor_pid
    if _executor is None or _executor_pid != os.getpid():  # made lazily, after a worker forks
        _executor = ThreadPoolExecutor(max_workers=settings.CHAT_DB_THREADS, thread_name_prefix="db")
        _executor_pid = os.getpid()
    return _executor


def _checked_if_idle() -> None:
    """Close this thread's connections that went unused for a while and no longer answer (the
    database restarted meanwhile), so the unit about to run opens a fresh one instead of failing.
    A connection used a moment ago is not checked: a failure closes it (below), and an outage the
    server outlived is longer than the check's threshold."""
    now = time.monotonic()
    last_used = getattr(_this_thread, "last_used", {})
    for connection in connections.all(initialized_only=True):
        idle = now - last_used.get(connection.alias, now)
        if connection.connection is not None and idle > IDLE_CHECK_SECONDS and not connection.is_usable():
            connection.close()


def _unit(function: Callable[P, T]) -> Callable[P, T]:
    def run(*args: P.args, **kwargs: P.kwargs) -> T:
        _checked_if_idle()
        try:
            return function(*args, **kwargs)
        finally:
            # Keep the thread's connection for the next unit, unless it broke.
            _this_thread.last_used = dict.fromkeys(connections, time.monotonic())
            for connection in connections.all(initialized_only=True):
                if connection.connection is not None and connection.errors_occurred and not connection.is_usable():
                    connection.close()

    return run


def run_db(function: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> Awaitable[T]:
    """Await `function(*args, **kwargs)`, a short synchronous unit of database work."""
    if not settings.CHAT_DB_THREADS:
        return sync_to_async(function)(*args, **kwargs)
    return sync_to_async(_unit(function), thread_sensitive=False, executor=_pool())(*args, **kwargs)
