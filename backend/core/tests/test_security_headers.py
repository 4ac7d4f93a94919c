"""Every answer the service gives carries the same security headers (probe 2, findings 5 and 6)."""

import socket
from unittest import mock

import httpx
import pytest
from django.utils.module_loading import import_string

from core.handler import ON_THE_LOOP, ASGIHandler

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


def test_the_served_app_runs_djangos_security_csrf_and_clickjacking_hooks_on_the_loop_with_the_same_answers(
    api_server, client, settings
):
    with mock.patch("django.core.handlers.base.import_string", wraps=import_string) as imported:
        ASGIHandler()
    loaded = [call.args[0] for call in imported.call_args_list]
    for django_path, ours in ON_THE_LOOP.items():
        assert django_path in settings.MIDDLEWARE  # what check --deploy looks for
        assert ours in loaded and django_path not in loaded
    assert [ON_THE_LOOP.get(path, path) for path in settings.MIDDLEWARE] == loaded[::-1]  # built last to first

    server = api_server(workers=1)
    served = httpx.get(f"{server.url}/api/health/", timeout=10).headers
    by_the_test_client = client.get("/api/health/").headers  # Django's own classes
    assert {name: served.get(name) for name in SECURITY_HEADERS} == {
        name: by_the_test_client.get(name) for name in SECURITY_HEADERS
    }
    forged = httpx.post(f"{server.url}/admin/login/", data={"username": "a@example.com", "password": "x"}, timeout=10)
    assert forged.status_code == 403  # CSRF's check still runs for a view that is not exempt
    page = httpx.get(f"{server.url}/admin/login/", timeout=10)
    token = page.cookies["csrftoken"]
    signed = httpx.post(
        f"{server.url}/admin/login/",
        data={"username": "a@example.com", "password": "x", "csrfmiddlewaretoken": token},
        headers={"Cookie": f"csrftoken={token}", "Referer": f"{server.url}/admin/login/"},
        timeout=10,
    )
    assert signed.status_code == 200  # past CSRF: the login form again, with its error
    redirecting = api_server(workers=1, DJANGO_SECURE_SSL_REDIRECT="true")
    moved = httpx.get(f"{redirecting.url}/api/v1/personas/", timeout=10)
    assert (moved.status_code, moved.headers["location"]) == (301, f"https://{redirecting.url[7:]}/api/v1/personas/")
    assert httpx.get(f"{redirecting.url}/api/health/", timeout=10).status_code == 200  # SECURE_REDIRECT_EXEMPT
