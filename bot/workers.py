"""Worker processes for work that may hang, crash or eat memory: reading files nobody vetted.

A PDF or HTML parser fed a hostile file can crash the process it runs in, loop forever inside C
code where no Python timeout reaches, or allocate gigabytes. So files are read in child
processes, each with a memory ceiling, and the parent gives every file a time limit: a worker
that overruns it or dies is killed and replaced, the file is reported, and the rest goes on.

Workers keep state between tasks (an index segment being written), which counts only once the
parent has collected it with `finish`. When a worker dies, the tasks it had completed since
are therefore given to another worker again; only the file it died on is given up.

Workers start from a fork server (a clean, single-threaded process, so forking is safe even from
the running bot's threads), and die with it when the parent dies (Linux: PR_SET_PDEATHSIG), so
a killed `index` leaves no orphans behind.
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import multiprocessing
import os
import pickle
import resource
import signal
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, wait
from typing import Any

log = logging.getLogger(__name__)

_PRELOAD = ["bot.index", "bot.readers.plaintext"]  # imported once by the fork server
_FINISH_SECONDS = 600.0  # a worker writing out its segment is trusted code, but not forever


def cpu_count() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


def _context() -> multiprocessing.context.BaseContext:
    if "forkserver" in multiprocessing.get_all_start_methods():
        ctx = multiprocessing.get_context("forkserver")
        ctx.set_forkserver_preload(_PRELOAD)
        return ctx
    return multiprocessing.get_context("spawn")


@dataclass(frozen=True)
class Outcome:
    results: dict[str, Any]  # item -> what the worker returned for it
    failures: dict[str, str]  # item -> why it was given up ("timed out after 60 s", ...)
    finals: list[Any]  # each worker's final state, from `finish`


@dataclass
class _Worker:
    process: multiprocessing.process.BaseProcess
    conn: Connection
    item: str | None = None  # the task in hand
    deadline: float | None = None  # when the task in hand times out (None: not timed)
    done: list[str] = field(default_factory=list)  # completed into state not yet collected
    finishing: bool = False
    ready: bool = False  # it started up and said so


class Crew:
    """Run `target(conn, *args)` in up to `processes` workers over a list of items.

    `target` must call `serve()` with its task handler and its finish function.
    """

    def __init__(
        self,
        target: Callable[..., None],
        args: tuple[Any, ...],
        processes: int,
        timeout: float,
        memory_mb: int,
    ) -> None:
        self.target = target
        self.args = args
        self.processes = max(1, processes)
        self.timeout = timeout
        self.memory_mb = memory_mb
        self._ctx = _context()
        self._workers: list[_Worker] = []
        self._lost_finishing = 0
        self._lost_at_start = 0

    def run(
        self, items: Iterable[str], progress: Callable[[str, Any], None] | None = None
    ) -> Outcome:
        queue = deque(items)
        results: dict[str, Any] = {}
        failures: dict[str, str] = {}
        finals: list[Any] = []
        try:
            for _ in range(min(self.processes, len(queue))):
                self._workers.append(self._start())
            while self._workers:
                for worker in self._workers:
                    if worker.item is None and not worker.finishing:
                        if queue:
                            worker.item = queue.popleft()
                            worker.deadline = time.monotonic() + self.timeout
                            worker.conn.send(("task", worker.item))
                        else:
                            worker.finishing = True
                            worker.deadline = time.monotonic() + _FINISH_SECONDS
                            worker.conn.send(("finish",))
                self._wait(queue, results, failures, finals, progress)
        finally:
            self.close()
        return Outcome(results, failures, finals)

    def _wait(
        self,
        queue: deque[str],
        results: dict[str, Any],
        failures: dict[str, str],
        finals: list[Any],
        progress: Callable[[str, Any], None] | None,
    ) -> None:
        deadlines = [w.deadline for w in self._workers if w.deadline is not None]
        timeout = max(0.0, min(deadlines) - time.monotonic()) if deadlines else None
        ready = wait([w.conn for w in self._workers], timeout=timeout)
        for worker in list(self._workers):
            if worker.conn in ready:
                try:
                    message = worker.conn.recv()
                except (EOFError, OSError):
                    self._lost(worker, queue, results, failures, self._death(worker))
                    continue
                kind = message[0]
                if kind == "ready":
                    worker.ready = True
                elif kind == "untimed":  # the risky part of the task is over
                    worker.deadline = None
                elif kind == "done":
                    _, item, result = message
                    results[item] = result
                    worker.done.append(item)
                    worker.item, worker.deadline = None, None
                    if progress is not None:
                        progress(item, result)
                elif kind == "final":
                    finals.append(message[1])
                    self._workers.remove(worker)
                    self._stop(worker)
                elif kind == "lost":  # the task failed; the worker's state may be broken
                    self._lost(worker, queue, results, failures, message[1])
                elif kind == "error":  # writing failed (a full disk): the build fails
                    raise message[1]
            elif worker.deadline is not None and time.monotonic() >= worker.deadline:
                seconds = _FINISH_SECONDS if worker.finishing else self.timeout
                self._lost(worker, queue, results, failures, f"timed out after {seconds:.0f} s")

    def _lost(
        self,
        worker: _Worker,
        queue: deque[str],
        results: dict[str, Any],
        failures: dict[str, str],
        reason: str,
    ) -> None:
        """A worker died or overran: give up its file, redo what its lost state held."""
        self._kill(worker)
        self._workers.remove(worker)
        if not worker.ready:  # it never started: no file is to blame
            self._lost_at_start += 1
            if self._lost_at_start > 2:
                raise RuntimeError(f"reader processes fail to start: {reason}")
            if worker.item is not None:
                queue.appendleft(worker.item)
        elif worker.item is not None:
            failures[worker.item] = reason
            log.warning("gave up %s: %s", worker.item, reason)
        elif worker.finishing and worker.done:
            self._lost_finishing += 1
            if self._lost_finishing > 2:
                raise RuntimeError(f"a reader process kept failing while saving its work: {reason}")
        for item in worker.done:
            results.pop(item, None)
            queue.appendleft(item)
        if queue:
            self._workers.append(self._start())

    def _death(self, worker: _Worker) -> str:
        worker.process.join(timeout=5)
        code = worker.process.exitcode
        if code is not None and code < 0:
            try:
                name = signal.Signals(-code).name
            except ValueError:
                name = f"signal {-code}"
            if -code == signal.SIGKILL:
                return "the reader was killed (out of memory?)"
            return f"the reader crashed ({name})"
        return f"the reader stopped (exit status {code})"

    def _start(self) -> _Worker:
        parent, child = self._ctx.Pipe()
        process = self._ctx.Process(
            target=_bootstrap,
            args=(self.target, child, self.memory_mb, *self.args),
            daemon=True,
            name="docbot-reader",
        )
        process.start()
        child.close()
        return _Worker(process, parent)

    def _stop(self, worker: _Worker) -> None:
        worker.conn.close()
        worker.process.join(timeout=10)
        if worker.process.is_alive():
            self._kill(worker)

    @staticmethod
    def _kill(worker: _Worker) -> None:
        with contextlib.suppress(Exception):
            worker.process.kill()
            worker.process.join(timeout=10)
        with contextlib.suppress(Exception):
            worker.conn.close()

    def close(self) -> None:
        """Kill whatever still runs (an error or an interrupt in the parent)."""
        for worker in self._workers:
            self._kill(worker)
        self._workers.clear()


# --- the worker side -------------------------------------------------------------------------


def _bootstrap(target: Callable[..., None], conn: Connection, memory_mb: int, *args: Any) -> None:
    _die_with_parent()
    if memory_mb > 0:
        limit = memory_mb * 1024 * 1024
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    target(conn, *args)


def _die_with_parent() -> None:
    """Linux: SIGKILL this process when the process that forked it (the fork server, which
    itself exits with our parent) goes away."""
    with contextlib.suppress(Exception):
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        pr_set_pdeathsig = 1
        libc.prctl(pr_set_pdeathsig, signal.SIGKILL)


def serve(
    conn: Connection,
    handle: Callable[[str, Callable[[], None]], Any],
    finish: Callable[[], Any],
) -> None:
    """The worker's loop: `handle(item, untimed)` for each task (calling `untimed()` once the
    part that needs a time limit is over), then `finish()` when told, whose result is the
    worker's final state. An exception in the timed part gives up that task (and restarts the
    worker); one after it, or from `finish`, fails the whole run in the parent. Exits quietly
    when the parent goes away."""
    item = ""
    timed = False

    def untimed() -> None:
        nonlocal timed
        timed = False
        conn.send(("untimed", item))

    try:
        conn.send(("ready",))
        while True:
            message = conn.recv()
            try:
                if message[0] == "task":
                    item, timed = message[1], True
                    conn.send(("done", item, handle(item, untimed)))
                elif message[0] == "finish":
                    conn.send(("final", finish()))
                    return
            except Exception as exc:
                if timed:  # reading the file failed in a way the reader did not foresee
                    conn.send(("lost", f"the reader failed ({type(exc).__name__})"))
                else:  # writing failed (a full disk): the whole build fails
                    conn.send(("error", _picklable(exc)))
                return
    except (EOFError, BrokenPipeError, KeyboardInterrupt):
        return


def _picklable(exc: Exception) -> Exception:
    """The exception itself when it survives pickling (OSError does), else its text."""
    try:
        pickle.loads(pickle.dumps(exc))
    except Exception:
        return RuntimeError(f"{type(exc).__name__}: {exc}")
    return exc
