"""A transaction PostgreSQL aborts to break a deadlock is recognised from the real driver's error
and answered 503 + Retry-After (nothing was stored; the request can be repeated), not 500."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from pyshepard.core.db import Database
from pyshepard.core.dberrors import is_retryable_conflict


async def _deadlock(db: Database) -> DBAPIError:
    """Two units of work that each hold one advisory lock and wait for the other's."""
    first, second = db.unit_of_work(), db.unit_of_work()
    try:
        await first.session.execute(text("SELECT pg_advisory_xact_lock(7771, 1)"))
        await second.session.execute(text("SELECT pg_advisory_xact_lock(7771, 2)"))
        outcomes = await asyncio.gather(
            first.session.execute(text("SELECT pg_advisory_xact_lock(7771, 2)")),
            second.session.execute(text("SELECT pg_advisory_xact_lock(7771, 1)")),
            return_exceptions=True,
        )
    finally:
        for uow in (first, second):
            await uow.rollback()
            await uow.session.close()
    failures = [outcome for outcome in outcomes if isinstance(outcome, BaseException)]
    assert len(failures) == 1  # PostgreSQL aborts one of the two, the other gets its lock
    assert isinstance(failures[0], DBAPIError)
    return failures[0]


async def test_a_deadlock_is_a_retryable_conflict(postgres: Database) -> None:
    assert is_retryable_conflict(await _deadlock(postgres))


async def test_other_database_errors_are_not(postgres: Database) -> None:
    uow = postgres.unit_of_work()
    try:
        with pytest.raises(DBAPIError) as caught:
            await uow.session.execute(text("SELECT 1 / 0"))
    finally:
        await uow.rollback()
        await uow.session.close()
    assert not is_retryable_conflict(caught.value)


async def test_the_client_is_told_to_retry(
    postgres: Database, app: FastAPI, client: httpx.AsyncClient
) -> None:
    error = await _deadlock(postgres)

    @app.get("/shepard/api/versionz/deadlocked", include_in_schema=False)
    async def deadlocked() -> None:
        raise error

    response = await client.get("/shepard/api/versionz/deadlocked")
    assert response.status_code == 503
    assert response.headers["retry-after"] == "1"
    assert response.json()["exception"] == "ConcurrentConflictException"
    assert "retry" in response.json()["message"]
