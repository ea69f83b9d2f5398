"""The job table's state transitions. Each one checks the lease it relies on in its WHERE clause,
so a worker that lost its lease can never overwrite what the new owner did."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, literal, null, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from pyshepard.core.jobs.models import Job, JobStatus

QUEUED = JobStatus.QUEUED.value
RUNNING = JobStatus.RUNNING.value
SUCCEEDED = JobStatus.SUCCEEDED.value
FAILED = JobStatus.FAILED.value
NO_SYNC = {"synchronize_session": False}


def _leased_to(job_id: int, worker_id: str) -> ColumnElement[bool]:
    return and_(Job.id == job_id, Job.status == RUNNING, Job.locked_by == worker_id)


@dataclass(frozen=True)
class Reaped:
    """A job taken back from a worker whose lease expired."""

    id: int
    kind: str
    payload: dict[str, Any]
    failed: bool  # that run was its last attempt
    error: str


async def reap_expired(session: AsyncSession, *, now: datetime) -> list[Reaped]:
    """Jobs whose worker died mid-run (lease expired): queued again, or failed when that run was
    their last attempt. Returns the reaped jobs."""
    expired = (
        select(Job.id)
        .where(Job.status == RUNNING, Job.locked_until < now)
        .with_for_update(skip_locked=True)
    )
    exhausted = Job.attempts >= Job.max_attempts
    message = (
        literal("LeaseExpired: worker ")
        + func.coalesce(Job.locked_by, "?")
        + literal(" did not finish the job before its lease ran out")
    )
    reaped = await session.execute(
        update(Job)
        .where(Job.id.in_(expired))
        .values(
            status=case((exhausted, FAILED), else_=QUEUED),
            finished_at=case((exhausted, now), else_=null()),
            run_after=case((exhausted, Job.run_after), else_=now),
            locked_by=case((exhausted, Job.locked_by), else_=null()),
            locked_until=None,
            last_error=message,
        )
        .returning(Job.id, Job.kind, Job.payload, Job.status, Job.last_error),
        execution_options=NO_SYNC,
    )
    return [
        Reaped(
            id=row.id,
            kind=row.kind,
            payload=row.payload,
            failed=row.status == FAILED,
            error=row.last_error or "",
        )
        for row in reaped.all()
    ]


async def claim_due(
    session: AsyncSession, *, worker_id: str, now: datetime, lease_until: datetime, limit: int
) -> Sequence[Job]:
    """Lease up to `limit` due jobs to `worker_id`, oldest `run_after` first; counts the attempt.
    PostgreSQL skips rows other workers are claiming; SQLite's BEGIN IMMEDIATE serialises."""
    due = (
        select(Job.id)
        .where(Job.status == QUEUED, Job.run_after <= now)
        .order_by(Job.run_after, Job.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    claimed = await session.scalars(
        update(Job)
        .where(Job.id.in_(due))
        .values(
            status=RUNNING,
            locked_by=worker_id,
            locked_until=lease_until,
            attempts=Job.attempts + 1,
        )
        .returning(Job),
        execution_options=NO_SYNC,
    )
    return sorted(claimed.all(), key=lambda job: (job.run_after, job.id))


async def extend_lease(
    session: AsyncSession, job_id: int, worker_id: str, *, until: datetime
) -> bool:
    """Push the lease of a running job forward; False if the worker no longer holds it."""
    extended = await session.execute(
        update(Job)
        .where(_leased_to(job_id, worker_id))
        .values(locked_until=until)
        .returning(Job.id),
        execution_options=NO_SYNC,
    )
    return extended.first() is not None


async def mark_succeeded(
    session: AsyncSession,
    job_id: int,
    worker_id: str,
    *,
    result: dict[str, Any] | None,
    now: datetime,
) -> bool:
    """Record success; False if the worker no longer holds the lease."""
    done = await session.execute(
        update(Job)
        .where(_leased_to(job_id, worker_id))
        .values(
            status=SUCCEEDED,
            result=null() if result is None else result,
            finished_at=now,
            locked_until=None,
            last_error=None,
        )
        .returning(Job.id),
        execution_options=NO_SYNC,
    )
    return done.first() is not None


async def mark_failed_attempt(
    session: AsyncSession,
    job_id: int,
    worker_id: str,
    *,
    error: str,
    now: datetime,
    retry_at: datetime,
) -> str | None:
    """Record a failed attempt: queued again at `retry_at`, or failed when it was the last one.
    Returns the new status, or None if the worker no longer holds the lease."""
    exhausted = Job.attempts >= Job.max_attempts
    recorded = await session.execute(
        update(Job)
        .where(_leased_to(job_id, worker_id))
        .values(
            status=case((exhausted, FAILED), else_=QUEUED),
            run_after=case((exhausted, Job.run_after), else_=retry_at),
            finished_at=case((exhausted, now), else_=null()),
            locked_by=case((exhausted, Job.locked_by), else_=null()),
            locked_until=None,
            last_error=error,
        )
        .returning(Job.status),
        execution_options=NO_SYNC,
    )
    status: str | None = recorded.scalar_one_or_none()
    return status


async def mark_failed(
    session: AsyncSession, job_id: int, worker_id: str, *, error: str, now: datetime
) -> bool:
    """Fail the job for good, whatever attempts are left (e.g. nobody handles its kind)."""
    failed = await session.execute(
        update(Job)
        .where(_leased_to(job_id, worker_id))
        .values(status=FAILED, finished_at=now, locked_until=None, last_error=error)
        .returning(Job.id),
        execution_options=NO_SYNC,
    )
    return failed.first() is not None


async def release(session: AsyncSession, job_id: int, worker_id: str, *, now: datetime) -> bool:
    """Give an interrupted job back to the queue without counting the attempt (shutdown)."""
    released = await session.execute(
        update(Job)
        .where(_leased_to(job_id, worker_id))
        .values(
            status=QUEUED,
            attempts=Job.attempts - 1,
            run_after=now,
            locked_by=None,
            locked_until=None,
        )
        .returning(Job.id),
        execution_options=NO_SYNC,
    )
    return released.first() is not None
