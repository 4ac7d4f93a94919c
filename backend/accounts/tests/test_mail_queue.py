"""Mail as a background task: durable across a killed worker, retried when the mail server fails.

The API enqueues on the database backend (as in production); real worker processes
(`manage.py run_tasks`) send through a fake SMTP server or into a mail folder.
"""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult
from rest_framework.test import APIClient

from accounts.tests.factories import UserFactory
from conftest import database_url
from testsupport.fakesmtp import FakeSMTP

pytestmark = pytest.mark.django_db(transaction=True)
BACKEND = Path(__file__).resolve().parents[2]


@pytest.fixture
def queued(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


@pytest.fixture
def worker():
    started: list[subprocess.Popen] = []

    def start(**env: str) -> subprocess.Popen:
        environment = {**os.environ, "DATABASE_URL": database_url(), "LOG_LEVEL": "WARNING", **env}
        environment.pop("DJANGO_SETTINGS_MODULE", None)  # the real settings, as `make serve` runs them
        process = subprocess.Popen(
            [sys.executable, "manage.py", "run_tasks", "--interval", "0.2"],
            cwd=BACKEND,
            env=environment,
            start_new_session=True,
        )
        started.append(process)
        return process

    yield start
    for process in started:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


def wait_for(condition, timeout=30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError("timed out")


def request_reset(email: str) -> None:
    assert APIClient().post("/api/v1/auth/password/reset/", {"email": email}, format="json").status_code in (200, 204)


def test_a_mail_enqueued_outlives_a_worker_killed_while_sending_it(queued, worker, tmp_path):
    UserFactory(email="known@example.com")
    request_reset("known@example.com")
    (task,) = DBTaskResult.objects.all()
    assert task.status == TaskResultStatus.READY  # enqueued with the request, sent by no one yet

    hung = FakeSMTP(hang=True)
    first = worker(EMAIL_URL=f"smtp://127.0.0.1:{hung.port}", EMAIL_TIMEOUT="60")
    wait_for(lambda: DBTaskResult.objects.get().status == TaskResultStatus.RUNNING)
    os.killpg(first.pid, signal.SIGKILL)  # the server restarts mid-send
    first.wait(timeout=10)
    hung.close()

    folder = tmp_path / "mail"
    worker(EMAIL_URL=f"filemail://{folder}", TASKS_STALE_SECONDS="1")
    wait_for(lambda: DBTaskResult.objects.get().status == TaskResultStatus.SUCCESSFUL)

    (sent,) = list(folder.iterdir())
    text = sent.read_text()
    assert text.count("Subject: Reset your password") == 1  # arrived, once
    assert "To: known@example.com" in text


def test_a_failing_mail_server_is_retried_with_backoff_until_the_mail_leaves(queued, worker):
    UserFactory(email="known@example.com")
    server = FakeSMTP(drop_first=2)  # down for two attempts
    worker(EMAIL_URL=f"smtp://127.0.0.1:{server.port}", TASKS_RETRY_SECONDS="0.3")

    request_reset("known@example.com")

    wait_for(lambda: len(server.messages) == 1)
    wait_for(lambda: DBTaskResult.objects.filter(status=TaskResultStatus.SUCCESSFUL).exists())
    attempts = DBTaskResult.objects.order_by("enqueued_at")
    assert [a.status for a in attempts] == ["FAILED", "FAILED", "SUCCESSFUL"]
    assert [a.args_kwargs["kwargs"].get("attempt", 1) for a in attempts] == [1, 2, 3]
    assert attempts[1].run_after > attempts[0].finished_at  # after a delay, not at once
    assert b"Subject: Reset your password" in server.messages[0]
    server.close()


def test_a_mail_that_keeps_failing_stops_after_the_last_attempt(queued, worker):
    UserFactory(email="known@example.com")
    server = FakeSMTP(drop_first=100)
    worker(EMAIL_URL=f"smtp://127.0.0.1:{server.port}", TASKS_RETRY_SECONDS="0.1", TASKS_MAX_ATTEMPTS="3")

    request_reset("known@example.com")

    wait_for(lambda: DBTaskResult.objects.filter(status=TaskResultStatus.FAILED).count() == 3)
    time.sleep(1.0)
    assert DBTaskResult.objects.count() == 3  # no fourth
    assert server.connections == 3
    server.close()


def test_a_queued_link_mail_holds_no_working_link_until_the_worker_makes_it(queued, worker, tmp_path):
    user = UserFactory(email="known@example.com", email_verified=False)
    request_reset("known@example.com")
    (task,) = DBTaskResult.objects.all()
    assert task.args_kwargs["kwargs"] == {"kind": "reset", "user_id": user.pk}  # nothing that works as a link

    folder = tmp_path / "mail"
    worker(EMAIL_URL=f"filemail://{folder}")
    wait_for(lambda: DBTaskResult.objects.get().status == TaskResultStatus.SUCCESSFUL)
    (sent,) = list(folder.iterdir())
    text = sent.read_text()
    link = next(line for line in text.splitlines() if "#/reset-password/" in line)
    uid, token = link.rsplit("#/reset-password/", 1)[1].strip().split("/")
    answer = APIClient().post(
        "/api/v1/auth/password/reset/confirm/",
        {"uid": uid, "token": token, "new_password": "a-new-Passw0rd-42"},
        format="json",
    )
    assert answer.status_code in (200, 204), answer.content  # the worker's link works
