"""The mock speaks OpenAI's wire protocol: checked with the official SDK itself."""

import time

import openai
import pytest


@pytest.fixture
def client(mock_llm_process):
    return openai.OpenAI(api_key="sk-test", base_url=f"{mock_llm_process}/v1", max_retries=0, timeout=5)


def ask(client, content, **kwargs):
    return client.chat.completions.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": content}], **kwargs
    )


def test_a_plain_completion_echoes_deterministically_with_usage(client):
    first, second = ask(client, "ping"), ask(client, "ping")

    assert first.choices[0].message.content == second.choices[0].message.content == "Mock reply: ping"
    assert first.choices[0].finish_reason == "stop"
    assert first.usage.total_tokens == first.usage.prompt_tokens + first.usage.completion_tokens


def test_a_stream_sends_word_chunks_then_usage_when_asked(client):
    chunks = list(ask(client, "one two three", stream=True, stream_options={"include_usage": True}))

    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == "Mock reply: one two three"
    assert sum(1 for c in chunks if c.choices and c.choices[0].delta.content) == 5
    assert chunks[-1].usage.completion_tokens == 5
    assert [c.choices[0].finish_reason for c in chunks if c.choices][-1] == "stop"


def test_latency_and_chunk_delay_are_chosen_per_request(client):
    started = time.monotonic()
    stream = ask(client, "a b c [[mock:latency=0.3]] [[mock:chunk_delay=0.1]]", stream=True)
    next(iter(stream))
    first = time.monotonic() - started
    list(stream)
    total = time.monotonic() - started

    assert first >= 0.3
    assert total >= 0.3 + 0.1 * 4


@pytest.mark.parametrize(
    ("status", "error"),
    [(500, openai.InternalServerError), (429, openai.RateLimitError), (401, openai.AuthenticationError)],
)
def test_a_status_directive_answers_that_error(client, status, error):
    with pytest.raises(error) as raised:
        ask(client, f"[[mock:status={status}]]")

    assert raised.value.status_code == status


def test_a_cut_stream_drops_the_connection_mid_way(client):
    received = []
    with pytest.raises(openai.APIConnectionError):  # the SDK reports the dropped connection
        for chunk in ask(client, "one two three four [[mock:cut=2]]", stream=True):
            received.append(chunk)

    assert 1 <= len(received) <= 3


def test_a_hang_never_answers(client):
    with pytest.raises(openai.APITimeoutError):
        client.with_options(timeout=0.5).chat.completions.create(
            model="gpt-4o-mini", messages=[{"role": "user", "content": "[[mock:hang]]"}]
        )


def image_data_url(image_format: str, size: tuple[int, int], media_type: str) -> str:
    import base64
    import io

    from PIL import Image

    output = io.BytesIO()
    Image.new("RGB", size, (1, 2, 3)).save(output, image_format)
    return f"data:{media_type};base64,{base64.b64encode(output.getvalue()).decode()}"


@pytest.mark.parametrize(
    ("image_format", "media_type", "seen"),
    [
        ("PNG", "image/png", "PNG"),
        ("JPEG", "image/jpeg", "JPEG"),
        ("GIF", "image/gif", "GIF"),
        ("WEBP", "image/webp", "WEBP"),
    ],
)
def test_it_sees_the_size_and_type_of_an_image_sent_as_a_data_url(client, image_format, media_type, seen):
    parts = [
        {"type": "text", "text": "What is it?"},
        {"type": "image_url", "image_url": {"url": image_data_url(image_format, (37, 21), media_type)}},
    ]

    answer = ask(client, parts).choices[0].message.content

    assert answer == f"Mock reply: What is it? I see a 37x21 {seen} image."


def test_it_does_not_fetch_an_https_image_and_says_so(client):
    parts = [{"type": "image_url", "image_url": {"url": "https://example.com/cat.png", "detail": "low"}}]

    assert ask(client, parts).choices[0].message.content == (
        "Mock reply. I cannot fetch https URLs; send the image itself as a data: URL."
    )


def test_bytes_that_are_no_image_are_not_seen(client):
    parts = [{"type": "image_url", "image_url": {"url": "data:image/png;base64,aGVsbG8="}}]

    assert ask(client, parts).choices[0].message.content == "Mock reply. I cannot read this image."
