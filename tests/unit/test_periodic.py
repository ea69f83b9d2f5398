"""Periodic worker tasks: run on their interval until stopped, survive failures, 0 = never."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from pyshepard.core.config import Settings
from pyshepard.core.jobs import Periodic, run_periodically


class _Database:
    def __init__(self, tmp_path: Path) -> None:
        self.settings = Settings(data_dir=tmp_path)


async def test_tasks_repeat_on_their_interval_and_a_failure_does_not_stop_them(
    tmp_path: Path,
) -> None:
    runs: list[str] = []

    async def counting(_: Any) -> None:
        runs.append("ok")

    async def failing(_: Any) -> None:
        runs.append("failed")
        raise RuntimeError("store down")

    async def never(_: Any) -> None:
        runs.append("never")

    stop = asyncio.Event()
    tasks = [
        Periodic("counting", lambda _: 0.02, counting),
        Periodic("failing", lambda _: 0.02, failing),
        Periodic("off", lambda _: 0, never),
    ]
    running = asyncio.create_task(run_periodically(_Database(tmp_path), tasks, stop))  # type: ignore[arg-type]
    await asyncio.sleep(0.15)
    stop.set()
    await asyncio.wait_for(running, timeout=2)

    assert runs.count("ok") >= 3
    assert runs.count("failed") >= 3
    assert "never" not in runs
    finished = len(runs)
    await asyncio.sleep(0.05)
    assert len(runs) == finished  # nothing runs after the stop


async def test_the_first_run_waits_one_interval(tmp_path: Path) -> None:
    runs: list[int] = []

    async def task(_: Any) -> None:
        runs.append(1)

    stop = asyncio.Event()
    running = asyncio.create_task(
        run_periodically(_Database(tmp_path), [Periodic("t", lambda _: 3600, task)], stop)  # type: ignore[arg-type]
    )
    await asyncio.sleep(0.05)
    stop.set()
    await asyncio.wait_for(running, timeout=2)
    assert runs == []
