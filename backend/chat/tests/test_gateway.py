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


def test_a_loops_gateways_are_closed_and_let_go_when_the_loop_ends(mock_llm):
    import asyncio
    import gc

    from chat.gateway import CompletionRequest, _gateways, get_gateway

    async def ask():
        gateway = get_gateway()
        await gateway.complete(CompletionRequest(model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}]))
        return gateway

    gateways = [asyncio.run(ask()) for _ in range(3)]  # as the title task does, a loop a call
    gc.collect()

    assert all(gateway.client.is_closed() for gateway in gateways)
    assert len(_gateways) == 0  # no loop kept alive by its clients


def test_parsed_json_takes_what_orjson_refuses_as_json_does():
    from chat.gateway import parsed_json
    from chat.stream_state import MAX_TOKENS_COUNT, usage_counts

    assert parsed_json(b'{"choices": [{"delta": {"content": "\\uc548\\ub155"}}]}')["choices"][0]["delta"] == {
        "content": "안녕"
    }
    assert parsed_json(b'{"content": "\\ud800"}') == {"content": "\ud800"}  # a lone surrogate: json's answer
    assert usage_counts(parsed_json(b'{"prompt_tokens": 123456789012345678901234567890}'))[0] == MAX_TOKENS_COUNT
    with pytest.raises(ValueError):
        parsed_json(b"{not json")
