"""A pooled PostgreSQL connection the server ended is replaced at checkout, without a ping."""

from __future__ import annotations

import asyncio
from typing import Any

import asyncpg
import pytest
from sqlalchemy import text

from pyshepard.core.db import Database, UnitOfWork


async def _backend_pid(uow: UnitOfWork) -> int:
    return int((await uow.session.execute(text("SELECT pg_backend_pid()"))).scalar_one())


async def test_a_connection_the_server_ended_is_replaced(db: Database) -> None:
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite connections are files, no server ends them")
    ended = await db.run(_backend_pid)  # the pool keeps this connection
    url = db.engine.url.set(drivername="postgresql")
    other = await asyncpg.connect(url.render_as_string(hide_password=False))
    try:
        assert await other.fetchval("SELECT pg_terminate_backend($1)", ended)
    finally:
        await other.close()
    await asyncio.sleep(0.2)  # the event loop sees the socket close
    for _ in range(3):  # each pooled connection is checked out in turn; none fails
        assert await db.run(_backend_pid) != ended


async def test_checkouts_make_no_round_trip_of_their_own(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    if db.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL pool")
    pings: list[object] = []
    dialect: Any = db.engine.dialect
    monkeypatch.setattr(dialect, "do_ping", lambda connection: pings.append(connection) or True)
    await db.run(_backend_pid)
    await db.run(_backend_pid)  # a pooled connection, handed out again
    # pool_pre_ping would cost BEGIN, ";" and ROLLBACK before every request's first statement
    assert pings == []
