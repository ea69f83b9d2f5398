"""Enqueue jobs in the caller's transaction: a job exists if and only if its request committed."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from pyshepard.core.clock import utcnow
from pyshepard.core.db import UnitOfWork
from pyshepard.core.jobs.models import Job, JobStatus


async def enqueue(
    uow: UnitOfWork,
    kind: str,
    payload: dict[str, Any],
    *,
    run_after: datetime | None = None,
    max_attempts: int = 5,
    parent_id: int | None = None,
) -> Job:
    """Add a queued job to the unit of work (flushed, so it has an id); raises ValueError if
    `max_attempts` < 1."""
    if max_attempts < 1:
        raise ValueError("max_attempts must be at least 1")
    now = utcnow()
    job = Job(
        kind=kind,
        payload=payload,
        status=JobStatus.QUEUED.value,
        attempts=0,
        max_attempts=max_attempts,
        run_after=run_after or now,
        created_at=now,
        parent_id=parent_id,
    )
    uow.session.add(job)
    await uow.session.flush()
    return job


async def get_job(session: AsyncSession, job_id: int) -> Job | None:
    """The job with this id, or None."""
    return await session.get(Job, job_id, populate_existing=True)
