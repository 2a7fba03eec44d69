"""Worker processes: a file that hangs, crashes or eats memory costs only itself."""

from __future__ import annotations

import ctypes
import os
import time
from multiprocessing.connection import Connection

import pytest

from bot.workers import Crew, serve

pytestmark = pytest.mark.timeout(120)


def _worker(conn: Connection, marker: str) -> None:
    """Tasks name what to do: 'ok-N', 'hang', 'crash', 'hog', 'slowwrite', 'fail'. The state a
    worker collects is the list of tasks it completed, returned by finish."""
    state: list[str] = []

    def handle(item: str, untimed) -> str:
        if item == "hang":
            while True:
                time.sleep(1)
        if item == "crash":
            ctypes.string_at(0)  # a segmentation fault, as a broken C parser would cause
        if item == "hog":
            chunks = []
            while True:
                chunks.append(bytearray(64 * 1024 * 1024))
        untimed()
        if item == "slowwrite":
            time.sleep(1.5)  # past the time limit, but after the timed part: allowed
        if item == "fail":
            raise OSError(28, "No space left on device")
        state.append(item)
        return f"{marker}:{item}:{os.getpid()}"

    def finish() -> list[str]:
        return state

    serve(conn, handle, finish)


def crew(processes: int = 2, timeout: float = 1.0) -> Crew:
    return Crew(_worker, ("m",), processes=processes, timeout=timeout, memory_mb=512)


def collected(outcome) -> list[str]:
    return sorted(item for state in outcome.finals for item in state)


def test_every_task_runs_once_and_the_states_come_back() -> None:
    items = [f"ok-{i}" for i in range(20)]
    outcome = crew().run(items)
    assert sorted(outcome.results) == sorted(items)
    assert all(outcome.results[i].startswith(f"m:{i}:") for i in items)
    assert collected(outcome) == sorted(items)
    pids = {r.rsplit(":", 1)[1] for r in outcome.results.values()}
    assert len(pids) == 2 and str(os.getpid()) not in pids  # two processes, not this one
    assert not outcome.failures


@pytest.mark.parametrize(
    ("bad", "reason"),
    [("hang", "timed out after 1 s"), ("crash", "crashed (SIGSEGV)"), ("hog", "MemoryError")],
)
def test_a_bad_task_is_given_up_and_the_work_of_its_worker_redone(bad: str, reason: str) -> None:
    items = [f"ok-{i}" for i in range(6)] + [bad] + [f"ok-{i}" for i in range(6, 12)]
    outcome = crew(processes=1).run(items)  # one worker: it dies holding completed tasks
    assert list(outcome.failures) == [bad]
    assert reason in outcome.failures[bad]
    good = sorted(i for i in items if i != bad)
    assert sorted(outcome.results) == good
    assert collected(outcome) == good  # each exactly once: the lost state was redone


def test_the_untimed_part_may_take_longer() -> None:
    outcome = crew(timeout=1.0).run(["slowwrite", "ok-1"])
    assert not outcome.failures and collected(outcome) == ["ok-1", "slowwrite"]


def test_a_failure_of_the_handler_fails_the_run() -> None:
    with pytest.raises(OSError, match="No space left"):
        crew().run(["ok-1", "fail", "ok-2"])


def test_progress_is_reported_per_task() -> None:
    seen: list[str] = []
    crew().run(["ok-1", "ok-2", "ok-3"], lambda item, result: seen.append(item))
    assert sorted(seen) == ["ok-1", "ok-2", "ok-3"]
