"""What the bundled fakes (mockllm, fakeoauth), plain ASGI apps, share: waiting on a client's disconnect."""

from __future__ import annotations

import asyncio


async def until_disconnect(receive) -> None:
    while (await receive())["type"] != "http.disconnect":
        pass


async def sleep_or_disconnect(receive, seconds: float) -> bool:
    """Sleep; True if the client went away meanwhile."""
    try:
        await asyncio.wait_for(until_disconnect(receive), seconds)
        return True
    except TimeoutError:
        return False
