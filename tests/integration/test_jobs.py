"""Durable jobs on the real database: enqueue with the caller's transaction, claim with leases,
retries with backoff, concurrent runners, reclaimed leases, the worker and the embedded runner."""

from __future__ import annotations

import asyncio
import os
import signal
import threading
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import update

from pyshepard import jobs_registry, worker
from pyshepard.app import create_app
from pyshepard.core.clock import utcnow
from pyshepard.core.config import Settings
from pyshepard.core.db import Database, UnitOfWork, create_engine
from pyshepard.core.jobs import Handler, Job, JobRunner, JobStatus, enqueue, get_job

Payload = dict[str, Any]


@dataclass
class FakeClock:
    now: datetime = field(default_factory=utcnow)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta) -> None:
        self.now += delta


def new_kind() -> str:
    return f"test.{uuid.uuid4().hex[:12]}"


def make_runner(database: Database, handlers: dict[str, Handler], **options: Any) -> JobRunner:
    return JobRunner(database, handlers, worker_id=f"test-{uuid.uuid4().hex[:8]}", **options)


async def add_job(db: Database, kind: str, payload: Payload | None = None, **options: Any) -> int:
    async def work(uow: UnitOfWork) -> int:
        job = await enqueue(uow, kind, payload or {}, **options)
        return job.id

    job_id: int = await db.run(work)
    return job_id


async def load(db: Database, job_id: int) -> Job | None:
    async def work(uow: UnitOfWork) -> Job | None:
        return await get_job(uow.session, job_id)

    job: Job | None = await db.run(work)
    return job


async def must_load(db: Database, job_id: int) -> Job:
    job = await load(db, job_id)
    assert job is not None
    return job


async def wait_until(check: Callable[[], Awaitable[bool]]) -> None:
    """Poll until `check` holds, at most 10 s."""
    async with asyncio.timeout(10):
        while not await check():  # noqa: ASYNC110 - the state lives in the database
            await asyncio.sleep(0.02)


async def has_status(db: Database, job_id: int, status: JobStatus) -> bool:
    job = await load(db, job_id)
    return job is not None and job.status == status


def recorder(calls: list[Payload], result: Payload | None = None) -> Handler:
    async def handler(_uow: UnitOfWork, payload: Payload) -> Payload | None:
        calls.append(payload)
        return result

    return handler


async def simulate_claim(db: Database, job_id: int, *, worker_id: str, until: datetime) -> None:
    """What a worker's claim leaves behind when the worker is killed before finishing."""

    async def work(uow: UnitOfWork) -> None:
        await uow.session.execute(
            update(Job)
            .where(Job.id == job_id)
            .values(
                status=JobStatus.RUNNING.value,
                locked_by=worker_id,
                locked_until=until,
                attempts=Job.attempts + 1,
            )
        )

    await db.run(work)


async def test_enqueued_job_is_stored_queued_when_the_unit_of_work_commits(db: Database) -> None:
    kind = new_kind()
    before = utcnow()
    job_id = await add_job(db, kind, {"collection": 7, "tags": ["a"]}, max_attempts=3)

    job = await must_load(db, job_id)
    assert job.kind == kind
    assert job.payload == {"collection": 7, "tags": ["a"]}
    assert job.status == JobStatus.QUEUED
    assert (job.attempts, job.max_attempts) == (0, 3)
    assert before <= job.run_after <= utcnow()
    assert job.locked_by is None
    assert job.locked_until is None
    assert job.result is None
    assert job.finished_at is None


async def test_job_enqueued_in_a_rolled_back_unit_of_work_does_not_exist(db: Database) -> None:
    kind = new_kind()
    enqueued: list[int] = []

    async def failing_request(uow: UnitOfWork) -> None:
        job = await enqueue(uow, kind, {"n": 1})
        enqueued.append(job.id)
        raise RuntimeError("request failed after enqueueing")

    with pytest.raises(RuntimeError):
        await db.run(failing_request)

    assert len(enqueued) == 1
    assert await load(db, enqueued[0]) is None
    calls: list[Payload] = []
    await make_runner(db, {kind: recorder(calls)}).run_once()
    assert calls == []


async def test_enqueue_refuses_fewer_than_one_attempt(db: Database) -> None:
    kind = new_kind()
    with pytest.raises(ValueError, match="max_attempts"):
        await add_job(db, kind, max_attempts=0)


async def test_handler_result_is_stored_with_the_handlers_writes(db: Database) -> None:
    kind = new_kind()
    seen: list[Payload] = []

    async def handler(uow: UnitOfWork, payload: Payload) -> Payload:
        seen.append(payload)
        child = await enqueue(
            uow, f"{kind}.child", {"from": payload["n"]}, run_after=utcnow() + timedelta(days=1)
        )
        return {"doubled": payload["n"] * 2, "child": child.id}

    job_id = await add_job(db, kind, {"n": 21})
    runner = make_runner(db, {kind: handler})
    await runner.run_once()

    job = await must_load(db, job_id)
    assert seen == [{"n": 21}]
    assert job.status == JobStatus.SUCCEEDED
    assert job.result is not None
    assert job.result["doubled"] == 42
    assert job.attempts == 1
    assert job.finished_at is not None
    assert job.last_error is None
    assert job.locked_until is None
    assert job.locked_by == runner.worker_id
    child = await must_load(db, job.result["child"])
    assert child.payload == {"from": 21}
    assert child.status == JobStatus.QUEUED


async def test_handler_returning_nothing_stores_no_result(db: Database) -> None:
    kind = new_kind()
    job_id = await add_job(db, kind)
    await make_runner(db, {kind: recorder([])}).run_once()

    job = await must_load(db, job_id)
    assert job.status == JobStatus.SUCCEEDED
    assert job.result is None


async def test_failed_attempt_rolls_back_the_handlers_writes(db: Database) -> None:
    kind = new_kind()
    children: list[int] = []

    async def handler(uow: UnitOfWork, _payload: Payload) -> Payload:
        child = await enqueue(uow, f"{kind}.child", {})
        children.append(child.id)
        raise ConnectionError("callback host unreachable")

    job_id = await add_job(db, kind)
    await make_runner(db, {kind: handler}).run_once()

    job = await must_load(db, job_id)
    assert job.status == JobStatus.QUEUED
    assert job.last_error == "ConnectionError: callback host unreachable"
    assert len(children) == 1
    assert await load(db, children[0]) is None


async def test_unserialisable_result_counts_as_a_failed_attempt(db: Database) -> None:
    kind = new_kind()

    async def handler(_uow: UnitOfWork, _payload: Payload) -> Payload:
        return {"when": object()}

    job_id = await add_job(db, kind, max_attempts=1)
    await make_runner(db, {kind: handler}).run_once()

    job = await must_load(db, job_id)
    assert job.status == JobStatus.FAILED
    assert job.result is None
    assert job.last_error is not None
    assert "not JSON serializable" in job.last_error


async def test_failure_retries_with_exponential_backoff_then_fails(db: Database) -> None:
    kind = new_kind()
    attempts_seen: list[Payload] = []

    async def handler(_uow: UnitOfWork, payload: Payload) -> Payload:
        attempts_seen.append(payload)
        raise ValueError("token=abc is invalid")

    job_id = await add_job(db, kind, {"n": 1}, max_attempts=3)
    clock = FakeClock()
    runner = make_runner(db, {kind: handler}, clock=clock, retry_base=timedelta(seconds=10))

    await runner.run_once()
    job = await must_load(db, job_id)
    assert (job.status, job.attempts) == (JobStatus.QUEUED, 1)
    assert job.last_error == "ValueError: token=abc is invalid"
    assert clock.now + timedelta(seconds=5) <= job.run_after <= clock.now + timedelta(seconds=10)
    assert job.locked_by is None
    assert job.finished_at is None

    await runner.run_once()
    assert len(attempts_seen) == 1, "not due before its backoff has passed"

    clock.now = job.run_after
    await runner.run_once()
    job = await must_load(db, job_id)
    assert (job.status, job.attempts) == (JobStatus.QUEUED, 2)
    assert clock.now + timedelta(seconds=10) <= job.run_after <= clock.now + timedelta(seconds=20)

    clock.now = job.run_after
    await runner.run_once()
    job = await must_load(db, job_id)
    assert (job.status, job.attempts) == (JobStatus.FAILED, 3)
    assert job.finished_at == clock.now
    assert job.last_error == "ValueError: token=abc is invalid"
    assert "Traceback" not in job.last_error

    clock.advance(timedelta(days=1))
    await runner.run_once()
    assert len(attempts_seen) == 3


async def test_retry_delay_doubles_up_to_the_cap(db: Database) -> None:
    runner = make_runner(db, {}, retry_base=timedelta(seconds=2), retry_cap=timedelta(seconds=60))
    for attempts, ceiling in [(1, 2), (2, 4), (3, 8), (5, 32), (6, 60), (500, 60)]:
        delays = [runner.retry_delay(attempts).total_seconds() for _ in range(50)]
        assert all(ceiling / 2 <= delay <= ceiling for delay in delays), (attempts, delays)
        assert len(set(delays)) > 1, "jittered"


async def test_job_that_fails_once_then_succeeds_clears_its_error(db: Database) -> None:
    kind = new_kind()
    calls: list[Payload] = []

    async def flaky(_uow: UnitOfWork, payload: Payload) -> Payload:
        calls.append(payload)
        if len(calls) == 1:
            raise TimeoutError("slow peer")
        return {"ok": True}

    job_id = await add_job(db, kind)
    clock = FakeClock()
    runner = make_runner(db, {kind: flaky}, clock=clock)
    await runner.run_once()
    clock.advance(timedelta(minutes=1))
    await runner.run_once()

    job = await must_load(db, job_id)
    assert (job.status, job.attempts, job.result) == (JobStatus.SUCCEEDED, 2, {"ok": True})
    assert job.last_error is None


async def test_unknown_kind_fails_at_once_with_a_clear_error(db: Database) -> None:
    kind = new_kind()
    job_id = await add_job(db, kind, max_attempts=5)
    await make_runner(db, {new_kind(): recorder([])}).run_once()

    job = await must_load(db, job_id)
    assert job.status == JobStatus.FAILED
    assert job.attempts == 1
    assert job.last_error == f"UnknownJobKind: no handler is registered for job kind '{kind}'"
    assert job.finished_at is not None


@pytest.fixture(params=["one engine", "two engines"])
async def second_database(request: pytest.FixtureRequest, db: Database) -> AsyncIterator[Database]:
    if request.param == "one engine":
        yield db
        return
    other = Database(
        settings=db.settings,
        engine=create_engine(db.settings.resolved_database_url),
        blobs=db.blobs,
    )
    yield other
    await other.dispose()


async def test_concurrent_runners_never_run_a_job_twice(
    db: Database, second_database: Database
) -> None:
    kind = new_kind()
    runs: dict[int, list[str]] = {}

    def handler_for(name: str) -> Handler:
        async def handler(_uow: UnitOfWork, payload: Payload) -> Payload:
            runs.setdefault(payload["n"], []).append(name)
            await asyncio.sleep(0.002)
            return {"by": name}

        return handler

    job_ids = [await add_job(db, kind, {"n": n}) for n in range(40)]
    first = make_runner(db, {kind: handler_for("first")}, concurrency=4)
    second = make_runner(second_database, {kind: handler_for("second")}, concurrency=4)
    await asyncio.gather(first.run_once(), second.run_once(), first.run_once())

    assert sorted(runs) == list(range(40))
    assert all(len(names) == 1 for names in runs.values()), runs
    for job_id in job_ids:
        job = await must_load(db, job_id)
        assert (job.status, job.attempts) == (JobStatus.SUCCEEDED, 1)
        assert job.result == {"by": runs[job.payload["n"]][0]}
    assert {names[0] for names in runs.values()} == {"first", "second"}


async def test_expired_lease_of_a_killed_worker_is_reclaimed(db: Database) -> None:
    kind = new_kind()
    calls: list[Payload] = []
    job_id = await add_job(db, kind, {"n": 5})
    clock = FakeClock()
    await simulate_claim(
        db, job_id, worker_id="killed-worker", until=clock.now + timedelta(minutes=5)
    )
    runner = make_runner(db, {kind: recorder(calls, {"done": 1})}, clock=clock)

    await runner.run_once()
    assert calls == [], "a live lease is respected"
    assert (await must_load(db, job_id)).status == JobStatus.RUNNING

    clock.advance(timedelta(minutes=6))
    await runner.run_once()
    job = await must_load(db, job_id)
    assert calls == [{"n": 5}]
    assert (job.status, job.attempts, job.result) == (JobStatus.SUCCEEDED, 2, {"done": 1})
    assert job.locked_by == runner.worker_id


async def test_expired_lease_on_the_last_attempt_fails_the_job(db: Database) -> None:
    kind = new_kind()
    calls: list[Payload] = []
    job_id = await add_job(db, kind, max_attempts=1)
    await simulate_claim(db, job_id, worker_id="killed-worker", until=utcnow() - timedelta(1))

    await make_runner(db, {kind: recorder(calls)}).run_once()

    job = await must_load(db, job_id)
    assert calls == []
    assert (job.status, job.attempts) == (JobStatus.FAILED, 1)
    assert job.last_error is not None
    assert job.last_error.startswith("LeaseExpired: worker killed-worker ")
    assert job.finished_at is not None


async def test_worker_that_lost_its_lease_discards_its_work(db: Database) -> None:
    kind = new_kind()
    late_children: list[int] = []
    later = FakeClock(utcnow() + timedelta(hours=1))
    rescuer_calls: list[Payload] = []
    rescuer = make_runner(db, {kind: recorder(rescuer_calls, {"by": "rescuer"})}, clock=later)

    async def slow(uow: UnitOfWork, _payload: Payload) -> Payload:
        # while this worker "hangs", its lease expires and another worker redoes the job
        await rescuer.run_once()
        child = await enqueue(uow, f"{kind}.child", {})
        late_children.append(child.id)
        return {"by": "slow"}

    job_id = await add_job(db, kind)
    slow_runner = make_runner(db, {kind: slow}, lease=timedelta(minutes=1))
    await slow_runner.run_once()

    job = await must_load(db, job_id)
    assert len(rescuer_calls) == 1
    assert (job.status, job.result, job.attempts) == (JobStatus.SUCCEEDED, {"by": "rescuer"}, 2)
    assert job.locked_by == rescuer.worker_id
    assert len(late_children) == 1
    assert await load(db, late_children[0]) is None


async def test_heartbeat_keeps_a_long_job_leased(db: Database) -> None:
    kind = new_kind()
    started, finished = asyncio.Event(), asyncio.Event()
    rival_calls: list[Payload] = []

    async def long_job(_uow: UnitOfWork, _payload: Payload) -> Payload:
        started.set()
        await asyncio.sleep(1.0)  # longer than the lease: only the heartbeat keeps it
        finished.set()
        return {"done": True}

    job_id = await add_job(db, kind)
    owner = make_runner(
        db, {kind: long_job}, lease=timedelta(seconds=0.6), heartbeat=timedelta(seconds=0.05)
    )
    rival = make_runner(db, {kind: recorder(rival_calls)})

    async def rival_polls() -> None:
        await started.wait()
        while not finished.is_set():
            await rival.run_once()
            await asyncio.sleep(0.03)

    async with asyncio.timeout(10):
        await asyncio.gather(owner.run_once(), rival_polls())

    job = await must_load(db, job_id)
    assert rival_calls == []
    assert (job.status, job.attempts) == (JobStatus.SUCCEEDED, 1)
    assert job.locked_by == owner.worker_id


async def test_run_forever_runs_jobs_and_drains_on_stop(db: Database) -> None:
    kind = new_kind()
    release = asyncio.Event()

    async def gated(_uow: UnitOfWork, payload: Payload) -> Payload:
        if payload.get("gated"):
            await release.wait()
        return {"n": payload["n"]}

    runner = make_runner(db, {kind: gated}, concurrency=2, poll_interval=0.02)
    stop = asyncio.Event()
    task = asyncio.create_task(runner.run_forever(stop))
    quick = await add_job(db, kind, {"n": 1})
    await wait_until(lambda: has_status(db, quick, JobStatus.SUCCEEDED))

    gated_id = await add_job(db, kind, {"n": 2, "gated": True})
    await wait_until(lambda: has_status(db, gated_id, JobStatus.RUNNING))
    stop.set()
    await asyncio.sleep(0.05)
    assert not task.done(), "a running job is allowed to finish"
    release.set()
    async with asyncio.timeout(5):
        await task

    job = await must_load(db, gated_id)
    assert (job.status, job.result) == (JobStatus.SUCCEEDED, {"n": 2})


async def test_cancelled_runner_hands_running_jobs_back(db: Database) -> None:
    kind = new_kind()
    started = asyncio.Event()

    async def endless(_uow: UnitOfWork, _payload: Payload) -> Payload:
        started.set()
        await asyncio.Event().wait()
        return {}

    job_id = await add_job(db, kind)
    runner = make_runner(db, {kind: endless}, poll_interval=0.02)
    task = asyncio.create_task(runner.run_forever(asyncio.Event()))
    async with asyncio.timeout(5):
        await started.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task

    job = await must_load(db, job_id)
    assert (job.status, job.attempts) == (JobStatus.QUEUED, 0)
    assert (job.locked_by, job.locked_until) == (None, None)


async def test_worker_main_runs_jobs_until_stopped(db: Database, settings: Settings) -> None:
    kind = new_kind()
    job_id = await add_job(db, kind, {"n": 3})
    stop = asyncio.Event()
    task = asyncio.create_task(
        worker.main(settings, handlers={kind: recorder([], {"worker": True})}, stop=stop)
    )
    await wait_until(lambda: has_status(db, job_id, JobStatus.SUCCEEDED))
    stop.set()
    async with asyncio.timeout(5):
        await task

    job = await must_load(db, job_id)
    assert job.result == {"worker": True}
    assert job.locked_by is not None
    assert job.locked_by.startswith("worker:")


@pytest.mark.skipif(
    threading.current_thread() is not threading.main_thread(),
    reason="signal handlers need the main thread",
)
async def test_worker_main_stops_on_sigterm(db: Database, settings: Settings) -> None:
    kind = new_kind()
    job_id = await add_job(db, kind)
    task = asyncio.create_task(worker.main(settings, handlers={kind: recorder([])}))
    await wait_until(lambda: has_status(db, job_id, JobStatus.SUCCEEDED))

    os.kill(os.getpid(), signal.SIGTERM)
    async with asyncio.timeout(5):
        await task
    assert task.exception() is None


async def test_embedded_worker_runs_registered_handlers_in_the_server_lifespan(
    db: Database, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    kind = new_kind()
    calls: list[Payload] = []
    monkeypatch.setitem(jobs_registry.HANDLERS, kind, recorder(calls, {"embedded": True}))
    job_id = await add_job(db, kind, {"n": 9})
    unknown_id = await add_job(db, new_kind())

    app = create_app(settings.model_copy(update={"embedded_worker": True}))
    async with app.router.lifespan_context(app):
        await wait_until(lambda: has_status(db, job_id, JobStatus.SUCCEEDED))
        await wait_until(lambda: has_status(db, unknown_id, JobStatus.FAILED))

    assert calls == [{"n": 9}]
    assert (await must_load(db, job_id)).result == {"embedded": True}
