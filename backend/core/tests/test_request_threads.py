"""core.request_threads: a request's thread-sensitive calls keep one thread, lent from a pool."""

import asyncio
import threading
import time

import pytest
from asgiref.sync import ThreadSensitiveContext, sync_to_async

from core.request_threads import RequestThreads

HTTP = {"type": "http"}


def recording_app(record: list, *, hold: asyncio.Event | None = None):
    """An app that, like Django's handler, opens its own context and makes two thread-sensitive calls."""

    async def app(scope, receive, send):
        async with ThreadSensitiveContext():
            first = await sync_to_async(threading.get_ident)()
            if hold is not None:
                await hold.wait()
            second = await sync_to_async(threading.get_ident)()
        record.append((first, second))

    return app


def test_a_request_keeps_one_thread_and_the_next_one_is_lent_it_again():
    record: list = []
    threads = RequestThreads(recording_app(record))

    async def two_in_turn():
        await threads(HTTP, None, None)
        await threads(HTTP, None, None)

    asyncio.run(two_in_turn())

    (a_first, a_second), (b_first, b_second) = record
    assert a_first == a_second == b_first == b_second != threading.get_ident()
    assert len(threads.idle) == 1


def test_requests_at_once_never_share_a_thread():
    record: list = []

    async def two_at_once():
        hold = asyncio.Event()
        threads = RequestThreads(recording_app(record, hold=hold))
        both = asyncio.gather(threads(HTTP, None, None), threads(HTTP, None, None))
        await asyncio.sleep(0.05)
        hold.set()
        await both
        return threads

    threads = asyncio.run(two_at_once())

    (a_first, a_second), (b_first, b_second) = record
    assert a_first == a_second and b_first == b_second
    assert a_first != b_first
    assert len(threads.idle) == 2


def test_a_cancelled_request_does_not_lend_its_thread_again():
    async def cancelled():
        hold = asyncio.Event()  # never set
        threads = RequestThreads(recording_app([], hold=hold))
        request = asyncio.ensure_future(threads(HTTP, None, None))
        await asyncio.sleep(0.05)
        request.cancel()
        await asyncio.gather(request, return_exceptions=True)
        return threads

    assert asyncio.run(cancelled()).idle == []


def test_no_more_than_kept_idle_threads_wait_for_requests():
    async def many_at_once():
        hold = asyncio.Event()
        threads = RequestThreads(recording_app([], hold=hold), kept_idle=2)
        requests = asyncio.gather(*(threads(HTTP, None, None) for _ in range(5)))
        await asyncio.sleep(0.05)
        hold.set()
        await requests
        return threads

    assert len(asyncio.run(many_at_once()).idle) == 2


def test_a_thread_still_running_an_abandoned_call_is_lent_only_once_it_is_done():
    """As Django's handler does when the client goes away: the view's task is cancelled, the
    cancellation swallowed, and the request returns while the sync view still runs on its thread."""
    record: list = []
    threads_seen: list = []

    async def abandoning_app(scope, receive, send):
        async with ThreadSensitiveContext():
            threads_seen.append(await sync_to_async(threading.get_ident)())
            view = asyncio.ensure_future(sync_to_async(time.sleep)(0.3))
            await asyncio.sleep(0.05)
            view.cancel()
            await asyncio.gather(view, return_exceptions=True)

    async def scenario():
        abandoning = RequestThreads(abandoning_app)
        await abandoning(HTTP, None, None)
        assert abandoning.idle == []  # its thread is still sleeping in the abandoned view
        next_app = recording_app(record)
        abandoning.app = next_app
        await abandoning(HTTP, None, None)  # meanwhile: another thread
        await asyncio.sleep(0.4)  # the view ends: its thread is back
        return abandoning

    threads = asyncio.run(scenario())

    ((first, second),) = record
    assert first == second != threads_seen[0]
    assert len(threads.idle) == 2


def test_a_thread_idle_too_long_is_let_go_when_the_next_request_comes():
    async def scenario():
        threads = RequestThreads(recording_app([]), idle_seconds=0.05)
        await threads(HTTP, None, None)
        (kept,) = threads.idle
        await asyncio.sleep(0.1)
        await threads(HTTP, None, None)
        return threads, kept

    threads, old = asyncio.run(scenario())

    assert old not in threads.idle and len(threads.idle) == 1
    with pytest.raises(RuntimeError):  # shut down
        old.submit(int)
