"""Per-IP limits on logging in: who the client is, and that the limit is one limit across workers."""

import runpy
from pathlib import Path

import httpx
import pytest

from accounts.tests.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)
BACKEND = Path(__file__).resolve().parents[2]


def wrong_logins(server, count: int, *, forwarded_for=lambda n: f"203.0.113.{n}") -> list[int]:
    statuses = []
    with httpx.Client(base_url=server.url, timeout=10) as client:
        for n in range(count):
            response = client.post(
                "/api/v1/auth/token/",
                json={"email": "someone@example.com", "password": f"guess {n}"},
                headers={"X-Forwarded-For": forwarded_for(n)},
            )
            statuses.append(response.status_code)
    return statuses


def test_a_client_cannot_escape_the_login_limit_by_writing_x_forwarded_for(api_server):
    """Probe finding 2: 25 of 25 wrong logins from "different" addresses got through, and two
    workers without Redis each counted alone."""
    server = api_server(workers=2, AUTH_THROTTLE_RATE="10/minute")

    statuses = wrong_logins(server, 25)

    assert statuses[:10] == [401] * 10
    assert statuses[10:] == [429] * 15


def test_behind_one_proxy_the_client_is_the_address_the_proxy_appended(api_server):
    server = api_server(workers=2, AUTH_THROTTLE_RATE="10/minute", NUM_PROXIES="1")

    # The client forges the left part; the proxy appends the real address on the right.
    same_client = wrong_logins(server, 12, forwarded_for=lambda n: f"10.0.0.{n}, 198.51.100.7")
    other_client = wrong_logins(server, 1, forwarded_for=lambda n: "198.51.100.8")

    assert same_client == [401] * 10 + [429] * 2
    assert other_client == [401]


def test_the_admin_login_page_has_the_same_per_ip_limit(api_server):
    """Probe finding 9: /admin/login/ took unlimited password guesses."""
    server = api_server(workers=2, AUTH_THROTTLE_RATE="5/minute")
    UserFactory(email="admin@example.com", is_staff=True, is_superuser=True)

    statuses = []
    with httpx.Client(base_url=server.url, timeout=10) as client:
        page = client.get("/admin/login/")
        client.cookies.clear()
        token = page.cookies["csrftoken"]
        for n in range(8):
            response = client.post(
                "/admin/login/",
                data={"username": "admin@example.com", "password": f"guess {n}", "csrfmiddlewaretoken": token},
                # The cookie is `Secure` (production settings), so a client over plain HTTP sends it by hand.
                headers={"Referer": f"{server.url}/admin/login/", "Cookie": f"csrftoken={token}"},
            )
            statuses.append(response.status_code)

    assert statuses[:5] == [200] * 5  # the form again, with "please enter a correct email and password"
    assert statuses[5:] == [429] * 3


def test_make_serve_listens_on_loopback_unless_told_otherwise(monkeypatch):
    monkeypatch.delenv("HOST", raising=False)
    assert runpy.run_path(str(BACKEND / "gunicorn.conf.py"))["bind"].startswith("127.0.0.1:")

    monkeypatch.setenv("HOST", "0.0.0.0")  # noqa: S104 - what a container sets
    assert runpy.run_path(str(BACKEND / "gunicorn.conf.py"))["bind"].startswith("0.0.0.0:")
