"""Fixtures shared by every test: API clients, users, and a real mock OpenAI server process."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import RefreshToken

from testsupport.servers import Server, start_api, start_mock_llm


@pytest.fixture(scope="session")
def mock_llm_process():
    server = start_mock_llm()
    yield server.url
    server.stop()


def module_api_server(**options):
    """A module-scoped fixture: `make serve`'s server (`start_api`, with `options`) on the tests'
    database, pointed at the mock OpenAI server; each test still gets an emptied database."""

    @pytest.fixture(scope="module")
    def server(django_db_setup, django_db_blocker, mock_llm_process):
        with django_db_blocker.unblock():
            url = database_url()
        started = start_api(database_url=url, openai_base_url=f"{mock_llm_process}/v1", **options)
        yield started
        started.stop()

    return server


@pytest.fixture
def mock_llm(mock_llm_process, settings):
    """The mock OpenAI server, with the API pointed at it and its request log cleared."""
    mock = MockLLM(mock_llm_process)
    settings.OPENAI_BASE_URL = mock.base_url
    settings.OPENAI_API_KEY = "sk-test"
    httpx.delete(f"{mock.url}/_mock/requests")
    return mock


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
    settings.CHAT_CREATE_THROTTLE_RATE = "10000/minute"
    settings.CHAT_DAILY_LIMIT = 5
    # Nothing in the tests may reach the real OpenAI: unreachable unless a test points it at the mock.
    settings.OPENAI_BASE_URL = "http://127.0.0.1:9/v1"
    # Nor GitHub or Kakao: the social-login tests point these at the fake provider (fakeoauth).
    settings.GITHUB_URL = "http://127.0.0.1:9/github"
    settings.KAKAO_AUTH_URL = settings.KAKAO_API_URL = "http://127.0.0.1:9/kakao"
    settings.GITHUB_CLIENT_ID = settings.KAKAO_CLIENT_ID = ""
    settings.SOCIAL_START_THROTTLE_RATE = "10000/minute"


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
    from accounts.tests.factories import UserFactory

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


@pytest.fixture
def api_server(mock_llm_process):
    """Start `make serve`'s server (gunicorn, uvicorn workers) on the test database; stopped by pid."""
    started: list[Server] = []

    def start(
        *, workers: int = 2, log_path: Path | None = None, tasks_worker: bool = False, **env_overrides: str
    ) -> Server:
        server = start_api(
            database_url=database_url(),
            openai_base_url=f"{mock_llm_process}/v1",
            workers=workers,
            log_path=log_path,
            tasks_worker=tasks_worker,
            **env_overrides,
        )
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


@pytest.fixture
def shipped_personas(db):
    """The personas the service ships with. They come from a data migration, which the flush after
    any `transaction=True` test empties, so tests that need them ask for this."""
    import importlib

    from django.apps import apps

    importlib.import_module("chat.migrations.0005_ship_personas").ship(apps, None)
