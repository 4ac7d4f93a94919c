"""Bad input of any shape is a 4xx with a JSON body, never a 5xx (the probe's findings 5 and 7)."""

import json
import socket

import httpx
import pytest

from chat.tests.factories import ChatBotFactory

pytestmark = pytest.mark.django_db

DEEP_JSON = "[" * 10_000 + "]" * 10_000


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("post", "/api/v1/auth/signup/"),
        ("post", "/api/v1/auth/token/"),
        ("post", "/api/v1/auth/token/refresh/"),
        ("post", "/api/v1/chats/"),
        ("patch", "/api/v1/chats/{chat}/"),
        ("post", "/api/v1/chats/{chat}/messages/"),
    ],
)
def test_json_nested_ten_thousand_deep_is_a_400(auth_client, user, method, path):
    chat = ChatBotFactory(user=user)

    response = getattr(auth_client, method)(path.format(chat=chat.pk), DEEP_JSON, content_type="application/json")

    assert response.status_code == 400
    assert "nested too deeply" in response.json()["detail"]


@pytest.mark.parametrize("search", ["x" * 50_001, "\x00", "a\x00b"])
def test_a_search_that_is_too_long_or_has_a_nul_is_a_400(auth_client, search):
    response = auth_client.get("/api/v1/chats/", {"search": search})

    assert response.status_code == 400
    assert response.json()["search"]


def test_a_lone_surrogate_as_the_model_is_a_400_that_does_not_echo_it(auth_client):
    response = auth_client.post("/api/v1/chats/", '{"config": {"model": "\\ud800"}}', content_type="application/json")

    assert response.status_code == 400
    assert response.json()["config"]["model"][0].startswith("Choose one of: gpt-4o-mini")


@pytest.mark.django_db(transaction=True)
def test_an_oversized_body_is_refused_with_a_json_413_before_it_is_read(api_server):
    server = api_server(workers=1)
    host, port = server.url.removeprefix("http://").split(":")

    # 300 MiB announced: the answer comes before a byte of the body is sent.
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(
            b"POST /api/v1/auth/signup/ HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            b"Content-Length: 314572800\r\n\r\n"
        )
        answer = b""
        while chunk := sock.recv(65536):  # the server closes the connection after its answer
            answer += chunk
    head, _, body = answer.decode().partition("\r\n\r\n")
    assert head.startswith("HTTP/1.1 413")
    assert "application/json" in head
    assert "too large" in json.loads(body)["detail"]

    # No length announced (chunked): cut off once past the limit.
    def two_mebibytes():
        for _ in range(32):
            yield b"x" * 65536

    response = httpx.post(
        f"{server.url}/api/v1/auth/signup/",
        content=two_mebibytes(),
        headers={"Content-Type": "application/json"},
        timeout=10,
    )
    assert response.status_code == 413
    assert "too large" in response.json()["detail"]


@pytest.mark.django_db(transaction=True)
def test_djangos_own_refusals_are_json(api_server):
    server = api_server(workers=1)

    response = httpx.get(f"{server.url}/api/v1/chats/", headers={"Host": "evil.example.com"}, timeout=10)

    assert response.status_code == 400
    assert response.json() == {"detail": "Bad request."}
