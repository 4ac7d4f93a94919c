"""`python -m benchmarks.profile_worker`: py-spy one API worker while it relays streams as models send them.

Starts the mock and the API (as `make bench` does, one worker so one profile sees it all), sends
`--sends` streamed messages (replies of `--words` chunks `--delay` seconds apart, `--in-flight` at
a time) and records the worker with `py-spy record` (raw samples, idle ones dropped) into `--out`;
it prints the worker's CPU per send and per chunk over the run (`--no-spy`: the CPU alone, for an
A/B of two versions run in turn). py-spy must be installed (requirements-dev.txt) and allowed to
attach (root, or ptrace allowed).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.cpu_books import cpu_of
from benchmarks.environment import configure_django, seed, servers
from benchmarks.traffic import api_request, load
from testsupport.servers import child_pids


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sends", type=int, default=200)
    parser.add_argument("--in-flight", type=int, default=16)
    parser.add_argument("--words", type=int, default=50)
    parser.add_argument("--delay", type=float, default=0.04)
    parser.add_argument("--out", default="profile.txt", help="py-spy's raw (collapsed stacks) output")
    parser.add_argument("--no-spy", action="store_true", help="no profile: the worker's CPU only")
    parser.add_argument(
        "--gil", action="store_true", help="sample only the thread holding the GIL: where the Python CPU goes"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        database_url = os.environ.get("BENCH_DATABASE_URL") or f"sqlite:///{scratch}/profile.sqlite3"
        configure_django(database_url)
        senders = seed(args.sends + 20, chats_for_history=1, turns=1)["senders"]
        content = f"[[mock:words={args.words}]] [[mock:chunk_delay={args.delay:g}]] profile"
        with servers(database_url, workers=1) as (_, api):
            warm = [api_request(api.url, s, content, stream=True, close=False) for s in senders[:20]]
            load(api.url, "api", warm, concurrency=4)
            (worker,) = child_pids(api.pid)
            spy = None
            if not args.no_spy:
                py_spy = Path(sys.executable).with_name("py-spy")  # the venv's, without it on PATH
                command = [
                    str(py_spy),
                    "record",
                    "--pid",
                    str(worker),
                    "--format",
                    "raw",
                    "--rate",
                    "250",
                    *(["--gil"] if args.gil else []),
                ]
                spy = subprocess.Popen([*command, "--output", args.out], stdout=subprocess.DEVNULL)
                time.sleep(1.0)
            requests = [api_request(api.url, s, content, stream=True, close=False) for s in senders[20:]]
            before = cpu_of(worker)
            result = load(api.url, "api", requests, concurrency=args.in_flight)
            used = cpu_of(worker) - before
            if spy is not None:
                spy.send_signal(2)
                spy.wait(timeout=30)
    print(
        f"{result['completed']}/{len(requests)} streams, {result['deltas']} chunks; worker CPU {used:.2f} s: "
        f"{used / len(requests) * 1000:.2f} ms a send, {used / max(result['deltas'], 1) * 1000:.3f} ms a chunk"
        + ("" if spy is None else f"; profile in {args.out}")
    )


if __name__ == "__main__":
    main()
