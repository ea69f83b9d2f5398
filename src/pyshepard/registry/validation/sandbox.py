"""A pool of sandboxed worker processes (see `worker.py`) with a wall-time limit per task.

Workers are separate interpreters started with `subprocess` (not `multiprocessing`, which would
re-import the caller's `__main__`), each with a memory cap, single-threaded numerical libraries,
a matplotlib/pytensor cache under the cache folder, and stderr captured to a log file. A task
past its deadline gets its worker killed and replaced; a worker that dies (e.g. over its memory
cap) is reported and replaced. Events come back in arrival order from `events()`.
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import os
import subprocess
import sys
import time
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, wait
from pathlib import Path
from types import TracebackType
from typing import Any, Literal

log = logging.getLogger(__name__)

EventKind = Literal["started", "check", "patch", "done", "error", "timeout", "died"]
THREAD_VARIABLES = (
    "OMP_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "MKL_NUM_THREADS",
    "NUMEXPR_NUM_THREADS",
    "XLA_FLAGS",
)


@dataclass
class Task:
    key: str
    reference: str
    args: tuple[Any, ...]
    timeout_s: float
    task_id: int = 0


@dataclass(frozen=True)
class Event:
    task: Task
    kind: EventKind
    payload: Any
    detail: str = ""


@dataclass
class _Worker:
    number: int
    process: subprocess.Popen[bytes]
    inbox: Connection
    outbox: Connection
    log_path: Path
    task: Task | None = None
    deadline: float = 0.0
    started: float = field(default_factory=time.monotonic)


def worker_environment(cache_dir: Path) -> dict[str, str]:
    env = dict(os.environ)
    for name in THREAD_VARIABLES[:-1]:
        env[name] = "1"
    env["MPLCONFIGDIR"] = str(cache_dir / "matplotlib")
    env["MPLBACKEND"] = "Agg"
    flags = env.get("PYTENSOR_FLAGS", "")
    if "base_compiledir" not in flags:
        compiledir = cache_dir / "pytensor"
        env["PYTENSOR_FLAGS"] = ",".join(filter(None, [flags, f"base_compiledir={compiledir}"]))
    env["PYTHONWARNINGS"] = "ignore"
    return env


class WorkerPool:
    def __init__(self, size: int, *, memory_mb: int, cache_dir: Path) -> None:
        self.size = max(1, size)
        self.memory_mb = memory_mb
        self.cache_dir = cache_dir
        (cache_dir / "logs").mkdir(parents=True, exist_ok=True)
        (cache_dir / "matplotlib").mkdir(parents=True, exist_ok=True)
        (cache_dir / "pytensor").mkdir(parents=True, exist_ok=True)
        self._env = worker_environment(cache_dir)
        self._numbers = itertools.count()
        self._ids = itertools.count(1)
        self._pending: deque[Task] = deque()
        self._workers: list[_Worker] = []
        self._running = 0
        for _ in range(self.size):
            self._workers.append(self._spawn())

    def __enter__(self) -> WorkerPool:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def _spawn(self) -> _Worker:
        number = next(self._numbers)
        parent_in, child_out = os.pipe()
        child_in, parent_out = os.pipe()
        log_path = self.cache_dir / "logs" / f"worker-{os.getpid()}-{number}.log"
        with log_path.open("wb") as stderr:
            process = subprocess.Popen(  # noqa: S603 - our own interpreter and module
                [
                    sys.executable,
                    "-m",
                    "pyshepard.registry.validation.worker",
                    str(child_in),
                    str(child_out),
                    str(self.memory_mb),
                ],
                pass_fds=(child_in, child_out),
                stdin=subprocess.DEVNULL,
                stdout=stderr,
                stderr=stderr,
                env=self._env,
                close_fds=True,
            )
        os.close(child_in)
        os.close(child_out)
        return _Worker(
            number=number,
            process=process,
            inbox=Connection(parent_out, readable=False),
            outbox=Connection(parent_in, writable=False),
            log_path=log_path,
        )

    def submit(self, task: Task, *, first: bool = False) -> Task:
        """Queue a task; `first` puts it ahead of everything still waiting."""
        task.task_id = next(self._ids)
        if first:
            self._pending.appendleft(task)
        else:
            self._pending.append(task)
        self._running += 1
        return task

    def _dispatch(self) -> None:
        for worker in self._workers:
            if worker.task is None and self._pending:
                task = self._pending.popleft()
                worker.task = task
                worker.deadline = time.monotonic() + task.timeout_s
                worker.inbox.send((task.task_id, task.reference, task.args))

    def events(self) -> Iterator[Event]:
        """Run until every submitted task (including ones submitted while iterating) is done."""
        while self._running:
            self._dispatch()
            busy = [w for w in self._workers if w.task is not None]
            timeout = max(0.0, min(w.deadline for w in busy) - time.monotonic()) if busy else None
            ready = wait([w.outbox for w in busy], timeout=timeout)
            for worker in busy:
                if worker.outbox in ready:
                    yield from self._receive(worker)
            now = time.monotonic()
            for worker in list(self._workers):
                if worker.task is not None and now >= worker.deadline:
                    task = worker.task
                    self._replace(worker)
                    self._running -= 1
                    yield Event(task, "timeout", task.timeout_s)

    def _receive(self, worker: _Worker) -> Iterator[Event]:
        task = worker.task
        if task is None:
            return
        try:
            message = worker.outbox.recv()
        except (EOFError, OSError):
            code = worker.process.wait()
            detail = self._tail(worker.log_path)
            self._replace(worker, kill=False)
            self._running -= 1
            yield Event(task, "died", code, detail)
            return
        _, kind, payload, *rest = message
        if kind in {"done", "error"}:
            worker.task = None
            self._running -= 1
        yield Event(task, kind, payload, rest[0] if rest else "")

    def _replace(self, worker: _Worker, *, kill: bool = True) -> None:
        if kill:
            worker.process.kill()
        worker.process.wait()
        worker.inbox.close()
        worker.outbox.close()
        worker.log_path.unlink(missing_ok=True)
        index = self._workers.index(worker)
        self._workers[index] = self._spawn()

    @staticmethod
    def _tail(path: Path, size: int = 2000) -> str:
        try:
            data = path.read_bytes()
        except OSError:
            return ""
        return data[-size:].decode("utf-8", errors="replace")

    def close(self) -> None:
        for worker in self._workers:
            with contextlib.suppress(OSError):
                worker.inbox.send(None)
        deadline = time.monotonic() + 5
        for worker in self._workers:
            try:
                worker.process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                worker.process.kill()
                worker.process.wait()
            worker.inbox.close()
            worker.outbox.close()
            worker.log_path.unlink(missing_ok=True)
        self._workers.clear()
