"""JobRunner: claims due jobs, runs each in its own unit of work, records the outcome.

A claim is a lease (`locked_by`, `locked_until`) that a heartbeat keeps extending while the
handler runs; a worker killed mid-job stops renewing it and the next claim pass reaps the job.
The handler's writes and the job's `succeeded` row commit in one transaction, so a finished
job is never run again and a lost lease throws away the late worker's work.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import random
import socket
import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from pyshepard.core.clock import utcnow
from pyshepard.core.db import Database, UnitOfWork
from pyshepard.core.jobs import store
from pyshepard.core.jobs.models import Job

log = logging.getLogger(__name__)

Handler = Callable[[UnitOfWork, dict[str, Any]], Awaitable[dict[str, Any] | None]]
# called once a job has failed for good (last attempt failed, lease of the last attempt expired,
# no handler): (uow, payload, error); it commits together with the job's `failed` row
FailureHook = Callable[[UnitOfWork, dict[str, Any], str], Awaitable[None]]
Clock = Callable[[], datetime]

MAX_ERROR_LENGTH = 2000


def default_worker_id(role: str) -> str:
    """`<role>:<host>:<pid>:<random>`: unique per runner, readable in `jobs.locked_by`."""
    return f"{role}:{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"[:128]


def describe_error(exc: BaseException) -> str:
    """`Type: message`, never a traceback (last_error is visible to users)."""
    message = str(exc).strip()
    text = f"{type(exc).__name__}: {message}" if message else type(exc).__name__
    return text[:MAX_ERROR_LENGTH]


class JobRunner:
    """Runs the jobs of `handlers`' kinds from the job table; any number of runners may share
    one database."""

    def __init__(
        self,
        database: Database,
        handlers: Mapping[str, Handler],
        *,
        worker_id: str,
        failure_hooks: Mapping[str, FailureHook] | None = None,
        concurrency: int = 1,
        poll_interval: float = 1.0,
        lease: timedelta = timedelta(minutes=5),
        heartbeat: timedelta | None = None,
        retry_base: timedelta = timedelta(seconds=5),
        retry_cap: timedelta = timedelta(hours=1),
        clock: Clock = utcnow,
        rng: random.Random | None = None,
    ) -> None:
        if concurrency < 1:
            raise ValueError("concurrency must be at least 1")
        heartbeat = lease / 3 if heartbeat is None else heartbeat
        if min(lease, heartbeat, retry_base) <= timedelta(0):
            raise ValueError("lease, heartbeat and retry_base must be positive")
        self.database = database
        self.handlers = dict(handlers)
        self.failure_hooks = dict(failure_hooks or {})
        self.worker_id = worker_id[:128]
        self.concurrency = concurrency
        self.poll_interval = poll_interval
        self.lease = lease
        self.heartbeat = heartbeat
        self.retry_base = retry_base
        self.retry_cap = retry_cap
        self.clock = clock
        self._rng = rng or random.Random()  # noqa: S311 - jitter, not cryptography

    def retry_delay(self, attempts: int) -> timedelta:
        """Exponential backoff with jitter: uniformly in [d/2, d], d = base·2^(attempts-1) ≤ cap."""
        doublings = min(max(attempts - 1, 0), 32)  # beyond that only the cap matters
        ceiling: timedelta = min(self.retry_cap, self.retry_base * 2**doublings)
        return ceiling * (0.5 + self._rng.random() / 2)

    async def run_once(self) -> int:
        """Run every job that is due now, `concurrency` at a time; returns how many ran."""
        done = 0
        while jobs := await self._claim(self.concurrency):
            await asyncio.gather(*(self._execute(job) for job in jobs))
            done += len(jobs)
        return done

    async def run_forever(self, stop: asyncio.Event) -> None:
        """Poll and run jobs until `stop` is set, then let the running ones finish. Cancelling
        interrupts running jobs and hands them back to the queue."""
        running: set[asyncio.Task[None]] = set()
        log.info("job runner %s started (concurrency %d)", self.worker_id, self.concurrency)
        try:
            while not stop.is_set():
                claimed = await self._claim_safely(self.concurrency - len(running))
                for job in claimed:
                    task = asyncio.create_task(self._execute(job), name=f"job-{job.id}")
                    running.add(task)
                    task.add_done_callback(running.discard)
                if claimed and len(running) < self.concurrency:
                    continue
                await _wait_for_change(stop, running, self.poll_interval)
            if running:
                await asyncio.gather(*running)
        except asyncio.CancelledError:
            for task in running:
                task.cancel()
            await asyncio.gather(*running, return_exceptions=True)
            raise
        finally:
            log.info("job runner %s stopped", self.worker_id)

    async def _claim_safely(self, limit: int) -> Sequence[Job]:
        if limit <= 0:
            return []
        try:
            return await self._claim(limit)
        except Exception:
            log.exception("job runner %s could not claim jobs", self.worker_id)
            return []

    async def _claim(self, limit: int) -> Sequence[Job]:
        async def claim(uow: UnitOfWork) -> Sequence[Job]:
            now = self.clock()
            reaped = await store.reap_expired(uow.session, now=now)
            if reaped:
                log.warning("reclaimed %d job(s) whose lease expired", len(reaped))
            for job in reaped:
                if job.failed:
                    await self._final_failure(uow, job.id, job.kind, job.payload, job.error)
            return await store.claim_due(
                uow.session,
                worker_id=self.worker_id,
                now=now,
                lease_until=now + self.lease,
                limit=limit,
            )

        jobs: Sequence[Job] = await self.database.run(claim)
        return jobs

    async def _execute(self, job: Job) -> None:
        handler = self.handlers.get(job.kind)
        try:
            if handler is None:
                await self._fail_unknown(job)
                return
            stop_heartbeat = asyncio.Event()
            heartbeat = asyncio.create_task(self._heartbeat(job.id, stop_heartbeat))
            try:
                await self._attempt(job, handler)
            finally:
                stop_heartbeat.set()
                await heartbeat
        except asyncio.CancelledError:
            raise
        except Exception:
            # the outcome could not be recorded; the lease expires and another pass retries
            log.exception("job %s (%s): recording the outcome failed", job.id, job.kind)

    async def _attempt(self, job: Job, handler: Handler) -> None:
        uow = self.database.unit_of_work()
        try:
            try:
                result = await handler(uow, dict(job.payload))
                owned = await store.mark_succeeded(
                    uow.session, job.id, self.worker_id, result=result, now=self.clock()
                )
                if not owned:
                    await uow.rollback()
                    log.warning("job %s (%s): lease lost, result discarded", job.id, job.kind)
                    return
                await uow.commit()
            except asyncio.CancelledError:
                await uow.rollback()
                await self._release(job)
                raise
            except Exception as exc:
                await uow.rollback()
                log.warning(
                    "job %s (%s) attempt %d failed", job.id, job.kind, job.attempts, exc_info=exc
                )
                await self._record_failure(job, exc)
        finally:
            await uow.session.close()

    async def _record_failure(self, job: Job, exc: Exception) -> None:
        now = self.clock()
        retry_at = now + self.retry_delay(job.attempts)
        error = describe_error(exc)

        async def record(uow: UnitOfWork) -> str | None:
            status = await store.mark_failed_attempt(
                uow.session, job.id, self.worker_id, error=error, now=now, retry_at=retry_at
            )
            if status == store.FAILED:
                await self._final_failure(uow, job.id, job.kind, job.payload, error)
            return status

        status = await self.database.run(record)
        if status == store.FAILED:
            log.error("job %s (%s) failed after %d attempts", job.id, job.kind, job.attempts)

    async def _fail_unknown(self, job: Job) -> None:
        error = f"UnknownJobKind: no handler is registered for job kind {job.kind!r}"[
            :MAX_ERROR_LENGTH
        ]

        async def fail(uow: UnitOfWork) -> bool:
            failed = await store.mark_failed(
                uow.session, job.id, self.worker_id, error=error, now=self.clock()
            )
            if failed:
                await self._final_failure(uow, job.id, job.kind, job.payload, error)
            return failed

        await self.database.run(fail)
        log.error("job %s: %s", job.id, error)

    async def _final_failure(
        self, uow: UnitOfWork, job_id: int, kind: str, payload: dict[str, Any], error: str
    ) -> None:
        """Run the kind's failure hook inside `uow` (the transaction that fails the job), in a
        savepoint: a hook that raises is logged and rolled back, the job still fails."""
        hook = self.failure_hooks.get(kind)
        if hook is None:
            return
        try:
            async with uow.session.begin_nested():
                await hook(uow, dict(payload), error)
        except Exception:
            log.exception("job %s (%s): the final-failure hook raised", job_id, kind)

    async def _release(self, job: Job) -> None:
        async def release(uow: UnitOfWork) -> bool:
            return await store.release(uow.session, job.id, self.worker_id, now=self.clock())

        try:
            await self.database.run(release)
        except Exception:
            log.exception("job %s: could not hand it back; its lease will expire", job.id)

    async def _heartbeat(self, job_id: int, stop: asyncio.Event) -> None:
        interval = self.heartbeat.total_seconds()

        async def extend(uow: UnitOfWork) -> bool:
            return await store.extend_lease(
                uow.session, job_id, self.worker_id, until=self.clock() + self.lease
            )

        while not stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), interval)
                return
            try:
                if not await self.database.run(extend):
                    log.warning("job %s: lease lost to another worker", job_id)
                    return
            except Exception:
                log.exception("job %s: extending the lease failed", job_id)


async def _wait_for_change(
    stop: asyncio.Event, running: set[asyncio.Task[None]], poll_interval: float
) -> None:
    """Sleep until `stop` is set, a running job finishes, or `poll_interval` passes."""
    stopped = asyncio.create_task(stop.wait())
    try:
        await asyncio.wait(
            {stopped, *running}, timeout=poll_interval, return_when=asyncio.FIRST_COMPLETED
        )
    finally:
        stopped.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await stopped
