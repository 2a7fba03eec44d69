"""CPU time and peak memory of a process and everything below it, for the benchmarks.

Sampled from /proc (Linux): the index build's workers are children of multiprocessing's fork
server, itself a child of the process that builds, so neither ru_maxrss of RUSAGE_SELF nor
that of RUSAGE_CHILDREN (which counts only children already reaped) sees them while they run.
A process keeps its last sample after it exits, so what a worker did before it exited counts.
"""

from __future__ import annotations

import contextlib
import os
import threading
from dataclasses import dataclass
from pathlib import Path

SAMPLE_SECONDS = 0.05


def peak_mb(pid: int | str) -> float | None:
    """VmHWM: the most resident memory the process has had."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except (OSError, ValueError):
        return None
    return None


def _children(pid: int) -> list[int]:
    found: list[int] = []
    with contextlib.suppress(OSError):
        for tid in os.listdir(f"/proc/{pid}/task"):
            with contextlib.suppress(OSError, ValueError):
                text = Path(f"/proc/{pid}/task/{tid}/children").read_text()
                found += [int(x) for x in text.split()]
    return found


def _cpu_seconds(pid: int) -> float | None:
    """User + system CPU time of a process so far (/proc/PID/stat fields 14 and 15)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None


@dataclass(frozen=True)
class Proc:
    """One process as last sampled."""

    depth: int  # 0: this process; 1: its children (fork server, resource tracker); 2: workers
    peak_mb: float  # VmHWM
    cpu_s: float


class ProcessWatcher:
    """Peak resident memory (VmHWM) and CPU time of this process and every process below it,
    sampled: the build's workers are children of multiprocessing's fork server, a child of
    this process. A process that has exited keeps its last sample."""

    def __init__(self, interval: float = SAMPLE_SECONDS) -> None:
        self.interval = interval
        self._procs: dict[int, Proc] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> ProcessWatcher:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.snapshot()

    def snapshot(self) -> dict[int, Proc]:
        """Sample now; every process seen so far, pid -> its latest state."""
        with self._lock:
            level, depth = [os.getpid()], 0
            while level and depth < 4:
                for pid in level:
                    mb, cpu = peak_mb(pid), _cpu_seconds(pid)
                    if mb is not None and cpu is not None:
                        old = self._procs.get(pid)
                        self._procs[pid] = Proc(depth, max(mb, old.peak_mb if old else 0.0), cpu)
                depth += 1
                level = [c for pid in level for c in _children(pid)]
            return dict(self._procs)


def peaks_at(procs: dict[int, Proc], depth: int) -> list[float]:
    """Peaks of the processes at this depth, largest first."""
    return sorted((p.peak_mb for p in procs.values() if p.depth == depth), reverse=True)


def cpu_used(before: dict[int, Proc], after: dict[int, Proc]) -> dict[int, float]:
    """CPU seconds each process used between two snapshots."""
    return {
        pid: p.cpu_s - (before[pid].cpu_s if pid in before else 0.0) for pid, p in after.items()
    }


def cpu_between(before: dict[int, Proc], after: dict[int, Proc]) -> dict[str, list[float]]:
    """CPU seconds the parent and each worker used between two snapshots."""
    used = cpu_used(before, after)
    return {
        "parent": [used[pid] for pid, p in after.items() if p.depth == 0],
        "workers": sorted(
            (used[pid] for pid, p in after.items() if p.depth == 2 and used[pid] > 0.005),
            reverse=True,
        ),
    }
