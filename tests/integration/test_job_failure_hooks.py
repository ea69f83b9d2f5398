"""Final-failure hooks of the job runner: called once a job has failed for good (last attempt
raised, last attempt's lease expired, no handler), in the transaction that fails the job."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from pyshepard.core.clock import utcnow
from pyshepard.core.db import Database, UnitOfWork
from pyshepard.core.jobs import FailureHook, Job, JobStatus, enqueue
from tests.integration.test_jobs import add_job, make_runner, must_load, new_kind, simulate_claim

Payload = dict[str, Any]


def marking_hook(calls: list[tuple[Payload, str]], marker_kind: str) -> FailureHook:
    """Records the call and writes a row (a far-future job of `marker_kind`) in the hook's
    transaction, so a test sees whether the hook's writes committed."""

    async def hook(uow: UnitOfWork, payload: Payload, error: str) -> None:
        calls.append((payload, error))
        await enqueue(uow, marker_kind, payload, run_after=utcnow() + timedelta(days=365))

    return hook


async def markers(db: Database, kind: str) -> int:
    async with db.sessions() as session:
        return len((await session.scalars(select(Job.id).where(Job.kind == kind))).all())


async def failing(_uow: UnitOfWork, _payload: Payload) -> Payload:
    raise RuntimeError("the bytes are gone")


async def test_hook_runs_once_after_the_last_attempt_and_commits_with_the_failure(
    db: Database,
) -> None:
    kind, marker = new_kind(), new_kind()
    calls: list[tuple[Payload, str]] = []
    job_id = await add_job(db, kind, {"n": 1}, max_attempts=2)
    runner = make_runner(
        db,
        {kind: failing},
        failure_hooks={kind: marking_hook(calls, marker)},
        retry_base=timedelta(microseconds=1),
    )

    await runner.run_once()
    first = await must_load(db, job_id)
    if first.status == JobStatus.QUEUED:  # the retry was not due yet within that pass
        assert calls == []
        assert await markers(db, marker) == 0
        await runner.run_once()

    job = await must_load(db, job_id)
    assert (job.status, job.attempts) == (JobStatus.FAILED, 2)
    assert calls == [({"n": 1}, "RuntimeError: the bytes are gone")]
    assert await markers(db, marker) == 1


async def test_hook_runs_when_the_last_attempts_lease_expired(db: Database) -> None:
    kind, marker = new_kind(), new_kind()
    calls: list[tuple[Payload, str]] = []
    job_id = await add_job(db, kind, {"n": 2}, max_attempts=1)
    await simulate_claim(db, job_id, worker_id="killed-worker", until=utcnow() - timedelta(1))

    runner = make_runner(db, {kind: failing}, failure_hooks={kind: marking_hook(calls, marker)})
    await runner.run_once()

    assert (await must_load(db, job_id)).status == JobStatus.FAILED
    assert len(calls) == 1
    assert calls[0][0] == {"n": 2}
    assert calls[0][1].startswith("LeaseExpired: worker killed-worker ")
    assert await markers(db, marker) == 1


async def test_hook_runs_for_a_kind_without_handler(db: Database) -> None:
    kind, marker = new_kind(), new_kind()
    calls: list[tuple[Payload, str]] = []
    job_id = await add_job(db, kind, {"n": 3})
    runner = make_runner(db, {}, failure_hooks={kind: marking_hook(calls, marker)})
    await runner.run_once()

    assert (await must_load(db, job_id)).status == JobStatus.FAILED
    assert [error.split(":")[0] for _, error in calls] == ["UnknownJobKind"]
    assert await markers(db, marker) == 1


async def test_a_hook_that_raises_is_rolled_back_and_the_job_still_fails(db: Database) -> None:
    kind, marker = new_kind(), new_kind()

    async def broken(uow: UnitOfWork, payload: Payload, _error: str) -> None:
        await enqueue(uow, marker, payload, run_after=utcnow() + timedelta(days=365))
        await uow.session.flush()
        raise ValueError(f"hook bug {uuid.uuid4().hex[:6]}")

    job_id = await add_job(db, kind, {"n": 4}, max_attempts=1)
    await make_runner(db, {kind: failing}, failure_hooks={kind: broken}).run_once()

    job = await must_load(db, job_id)
    assert (job.status, job.last_error) == (JobStatus.FAILED, "RuntimeError: the bytes are gone")
    assert await markers(db, marker) == 0
