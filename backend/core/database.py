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
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from typing import ParamSpec, TypeVar

from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import connections

P = ParamSpec("P")
T = TypeVar("T")

_executor: ThreadPoolExecutor | None = None
_executor_pid: int | None = None


def _pool() -> ThreadPoolExecutor:
    global _executor, _executor_pid
    if _executor is None or _executor_pid != os.getpid():  # made lazily, after a worker forks
        _executor = ThreadPoolExecutor(max_workers=settings.CHAT_DB_THREADS, thread_name_prefix="db")
        _executor_pid = os.getpid()
    return _executor


def _unit(function: Callable[P, T]) -> Callable[P, T]:
    def run(*args: P.args, **kwargs: P.kwargs) -> T:
        try:
            return function(*args, **kwargs)
        finally:
            # Keep the thread's connection for the next unit, unless it broke.
            for connection in connections.all(initialized_only=True):
                if connection.connection is not None and connection.errors_occurred and not connection.is_usable():
                    connection.close()

    return run


def run_db(function: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> Awaitable[T]:
    """Await `function(*args, **kwargs)`, a short synchronous unit of database work."""
    if not settings.CHAT_DB_THREADS:
        return sync_to_async(function)(*args, **kwargs)
    return sync_to_async(_unit(function), thread_sensitive=False, executor=_pool())(*args, **kwargs)
