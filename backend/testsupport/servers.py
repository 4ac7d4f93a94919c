"""Server processes for tests and benchmarks: free loopback ports, start, wait, stop by pid."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

BACKEND_DIR = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def child_pids(pid: int) -> list[int]:
    """The processes whose parent is `pid` (a gunicorn master's workers), from /proc."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                fields = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:  # field 4 of stat: parent
                found.append(int(entry))
    return found


def wait_until_up(url: str, process: subprocess.Popen, timeout: float = 30) -> None:
    """Until `url` answers; a 503 counts (a health check reporting a dependency down is up itself)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{process.args} exited with {process.returncode}")
        try:
            if httpx.get(url, timeout=1).status_code in (*range(200, 500), 503):
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


class Server:
    def __init__(self, process: subprocess.Popen, url: str):
        self.process = process
        self.url = url
        self.companions: list[subprocess.Popen] = []  # e.g. its background tasks' worker

    @property
    def pid(self) -> int:
        return self.process.pid

    def stop(self) -> None:
        for companion in self.companions:
            stop(companion)
        stop(self.process)


def _start_fake(module: str, *args: str, ready_path: str) -> Server:
    """One of the bundled fakes (`python -m <module> --port N ...`) on a free loopback port."""
    port = free_port()
    process = subprocess.Popen(  # noqa: S603 - our own module, fixed arguments
        [sys.executable, "-m", module, "--port", str(port), *args],
        cwd=BACKEND_DIR,
        start_new_session=True,
        stdout=subprocess.DEVNULL,
    )
    server = Server(process, f"http://127.0.0.1:{port}")
    try:
        wait_until_up(f"{server.url}{ready_path}", process)
    except RuntimeError:
        server.stop()
        raise
    return server


def start_mock_llm(*, latency: float = 0.0, chunk_delay: float = 0.0) -> Server:
    return _start_fake("mockllm", "--latency", str(latency), "--chunk-delay", str(chunk_delay), ready_path="/health")


def start_fake_oauth() -> Server:
    """The fake GitHub and Kakao (fakeoauth); `.url` + "/github" and + "/kakao" are their base URLs."""
    return _start_fake("fakeoauth", ready_path="/_fake/requests")


def start_api(
    *,
    database_url: str,
    openai_base_url: str,
    workers: int = 2,
    log_path: Path | None = None,
    tasks_worker: bool = False,
    **env_overrides: str,
) -> Server:
    """`make serve`'s server (gunicorn with uvicorn workers) on loopback.

    With `log_path`, its stdout and stderr are appended to that file (the mails the console
    backend prints, for one); otherwise they are this process's own. With `tasks_worker`, the
    background tasks' worker (`manage.py run_tasks`, which sends the mail) runs beside it, on the
    same environment and log.
    """
    port = free_port()
    env = {
        **os.environ,
        "PORT": str(port),
        "HOST": "127.0.0.1",
        "WEB_CONCURRENCY": str(workers),
        "DATABASE_URL": database_url,
        "OPENAI_BASE_URL": openai_base_url,
        "OPENAI_API_KEY": "sk-test",
        "DJANGO_SECURE_SSL_REDIRECT": "false",
        "DJANGO_SECURE_COOKIES": "false",
        "ACCESS_LOG": "false",
        "LOG_LEVEL": "WARNING",
        **env_overrides,
    }
    env.pop("DJANGO_SETTINGS_MODULE", None)  # the real settings, as in production
    with open(log_path, "ab") if log_path else contextlib.nullcontext() as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "config.asgi:application"],
            cwd=BACKEND_DIR,
            env=env,
            start_new_session=True,
            stdout=log,
            stderr=log,
        )
        server = Server(process, f"http://127.0.0.1:{port}")
        if tasks_worker:
            server.companions.append(
                subprocess.Popen(
                    [sys.executable, "manage.py", "run_tasks", "--interval", "0.2"],
                    cwd=BACKEND_DIR,
                    env=env,
                    start_new_session=True,
                    stdout=log,
                    stderr=log,
                )
            )
    try:
        wait_until_up(f"{server.url}/api/health/", process, timeout=60)
    except RuntimeError:
        server.stop()
        raise
    return server
