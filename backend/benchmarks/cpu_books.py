"""CPU and memory from the processes' own books in /proc: the servers', per process and per phase."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

from testsupport.servers import Server, child_pids

PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")
TICKS = os.sysconf("SC_CLK_TCK")


def cpu_of(pid: int) -> float | None:
    """utime + stime of one process, in seconds (None if it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / TICKS  # fields 14 and 15 of stat


def machine_ticks() -> tuple[int, int]:
    """All cores' busy and total clock ticks so far (/proc/stat; iowait counts as idle)."""
    ticks = [int(n) for n in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    total = sum(ticks[:8])  # guest time is already in user
    return total - ticks[3] - ticks[4], total


class Books:
    """CPU seconds of the API (gunicorn master and its workers) and of the mock, per process."""

    def __init__(self, api: Server, mock: Server):
        self.api_master, self.mock_pid = api.pid, mock.pid

    def sample(self) -> dict:
        api = {pid: cpu_of(pid) for pid in [self.api_master, *child_pids(self.api_master)]}
        return {
            "api": {p: c for p, c in api.items() if c is not None},
            "mock": {self.mock_pid: cpu_of(self.mock_pid)},
            "machine": machine_ticks(),
        }

    @staticmethod
    def spent(before: dict, after: dict) -> tuple[float, set]:
        """CPU seconds between two samples, and the processes that went away meanwhile (their CPU is lost)."""
        return sum(cpu - before.get(pid, 0.0) for pid, cpu in after.items()), set(before) - set(after)

    def measure(self, run):
        """Run a phase; CPU of each side over it (sampled once the servers have settled)."""
        before, started = self.sample(), time.perf_counter()
        result = run()
        wall = time.perf_counter() - started
        time.sleep(0.25)  # what the servers still do for the last requests (closing, logging)
        after = self.sample()
        api, api_lost = self.spent(before["api"], after["api"])
        mock, _ = self.spent(before["mock"], after["mock"])
        if api_lost:
            print(f"warning: API processes {sorted(api_lost)} went away during a phase; their CPU is not counted")
        workers = sorted(
            (cpu - before["api"].get(pid, 0.0) for pid, cpu in after["api"].items() if pid != self.api_master),
            reverse=True,
        )
        (busy_before, total_before), (busy_after, total_after) = before["machine"], after["machine"]
        return result, {
            "api": api,
            "api_workers": workers,
            "mock": mock,
            "wall": wall,
            "machine_busy": (busy_after - busy_before) / max(1, total_after - total_before),  # a share of all cores
            "machine_cpu": (busy_after - busy_before) / TICKS,  # CPU seconds, every process and the kernel
        }


class ProcessGroupSampler:
    """CPU seconds and peak resident memory of a server's whole process group (master and workers)."""

    def __init__(self, pgid: int):
        self.pgid = pgid
        self.peak_rss = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _stats(self) -> tuple[float, int]:
        cpu, rss = 0.0, 0
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                fields = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[2]) == self.pgid:  # field 5 of stat: process group
                cpu += (int(fields[11]) + int(fields[12])) / TICKS
                rss += int(fields[21]) * PAGE_SIZE
        return cpu, rss

    def _run(self) -> None:
        while not self._stop.wait(0.2):
            self.peak_rss = max(self.peak_rss, self._stats()[1])

    def __enter__(self):
        self.cpu_start, self.peak_rss = self._stats()
        self.wall_start = time.monotonic()
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        self.cpu_seconds = self._stats()[0] - self.cpu_start
        self.wall_seconds = time.monotonic() - self.wall_start
