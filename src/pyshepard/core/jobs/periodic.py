"""Work every worker repeats on a timer (sweeps); unlike jobs, nothing is queued or recorded."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from pyshepard.core.config import Settings
from pyshepard.core.db import Database

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Periodic:
    name: str
    interval: Callable[[Settings], float]  # seconds; 0 or less: never
    work: Callable[[Database], Awaitable[None]]


async def run_periodically(
    database: Database, tasks: Sequence[Periodic], stop: asyncio.Event
) -> None:
    """Run each task every its interval until `stop` is set (the first run one interval after
    the start); a failing run is logged and the next one comes on time."""
    loops = [
        asyncio.create_task(_every(database, task, seconds, stop), name=f"periodic-{task.name}")
        for task in tasks
        if (seconds := task.interval(database.settings)) > 0
    ]
    try:
        await asyncio.gather(*loops)
    finally:
        for loop in loops:
            loop.cancel()
        await asyncio.gather(*loops, return_exceptions=True)


async def _every(database: Database, task: Periodic, seconds: float, stop: asyncio.Event) -> None:
    while True:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), seconds)
        if stop.is_set():
            return
        try:
            await task.work(database)
        except Exception:
            log.exception("periodic task %s failed; it runs again in %.0f s", task.name, seconds)
