"""Job worker entry point: `pyshepard worker` (its own process) and the embedded worker that
runs inside the server when `embedded_worker` is on."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import AsyncIterator, Mapping

from pyshepard.core.blobs import open_blob_store
from pyshepard.core.config import Settings
from pyshepard.core.db import Database, create_engine
from pyshepard.core.jobs import Handler, JobRunner, default_worker_id, run_periodically
from pyshepard.jobs_registry import FAILURE_HOOKS, HANDLERS, PERIODIC, STARTUP_HOOKS

log = logging.getLogger(__name__)

SHUTDOWN_GRACE_SECONDS = 30.0


def open_database(settings: Settings) -> Database:
    return Database(
        settings=settings,
        engine=create_engine(settings.resolved_database_url),
        blobs=open_blob_store(settings.resolved_blob_url),
    )


async def main(
    settings: Settings,
    *,
    concurrency: int = 1,
    handlers: Mapping[str, Handler] | None = None,
    stop: asyncio.Event | None = None,
) -> None:
    """Run jobs until SIGTERM/SIGINT (or `stop`): the first signal lets running jobs finish,
    a second one interrupts them and hands them back to the queue."""
    stop = stop or asyncio.Event()
    database = open_database(settings)
    runner = JobRunner(
        database,
        HANDLERS if handlers is None else handlers,
        worker_id=default_worker_id("worker"),
        failure_hooks=FAILURE_HOOKS,
        concurrency=concurrency,
    )
    await run_startup_hooks(database)
    work = asyncio.create_task(runner.run_forever(stop), name="pyshepard-worker")
    periodic = asyncio.create_task(run_periodically(database, PERIODIC, stop))
    installed = _install_signal_handlers(stop, work)
    try:
        await asyncio.wait({work})
    except asyncio.CancelledError:
        work.cancel()
        await asyncio.wait({work})
        raise
    finally:
        stop.set()
        await asyncio.wait({periodic})
        loop = asyncio.get_running_loop()
        for signum in installed:
            loop.remove_signal_handler(signum)
        await database.dispose()
    if not work.cancelled():
        work.result()


async def run_startup_hooks(database: Database) -> None:
    """The registered start hooks (e.g. registry re-validation after an engine upgrade); a
    failing hook is logged and does not stop the worker."""
    for hook in STARTUP_HOOKS:
        try:
            await hook(database)
        except Exception:
            log.exception("worker start hook %s failed", getattr(hook, "__name__", hook))


def run(settings: Settings, *, concurrency: int = 1) -> None:
    """Blocking entry point for the CLI's `pyshepard worker`."""
    asyncio.run(main(settings, concurrency=concurrency))


def _install_signal_handlers(stop: asyncio.Event, work: asyncio.Task[None]) -> list[int]:
    loop = asyncio.get_running_loop()

    def on_signal(signum: int) -> None:
        if stop.is_set():
            log.warning("signal %s again: interrupting running jobs", signum)
            work.cancel()
        else:
            log.info("signal %s: finishing running jobs, then stopping", signum)
            stop.set()

    installed: list[int] = []
    for signum in (signal.SIGTERM, signal.SIGINT):
        try:
            loop.add_signal_handler(signum, on_signal, signum)
        except (NotImplementedError, RuntimeError, ValueError):
            log.warning("cannot handle signal %s here; stop the worker another way", signum)
            continue
        installed.append(signum)
    return installed


@contextlib.asynccontextmanager
async def embedded(
    database: Database, *, grace: float = SHUTDOWN_GRACE_SECONDS
) -> AsyncIterator[JobRunner]:
    """One runner as a background task of the server; on exit running jobs get `grace` seconds
    to finish before they are interrupted and handed back to the queue."""
    runner = JobRunner(
        database,
        HANDLERS,
        worker_id=default_worker_id("embedded"),
        failure_hooks=FAILURE_HOOKS,
    )
    await run_startup_hooks(database)
    stop = asyncio.Event()
    task = asyncio.create_task(runner.run_forever(stop), name="pyshepard-embedded-worker")
    periodic = asyncio.create_task(run_periodically(database, PERIODIC, stop))
    try:
        yield runner
    finally:
        stop.set()
        await asyncio.wait({periodic})
        try:
            await asyncio.wait_for(task, grace)
        except TimeoutError:
            log.warning("embedded worker interrupted after %.0f s shutdown grace", grace)
