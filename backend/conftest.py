"""Fixtures shared by every test: API clients, users, and a real mock OpenAI server process."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import RefreshToken

BACKEND_DIR = Path(__file__).resolve().parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until_up(url: str, process: subprocess.Popen, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{process.args} exited with {process.returncode}")
        try:
            if httpx.get(url, timeout=1).status_code < 500:
                return
        except httpx.HTTPError:
            time.sleep(0.1)
    raise RuntimeError(f"{url} did not come up within {timeout}s")


def stop(process: subprocess.Popen) -> None:
    """Stop a server we started, by its own pid (and its workers, in its process group)."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


@pytest.fixture(scope="session")
def mock_llm_process():
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "mockllm", "--port", str(port)],
        cwd=BACKEND_DIR,
        start_new_session=True,
    )
    try:
        wait_until_up(f"http://127.0.0.1:{port}/health", process)
        yield f"http://127.0.0.1:{port}"
    finally:
        stop(process)


@pytest.fixture
def mock_llm(mock_llm_process, settings):
    """The mock OpenAI server, with the API pointed at it and its request log cleared."""
    settings.OPENAI_BASE_URL = f"{mock_llm_process}/v1"
    settings.OPENAI_API_KEY = "sk-test"
    httpx.delete(f"{mock_llm_process}/_mock/requests")
    return MockLLM(mock_llm_process)


class MockLLM:
    def __init__(self, url: str):
        self.url = url
        self.base_url = f"{url}/v1"

    def requests(self) -> list[dict]:
        return httpx.get(f"{self.url}/_mock/requests").json()

    def last_messages(self) -> list[dict]:
        return self.requests()[-1]["body"]["messages"]


@pytest.fixture(autouse=True)
def _fast_and_unthrottled(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.AUTH_THROTTLE_RATE = "10000/minute"
    settings.CHAT_DAILY_LIMIT = 5
    # Nothing in the tests may reach the real OpenAI: unreachable unless a test points it at the mock.
    settings.OPENAI_BASE_URL = "http://127.0.0.1:9/v1"


@pytest.fixture(autouse=True)
def _clear_cache():
    from django.core.cache import cache

    cache.clear()


@pytest.fixture
def api_client() -> APIClient:
    return APIClient()


def bearer_client(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {RefreshToken.for_user(user).access_token}")
    return client


@pytest.fixture
def user(db):
    from chat.tests.factories import UserFactory

    return UserFactory()


@pytest.fixture
def client_for():
    return bearer_client


@pytest.fixture
def auth_client(user) -> APIClient:
    return bearer_client(user)


def database_url() -> str:
    """The URL of the database the tests are using, for server processes started by a test."""
    from django.db import connection

    conf = connection.settings_dict
    if conf["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{conf['NAME']}"
    credentials = conf["USER"] + (f":{conf['PASSWORD']}" if conf["PASSWORD"] else "")
    return f"postgres://{credentials}@{conf['HOST'] or '127.0.0.1'}:{conf['PORT'] or 5432}/{conf['NAME']}"


class ApiServer:
    def __init__(self, process: subprocess.Popen, url: str):
        self.process = process
        self.url = url

    def stop(self) -> None:
        stop(self.process)


@pytest.fixture
def api_server(mock_llm_process):
    """Start `make serve`'s server (gunicorn, uvicorn workers) on the test database; stopped by pid."""
    started: list[ApiServer] = []

    def start(*, workers: int = 2, **env_overrides: str) -> ApiServer:
        port = free_port()
        env = {
            **os.environ,
            "PORT": str(port),
            "HOST": "127.0.0.1",
            "WEB_CONCURRENCY": str(workers),
            "DATABASE_URL": database_url(),
            "OPENAI_BASE_URL": f"{mock_llm_process}/v1",
            "OPENAI_API_KEY": "sk-test",
            "DJANGO_SECURE_SSL_REDIRECT": "false",
            "ACCESS_LOG": "false",
            **env_overrides,
        }
        process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "config.asgi:application"],
            cwd=BACKEND_DIR,
            env=env,
            start_new_session=True,
        )
        server = ApiServer(process, f"http://127.0.0.1:{port}")
        started.append(server)
        wait_until_up(f"{server.url}/api/health/", process)
        return server

    yield start
    for server in started:
        server.stop()
