"""The gateway's one reliance on the SDK's internals, pinned (see the comment on its import)."""

import httpx2
import pytest
from asgiref.sync import async_to_sync

from chat.gateway import CompletionRequest, get_gateway


@pytest.mark.parametrize("stream", [False, True])
def test_the_sdk_still_hands_the_gateway_the_upstream_response_unread(mock_llm, stream):
    async def post():
        request = CompletionRequest(model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}])
        response = await get_gateway()._post(request, stream=stream)
        unread = isinstance(response, httpx2.Response) and not response.is_stream_consumed
        body = await response.aread()
        await response.aclose()
        return unread, body

    unread, body = async_to_sync(post)()

    assert unread
    assert (b"data: " in body) if stream else (b'"choices"' in body)
