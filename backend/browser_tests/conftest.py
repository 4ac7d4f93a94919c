"""Browser tests: Playwright driving Chromium against a real API process, the SPA and the mock OpenAI server."""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from accounts.tests.factories import PASSWORD
from testsupport.servers import Server, free_port, start_fake_oauth, stop, wait_until_up

FRONTEND = Path(__file__).resolve().parents[2] / "frontend"
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-results" / "screenshots"
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
MIDNIGHT_MARGIN = 90  # seconds
NO_BROWSER = (
    "no Chromium found (install Debian's chromium, or run `playwright install chromium`): browser tests skipped"
)


def system_chromium() -> str | None:
    for candidate in (os.environ.get("CHROMIUM_PATH"), shutil.which("chromium"), shutil.which("chromium-browser")):
        if candidate and Path(candidate).exists():
            return candidate
    return None


@pytest.fixture(scope="module")
def browser(django_db_setup):
    from playwright.sync_api import Error, sync_playwright

    # Playwright's sync API keeps an event loop running in this thread; the tests' own ORM calls
    # (set-up and checks, not the server under test) stay synchronous, so Django must allow them.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as playwright:
        path = system_chromium()
        try:
            if path:
                browser = playwright.chromium.launch(executable_path=path, args=CHROMIUM_FLAGS)
            else:  # Playwright's own build, if `playwright install chromium` managed to fetch it
                browser = playwright.chromium.launch(args=CHROMIUM_FLAGS)
        except Error:
            pytest.skip(NO_BROWSER)
        yield browser
        browser.close()
    if previous is None:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE")


@pytest.fixture(scope="session")
def spa_server():
    """The SPA exactly as deployed: static files, no build step."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1", "--directory", str(FRONTEND)],
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    wait_until_up(f"http://127.0.0.1:{port}/index.html", process)
    yield Server(process, f"http://127.0.0.1:{port}")
    stop(process)


@pytest.fixture
def app(browser, spa_server, api_server, request):
    """A fresh browser page on the SPA, its config.js pointed at a fresh API process."""

    def open_app(*, viewport=None, locale="en-US", **api_env) -> tuple:
        # A test that reads the mail (`log_path`) gets the worker that sends it, as `make run` has.
        api = api_server(
            workers=1,
            CORS_ALLOWED_ORIGINS=spa_server.url,
            AUTH_THROTTLE_RATE="1000/minute",
            tasks_worker="log_path" in api_env,
            **api_env,
        )
        # The browser's language picks the SPA's (English unless a test asks for another).
        context = browser.new_context(viewport=viewport or {"width": 1200, "height": 800}, locale=locale)
        request.addfinalizer(context.close)
        page = context.new_page()
        page.route(
            "**/config.js",
            lambda route: route.fulfill(
                content_type="text/javascript", body=f'export const API_BASE_URL = "{api.url}";\n'
            ),
        )
        page.set_default_timeout(10_000)
        page.goto(spa_server.url)
        return page, api

    return open_app


@pytest.fixture(scope="session")
def fake_oauth():
    """The fake GitHub and Kakao (fakeoauth), with their consent pages."""
    server = start_fake_oauth()
    yield server
    server.stop()


@pytest.fixture
def social_app(app, fake_oauth, spa_server):
    """`app` with GitHub and Kakao enabled against the fake provider, coming back to the SPA."""

    def open_app(**options) -> tuple:
        return app(
            GITHUB_CLIENT_ID="fake-github-app",
            GITHUB_CLIENT_SECRET="fake",
            GITHUB_URL=f"{fake_oauth.url}/github",
            KAKAO_CLIENT_ID="fake-kakao-app",
            KAKAO_AUTH_URL=f"{fake_oauth.url}/kakao",
            KAKAO_API_URL=f"{fake_oauth.url}/kakao",
            SOCIAL_LOGIN_REDIRECT_URL=f"{spa_server.url}/",
            SPA_URL=f"{spa_server.url}/",
            **options,
        )

    return open_app


class MailLog:
    """The mails an API server printed (console backend) into its log file, `app(log_path=...)`."""

    RULE = "-" * 72

    def __init__(self, path: Path):
        self.path = path

    def mails_to(self, address: str) -> list[str]:
        text = self.path.read_text(encoding="utf-8", errors="replace") if self.path.exists() else ""
        return [block for block in text.split(self.RULE) if f"Mail to {address}\n" in block]

    def link(self, address: str, route: str, *, timeout: float = 10) -> str:
        """The SPA link `...#/<route>/...` of the newest mail to `address`, waiting for it to be sent
        (mail leaves on a background thread of the server)."""
        pattern = re.compile(rf"http://\S+#/{route}/\S+")
        deadline = time.monotonic() + timeout
        while True:
            links = [match for block in self.mails_to(address) for match in pattern.findall(block)]
            if links:
                return links[-1]
            if time.monotonic() > deadline:
                raise AssertionError(f"no mail to {address} with a #/{route}/ link in {self.path}")
            time.sleep(0.1)


@pytest.fixture
def mail_log(tmp_path) -> MailLog:
    return MailLog(tmp_path / "api-server.log")


def screenshot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def log_in(page, user):
    from playwright.sync_api import expect

    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()


def open_chat(app, chat, **app_options):
    """Log the chat's owner in and open the chat."""
    page, api = app(**app_options)
    log_in(page, chat.user)
    page.get_by_role("list", name="Your chats").get_by_role("link", name=chat.title).click()
    return page, api


def send(page, text):
    page.get_by_label("Message").fill(text)
    page.get_by_label("Message").press("Enter")


@pytest.fixture(autouse=True)
def _server_readable_passwords(settings):
    # Users made by the tests log in through a server process, which knows Django's real hashers only.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.PBKDF2PasswordHasher"]


@pytest.fixture(autouse=True)
def _clear_of_midnight():
    """The quota day turns at the server's midnight: a test begun in the day's last minute would see
    its counts and "resets in N hours" change halfway. It waits for the new day instead (once a day
    at most, for at most `MIDNIGHT_MARGIN` seconds): a browser test takes well under that."""
    from django.utils import timezone

    now = timezone.localtime()
    midnight = (now + dt.timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    if (left := (midnight - now).total_seconds()) < MIDNIGHT_MARGIN:
        time.sleep(left + 1)
