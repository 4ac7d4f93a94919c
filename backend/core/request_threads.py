"""Each request's thread for Django's thread-sensitive work, lent from a pool instead of started for it.

Under ASGI, Django runs a request inside a `ThreadSensitiveContext`: its thread-sensitive
`sync_to_async` calls (the hooks of Django's security, CSRF and clickjacking middleware, the
receivers of the request signals, a sync view, `response.close`) run on a one-thread executor made
for that request, and on leaving, asgiref starts another thread to join it: two thread starts for
every request, about 0.8 ms of a send's CPU (docs/performance.md). asgiref lets the caller own that
executor (`ThreadSensitiveContext(executor=...)`, not shut down on exit): this wrapper lends each
request an idle executor and takes it back when the request is done, so a request's thread-sensitive
calls still share one thread that no other request uses meanwhile, and a thread is started only when
more requests run at once than have before (up to KEPT_IDLE are kept).

Django's own context inside this one then sets nothing (only the outermost context does).

Because these threads live on, so can their database connections (`CONN_MAX_AGE`): a sync view (the
chat list, a detail) no longer opens one for every request. A worker keeps at most KEPT_IDLE of them
idle; a thread let go closes its connections first.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from asgiref.sync import ThreadSensitiveContext
from django.db import connections

KEPT_IDLE = 8


def _let_go(executor: ThreadPoolExecutor) -> None:
    executor.submit(connections.close_all)  # on its thread, after whatever it is still running
    executor.shutdown(wait=False)


class RequestThreads:
    def __init__(self, app, kept_idle: int = KEPT_IDLE):
        self.app = app
        self.kept_idle = kept_idle
        self.idle: list[ThreadPoolExecutor] = []

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        executor = self.idle.pop() if self.idle else ThreadPoolExecutor(max_workers=1, thread_name_prefix="request")
        try:
            async with ThreadSensitiveContext(executor=executor):
                await self.app(scope, receive, send)
        except BaseException:
            # A cancelled request may leave a call running on the thread: the executor is not lent again.
            _let_go(executor)
            raise
        if len(self.idle) < self.kept_idle:
            self.idle.append(executor)
        else:
            _let_go(executor)
