"""Every answer the service gives carries the same security headers (probe 2, findings 5 and 6)."""

import socket

import httpx
import pytest

SECURITY_HEADERS = ["x-content-type-options", "referrer-policy", "cross-origin-opener-policy", "x-frame-options"]
pytestmark = pytest.mark.django_db(transaction=True)


def raw_answer_headers(url: str, request: bytes) -> dict[str, str]:
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(request)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    head = answer.decode().partition("\r\n\r\n")[0].split("\r\n")[1:]
    return {name.lower(): value.strip() for name, value in (line.split(":", 1) for line in head)}


def test_the_413_and_the_metrics_page_carry_the_headers_of_every_other_answer(api_server):
    server = api_server(workers=1, METRICS_TOKEN="s3cret-metrics")
    usual = httpx.get(f"{server.url}/api/health/", timeout=10).headers
    too_large = raw_answer_headers(
        server.url,
        b"POST /api/v1/auth/signup/ HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        b"Content-Length: 314572800\r\n\r\n",
    )
    hidden = httpx.get(f"{server.url}/api/metrics/", timeout=10)
    scraped = httpx.get(f"{server.url}/api/metrics/", headers={"Authorization": "Bearer s3cret-metrics"}, timeout=10)

    assert usual["x-content-type-options"] == "nosniff"
    for answer in (too_large, hidden.headers, scraped.headers):
        assert {name: answer.get(name) for name in SECURITY_HEADERS} == {name: usual[name] for name in SECURITY_HEADERS}
    assert (hidden.status_code, scraped.status_code) == (404, 200)


def test_the_admin_has_a_content_security_policy_that_runs_only_its_own_scripts(client):
    page = client.get("/admin/login/")

    assert page.status_code == 200
    policy = page.headers["Content-Security-Policy"]
    assert "script-src 'self';" in policy and "unsafe-inline" not in policy.split("script-src")[1].split(";")[0]
    assert "frame-ancestors 'none'" in policy
    assert "<script>" not in page.content.decode()  # nothing inline that the policy would block
