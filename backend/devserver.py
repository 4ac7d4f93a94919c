"""`make run`: the API on :8000, the SPA on :5173, the background tasks' worker and, for what has no
real keys, the bundled fakes.

Without OPENAI_API_KEY the mock OpenAI server answers; without GITHUB_CLIENT_ID / KAKAO_CLIENT_ID
that provider logs people in through the fake OAuth provider (its consent page lets you pick who).

Stops everything on Ctrl-C, or when any of them exits.
"""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import environ

BACKEND = Path(__file__).resolve().parent
REPO = BACKEND.parent
API_PORT = os.environ.get("API_PORT", "8000")
SPA_PORT = os.environ.get("SPA_PORT", "5173")
MOCK_PORT = os.environ.get("MOCKLLM_PORT", "9000")
FAKEOAUTH_PORT = os.environ.get("FAKEOAUTH_PORT", "9100")


def main() -> int:
    environ.Env.read_env(REPO / ".env", overwrite=False)
    env = {**os.environ}
    # Local development is plain HTTP on loopback: no redirect to HTTPS, no HSTS.
    env.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
    commands = []
    if not env.get("OPENAI_API_KEY"):
        env["OPENAI_BASE_URL"] = f"http://127.0.0.1:{MOCK_PORT}/v1"
        print(f"No OPENAI_API_KEY set: using the bundled mock OpenAI server at {env['OPENAI_BASE_URL']}", flush=True)
        commands.append([sys.executable, "-m", "mockllm", "--port", MOCK_PORT])
    fake = f"http://127.0.0.1:{FAKEOAUTH_PORT}"
    fakes = {
        "GitHub": {
            "GITHUB_CLIENT_ID": "fake-github-app",
            "GITHUB_CLIENT_SECRET": "fake",
            "GITHUB_URL": f"{fake}/github",
        },
        "Kakao": {
            "KAKAO_CLIENT_ID": "fake-kakao-app",
            "KAKAO_AUTH_URL": f"{fake}/kakao",
            "KAKAO_API_URL": f"{fake}/kakao",
        },
    }
    faked = [name for name in fakes if not env.get(f"{name.upper()}_CLIENT_ID")]
    if faked:
        for name in faked:
            env.update(fakes[name])
        print(
            f"No client id for {' and '.join(faked)}: their login uses the bundled fake provider at {fake}", flush=True
        )
        commands.append([sys.executable, "-m", "fakeoauth", "--port", FAKEOAUTH_PORT])
    commands.append(
        [sys.executable, "-m", "uvicorn", "config.asgi:application", "--host", "127.0.0.1", "--port", API_PORT]
    )
    # The background tasks (mail, chat titles): queued in the database, run by this worker.
    commands.append([sys.executable, "manage.py", "run_tasks"])
    commands.append(
        [sys.executable, "-m", "http.server", SPA_PORT, "--bind", "127.0.0.1", "--directory", str(REPO / "frontend")]
    )
    processes = [subprocess.Popen(command, cwd=BACKEND, env=env) for command in commands]  # noqa: S603
    print(f"API  http://127.0.0.1:{API_PORT}/api/docs/", flush=True)
    print(f"SPA  http://127.0.0.1:{SPA_PORT}/", flush=True)

    def stop_all(*_):
        for process in processes:
            if process.poll() is None:
                process.terminate()
        for process in processes:
            process.wait(timeout=10)

    signal.signal(signal.SIGTERM, lambda *_: (stop_all(), sys.exit(0)))
    try:
        while all(process.poll() is None for process in processes):
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    stop_all()
    return 0


if __name__ == "__main__":
    sys.exit(main())
