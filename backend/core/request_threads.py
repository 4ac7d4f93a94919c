"""Each request's thread for Django's thread-sensitive work, lent from a pool instead of started for it.

Under ASGI, Django runs a request inside a `ThreadSensitiveContext`: its thread-sensitive
`sync_to_async` calls (the hooks of Django's security, CSRF and clickjacking middleware, the
receivers of the request signals, a sync view, `response.close`) run on a one-thread executor made
for that request, and on leaving, asgiref starts another thread to join it: two thread starts for
every request (docs/performance.md). asgiref lets the caller own that
executor (`ThreadSensitiveContext(executor=...)`, not shut down on exit): this wrapper lends each
request an idle executor and takes it back when the request is done, so a request's thread-sensitive
calls still share one thread that no other request uses meanwhile, and a thread is started only when
more requests run at once than have before (up to KEPT_IDLE are kept).

Django's own context inside this one then sets nothing (only the outermost context does).

An executor goes back to the pool only once nothing is queued or running on it: Django's handler
swallows the cancellation of a request whose client went away and returns while its sync view may
still run on the thread; that thread is lent again when the view ends, never to a request meanwhile.

Because these threads live on, so can their database connections (`CONN_MAX_AGE`): a sync view (the
chat list, a detail) no longer opens one for every request. A worker keeps at most KEPT_IDLE threads
idle, none longer than IDLE_SECONDS (checked as requests come); a thread let go closes its
connections first.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor

from asgiref.sync import ThreadSensitiveContext
from django.db import connections

KEPT_IDLE = 8
IDLE_SECONDS = 60.0


class RequestExecutor(ThreadPoolExecutor):
    """One thread that knows whether a call is still queued or running on it."""

    def __init__(self) -> None:
        super().__init__(max_workers=1, thread_name_prefix="request")
        self._lock = threading.Lock()
        self._pending = 0
        self._when_idle: Callable[[], None] | None = None
        self.idle_since = 0.0

    def submit(self, fn, /, *args, **kwargs) -> Future:
        with self._lock:
            self._pending += 1
        future = super().submit(fn, *args, **kwargs)
        future.add_done_callback(self._finished)
        return future

    def _finished(self, _future: Future) -> None:
        with self._lock:
            self._pending -= 1
            callback, self._when_idle = (self._when_idle, None) if self._pending == 0 else (None, self._when_idle)
        if callback is not None:
            callback()

    def idle_now_or_later(self, callback: Callable[[], None]) -> bool:
        """True if nothing is pending; else False, and `callback` runs (on the thread) when the last call ends."""
        with self._lock:
            if self._pending:
                self._when_idle = callback
                return False
        return True


def _let_go(executor: ThreadPoolExecutor) -> None:
    executor.submit(connections.close_all)  # on its thread, after whatever it is still running
    executor.shutdown(wait=False)


class RequestThreads:
    def __init__(self, app, kept_idle: int = KEPT_IDLE, idle_seconds: float = IDLE_SECONDS):
        self.app = app
        self.kept_idle, self.idle_seconds = kept_idle, idle_seconds
        self.idle: list[RequestExecutor] = []  # the most recently used last

    def _lend(self) -> RequestExecutor:
        now = time.monotonic()
        while self.idle and now - self.idle[0].idle_since > self.idle_seconds:
            _let_go(self.idle.pop(0))
        return self.idle.pop() if self.idle else RequestExecutor()

    def _give_back(self, executor: RequestExecutor) -> None:
        if len(self.idle) < self.kept_idle:
            executor.idle_since = time.monotonic()
            self.idle.append(executor)
        else:
            _let_go(executor)

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        executor = self._lend()
        try:
            async with ThreadSensitiveContext(executor=executor):
                await self.app(scope, receive, send)
        except BaseException:
            # A cancelled request may leave a call running on the thread: the executor is not lent again.
            _let_go(executor)
            raise
        loop = asyncio.get_running_loop()
        if executor.idle_now_or_later(lambda: loop.call_soon_threadsafe(self._give_back, executor)):
            self._give_back(executor)
