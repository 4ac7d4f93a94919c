"""When a dependency breaks: real failures (a closed port, a Redis stopped and restarted, a
PostgreSQL database that refuses connections) under a running `make serve`."""

import shutil
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from django.db import connection
from prometheus_client.parser import text_string_to_metric_families

from accounts.tests.factories import PASSWORD, UserFactory
from chat.models import DailyUsage, QuotaReservation, Reply
from chat.tests.factories import ChatBotFactory
from conftest import bearer_client
from testsupport.servers import free_port

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _server_readable_passwords(settings):
    # Users made here log in through a server process, which knows Django's real hashers only.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.PBKDF2PasswordHasher"]


def login(server, user, password=PASSWORD) -> int:
    return httpx.post(
        f"{server.url}/api/v1/auth/token/", json={"email": user.email, "password": password}, timeout=10
    ).status_code


def test_a_redis_that_cannot_be_reached_locks_nobody_out(api_server, caplog):
    server = api_server(workers=1, REDIS_URL=f"redis://127.0.0.1:{free_port()}/0", AUTH_THROTTLE_RATE="3/minute")
    user = UserFactory()

    logins = [login(server, user) for _ in range(5)]
    signup = httpx.post(
        f"{server.url}/api/v1/auth/signup/", json={"email": "new@example.com", "password": PASSWORD}, timeout=10
    )
    refresh = httpx.post(
        f"{server.url}/api/v1/auth/token/refresh/",
        json={
            "refresh": httpx.post(
                f"{server.url}/api/v1/auth/token/", json={"email": user.email, "password": PASSWORD}
            ).json()["refresh"]
        },
        timeout=10,
    )
    health = httpx.get(f"{server.url}/api/health/", timeout=10)
    serving = httpx.get(f"{server.url}/api/health/?require=database", timeout=10)

    assert logins == [200] * 5  # the throttle fails open
    assert signup.status_code == 201
    assert refresh.status_code == 200
    assert health.status_code == 503
    assert health.json() == {"status": "unavailable", "database": "ok", "cache": "unavailable"}
    assert serving.status_code == 200  # what the load balancer asks: keep sending traffic here


@pytest.fixture
def redis_server():
    """A real Redis on a free port, which the test may stop and start again."""
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("redis-server is not installed")
    port = free_port()
    command = [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
    processes = []

    class Redis:
        url = f"redis://127.0.0.1:{port}/0"

        def start(self):
            process = subprocess.Popen(command, stdout=subprocess.DEVNULL)
            processes.append(process)
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:
                try:
                    import socket

                    socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                    return
                except OSError:
                    time.sleep(0.05)
            raise RuntimeError("redis-server did not start")

        def stop(self):
            processes[-1].terminate()
            processes[-1].wait(10)

    redis = Redis()
    redis.start()
    yield redis
    for process in processes:
        if process.poll() is None:
            process.terminate()
            process.wait(10)


def test_a_redis_outage_fails_open_and_the_limit_returns_with_redis_without_a_restart(api_server, redis_server):
    server = api_server(workers=2, REDIS_URL=redis_server.url, AUTH_THROTTLE_RATE="3/minute")
    user = UserFactory()

    while_up = [login(server, user) for _ in range(4)]
    redis_server.stop()
    while_down = [login(server, user) for _ in range(4)]
    health_down = httpx.get(f"{server.url}/api/health/", timeout=10)
    redis_server.start()  # empty: it keeps nothing on disk
    after = [login(server, user) for _ in range(4)]
    health_after = httpx.get(f"{server.url}/api/health/", timeout=10)

    assert while_up == [200, 200, 200, 429]
    assert while_down == [200] * 4
    assert health_down.json()["cache"] == "unavailable"
    assert after == [200, 200, 200, 429]
    assert health_after.json() == {"status": "ok", "database": "ok", "cache": "ok"}


@pytest.fixture
def refusing_database():
    """Make the test's PostgreSQL database refuse new connections and drop the ones it has (but ours)."""
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (ALTER DATABASE ... ALLOW_CONNECTIONS)")
    import psycopg

    conf = connection.settings_dict
    name = conf["NAME"]
    # A database cannot lock itself out: this runs from the server's maintenance database.
    admin = psycopg.connect(
        dbname="postgres",
        user=conf["USER"],
        password=conf["PASSWORD"] or None,
        host=conf["HOST"] or "127.0.0.1",
        port=conf["PORT"] or 5432,
        autocommit=True,
    )

    def refuse():
        admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false')
        admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s AND pid <> %s",
            [name, connection.connection.info.backend_pid if connection.connection else 0],
        )

    def allow():
        admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')

    yield refuse, allow
    allow()
    admin.close()


def test_a_database_outage_is_a_json_503_everywhere_and_the_service_recovers_by_itself(api_server, refusing_database):
    refuse, allow = refusing_database
    server = api_server(workers=2, OPENAI_TIMEOUT="2")
    user = UserFactory(daily_limit=50)
    chat = ChatBotFactory(user=user)
    headers = {"Authorization": f"Bearer {bearer_client(user)._credentials['HTTP_AUTHORIZATION'].split()[1]}"}

    def send(content):
        return httpx.post(
            f"{server.url}/api/v1/chats/{chat.pk}/messages/", json={"content": content}, headers=headers, timeout=20
        ).status_code

    assert send("before the outage") == 201
    with ThreadPoolExecutor(6) as pool:
        in_flight = [pool.submit(send, "[[mock:latency=0.8]] caught by the outage") for _ in range(6)]
        time.sleep(0.3)  # reserved, waiting on the model
        refuse()
        during = {
            "list": httpx.get(f"{server.url}/api/v1/chats/", headers=headers, timeout=10),
            "send": httpx.post(
                f"{server.url}/api/v1/chats/{chat.pk}/messages/", json={"content": "x"}, headers=headers, timeout=10
            ),
            "login": httpx.post(
                f"{server.url}/api/v1/auth/token/", json={"email": user.email, "password": PASSWORD}, timeout=10
            ),
            "health": httpx.get(f"{server.url}/api/health/", timeout=10),
        }
        burst = [future.result() for future in in_flight]
    allow()
    time.sleep(0.2)
    after = [send("after the outage") for _ in range(2)]
    listed = httpx.get(f"{server.url}/api/v1/chats/", headers=headers, timeout=10)

    for name, response in during.items():
        assert response.status_code == 503, name
        assert response.headers["content-type"] == "application/json", name
        if name != "health":
            assert response.json()["detail"], name
            assert int(response.headers["retry-after"]) > 0, name
    assert during["health"].json()["database"] == "unavailable"
    assert set(burst) <= {201, 503}
    assert after == [201, 201]
    assert listed.status_code == 200
    # The books balance: every completion counted is a stored reply, and reservations caught by the
    # outage stop counting once they expire (OPENAI_TIMEOUT + 2 s).
    time.sleep(4.2)
    assert DailyUsage.objects.get(user=user).used == Reply.objects.filter(chatbot=chat).count()
    assert Reply.objects.filter(chatbot=chat).count() == 3 + burst.count(201)
    remaining = bearer_client(user).get("/api/v1/auth/me/").json()["quota"]["remaining"]
    assert remaining == 50 - DailyUsage.objects.get(user=user).used
    assert QuotaReservation.objects.filter(expires_at__gt=time_now()).count() == 0


def time_now():
    from django.utils import timezone

    return timezone.now()


def test_metrics_add_up_across_two_workers_and_need_the_token(api_server, mock_llm_process):
    server = api_server(workers=2, METRICS_TOKEN="s3cret-metrics")
    user = UserFactory(daily_limit=2)
    chat = ChatBotFactory(user=user)
    headers = {"Authorization": f"Bearer {bearer_client(user)._credentials['HTTP_AUTHORIZATION'].split()[1]}"}

    def call(method, path, **kwargs):  # a new connection each time, so both workers answer some
        return httpx.request(
            method, f"{server.url}{path}", headers={**headers, "Connection": "close"}, timeout=10, **kwargs
        ).status_code

    statuses = [call("GET", "/api/v1/chats/") for _ in range(6)]
    statuses.append(call("GET", "/api/v1/chats/999999/"))
    statuses += [
        call("POST", f"/api/v1/chats/{chat.pk}/messages/", json={"content": c})
        for c in ("a", "[[mock:status=500]]", "b", "c")
    ]
    with httpx.stream(
        "POST",
        f"{server.url}/api/v1/chats/{chat.pk}/messages/",
        json={"content": "d"},
        headers={**headers, "Accept": "text/event-stream"},
        timeout=10,
    ) as refused_stream:
        statuses.append(refused_stream.status_code)

    hidden = [
        httpx.get(f"{server.url}/api/metrics/", timeout=10).status_code,
        httpx.get(f"{server.url}/api/metrics/", headers={"Authorization": "Bearer wrong"}, timeout=10).status_code,
    ]
    # Prometheus reaches a replica by its address, which is no host name the site serves.
    scrape = httpx.get(
        f"{server.url}/api/metrics/",
        headers={"Authorization": "Bearer s3cret-metrics", "Host": "10.0.3.7:8000"},
        timeout=10,
    )
    assert scrape.status_code == 200
    assert scrape.headers["content-type"].startswith("text/plain")
    text = scrape.text

    def sample(name, **labels):
        for family in text_string_to_metric_families(text):
            for found in family.samples:
                if found.name == name and found.labels == labels:
                    return found.value
        return 0.0

    assert statuses == [200] * 6 + [404, 201, 502, 201, 429, 429]
    assert hidden == [404, 404]
    assert sample("chatbot_http_requests_total", route="api/v1/chats/", method="GET", status="200") == 6
    assert sample("chatbot_http_requests_total", route="api/v1/chats/<int:pk>/", method="GET", status="404") == 1
    messages = "api/v1/chats/<int:pk>/messages/"
    assert sample("chatbot_http_requests_total", route=messages, method="POST", status="201") == 2
    assert sample("chatbot_http_requests_total", route=messages, method="POST", status="429") == 2
    assert sample("chatbot_http_request_duration_seconds_count", route="api/v1/chats/", method="GET") == 6
    assert sample("chatbot_quota_refusals_total") == 2
    assert sample("chatbot_upstream_errors_total", kind="error") == 1
    assert sample("chatbot_upstream_request_duration_seconds_count", mode="plain") == 3
    assert sample("chatbot_tokens_total", kind="completion") == 6  # "Mock reply: a" twice
    assert sample("chatbot_streams_in_flight") == 0


def test_after_a_database_restart_no_request_fails_on_a_pool_threads_old_connection(api_server, refusing_database):
    """Probe 2, loose end 9: each pool thread kept its dead connection and failed one request."""
    refuse, allow = refusing_database
    server = api_server(workers=1, CHAT_DB_THREADS="4")
    user = UserFactory(daily_limit=50)
    chat = ChatBotFactory(user=user)
    headers = {"Authorization": bearer_client(user)._credentials["HTTP_AUTHORIZATION"]}

    def sends(count: int) -> list[int]:
        with ThreadPoolExecutor(4) as pool:  # side by side, so that every pool thread takes some
            return list(
                pool.map(
                    lambda n: (
                        httpx.post(
                            f"{server.url}/api/v1/chats/{chat.pk}/messages/",
                            json={"content": f"[[mock:latency=0.05]] {n}"},
                            headers=headers,
                            timeout=20,
                        ).status_code
                    ),
                    range(count),
                )
            )

    assert sends(8) == [201] * 8
    refuse()  # every connection to the database is ended, as a restart does
    allow()
    time.sleep(0.5)

    assert sends(8) == [201] * 8
