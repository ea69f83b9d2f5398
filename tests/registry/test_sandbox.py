"""The worker pool: limits are applied in the child, a looping task is killed at its deadline,
a memory hog fails cleanly, a crashed worker is reported, and the pool keeps working after each."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from pyshepard.registry.validation.sandbox import Event, Task, WorkerPool

TASKS = "tests.registry.sandbox_tasks"


@pytest.fixture
def pool(registry_cache: Path) -> Iterator[WorkerPool]:
    with WorkerPool(1, memory_mb=512, cache_dir=registry_cache) as workers:
        yield workers


def run_one(pool: WorkerPool, function: str, *args: object, timeout: float = 60) -> list[Event]:
    pool.submit(Task(key=function, reference=f"{TASKS}:{function}", args=args, timeout_s=timeout))
    return list(pool.events())


def final(events: list[Event]) -> Event:
    assert events, "no event"
    return events[-1]


def test_task_result_and_progress_events(pool: WorkerPool) -> None:
    events = run_one(pool, "echo", {"answer": 42})
    assert [e.kind for e in events] == ["started", "done"]
    assert events[0].payload == {"name": "echo", "step": "integrity"}
    assert events[-1].payload == {"answer": 42}


def test_worker_runs_with_limits_and_cache_environment(
    pool: WorkerPool, registry_cache: Path
) -> None:
    env = final(run_one(pool, "environment")).payload
    assert int(env["rlimit_as"]) == 512 * 1024 * 1024
    assert env["omp"] == "1"
    assert f"base_compiledir={registry_cache / 'pytensor'}" in env["pytensor"]
    assert env["mpl"] == str(registry_cache / "matplotlib")


def test_looping_task_is_killed_at_its_deadline(pool: WorkerPool) -> None:
    start = time.monotonic()
    events = run_one(pool, "spin", timeout=1.5)
    elapsed = time.monotonic() - start
    assert final(events).kind == "timeout"
    assert final(events).payload == 1.5
    assert 1.4 < elapsed < 30
    assert final(run_one(pool, "echo", "after")).payload == "after"


def test_memory_hog_fails_with_memory_error(pool: WorkerPool) -> None:
    event = final(run_one(pool, "hog", 2048))
    assert event.kind == "error"
    assert event.payload == "memory limit exceeded"
    assert final(run_one(pool, "hog", 16)).payload == 16 * 1024 * 1024


def test_crashed_worker_is_reported_and_replaced(pool: WorkerPool) -> None:
    event = final(run_one(pool, "crash"))
    assert event.kind == "died"
    assert event.payload == -9
    assert final(run_one(pool, "echo", "alive")).payload == "alive"


def test_tasks_run_in_parallel(registry_cache: Path) -> None:
    with WorkerPool(2, memory_mb=512, cache_dir=registry_cache) as workers:
        for _ in range(2):
            workers.submit(Task(key="spin", reference=f"{TASKS}:spin", args=(), timeout_s=2.0))
        start = time.monotonic()
        kinds = [e.kind for e in workers.events() if e.kind != "started"]
        elapsed = time.monotonic() - start
    assert kinds == ["timeout", "timeout"]
    assert elapsed < 3.9, "two 2-second tasks on two workers overlap"


def test_first_tasks_jump_the_queue(pool: WorkerPool) -> None:
    for value in ("a", "b"):
        pool.submit(Task(key=value, reference=f"{TASKS}:echo", args=(value,), timeout_s=60))
    pool.submit(Task(key="c", reference=f"{TASKS}:echo", args=("c",), timeout_s=60), first=True)
    assert [e.payload for e in pool.events() if e.kind == "done"] == ["c", "a", "b"]
