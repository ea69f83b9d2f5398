"""The SQLite adapter behind every SQLite engine: one trip to aiosqlite's thread per statement,
with the results, row counts, transactions and errors of the stock adapter."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from pyshepard.core.config import to_async_url
from pyshepard.core.db import READ_ONLY, create_engine
from pyshepard.core.dialect import driver_in_transaction, sqlite_connection
from pyshepard.core.sqlite_driver import ReadOnlyViolation


@pytest.fixture
async def engine(tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(to_async_url(f"sqlite:///{tmp_path / 'driver.db'}"))
    async with engine.begin() as conn:
        await conn.exec_driver_sql("CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT UNIQUE)")
    yield engine
    await engine.dispose()


def _count_trips(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Names of the functions sent to aiosqlite's thread."""
    import aiosqlite.core  # noqa: PLC0415 - only this test looks inside aiosqlite

    trips: list[str] = []
    original: Any = aiosqlite.core.Connection._execute

    async def counting(self: Any, fn: Any, *args: Any, **kwargs: Any) -> Any:
        trips.append(getattr(fn, "__name__", repr(fn)))
        return await original(self, fn, *args, **kwargs)

    monkeypatch.setattr(aiosqlite.core.Connection, "_execute", counting)
    return trips


async def test_a_select_is_one_trip(engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch) -> None:
    async with engine.connect() as conn:
        await conn.exec_driver_sql("SELECT 1")  # BEGIN happens with the first statement
        trips = _count_trips(monkeypatch)
        result = await conn.execute(text("SELECT :a AS a, :b AS b"), {"a": 1, "b": "x"})
        assert result.keys() == ["a", "b"]
        assert result.all() == [(1, "x")]
        # the statement, and nothing else: no cursor to open or close
        assert trips == ["_execute"]


async def test_results_row_counts_and_ids(engine: AsyncEngine) -> None:
    async with engine.begin() as conn:
        inserted = await conn.execute(text("INSERT INTO t (name) VALUES ('a')"))
        assert inserted.rowcount == 1
        assert inserted.lastrowid == 1
        many = await conn.exec_driver_sql("INSERT INTO t (name) VALUES (?)", [("b",), ("c",)])
        assert many.rowcount == 2
        returned = await conn.execute(text("INSERT INTO t (name) VALUES ('d') RETURNING id, name"))
        assert returned.all() == [(4, "d")]
        empty = await conn.execute(text("SELECT id FROM t WHERE name = 'nobody'"))
        assert empty.keys() == ["id"]
        assert empty.all() == []
        updated = await conn.execute(text("UPDATE t SET name = name || '!' WHERE id > 1"))
        assert updated.rowcount == 3
        rows = await conn.execute(text("SELECT name FROM t ORDER BY id"))
        assert rows.fetchone() == ("a",)
        assert rows.fetchmany(2) == [("b!",), ("c!",)]
        assert rows.fetchall() == [("d!",)]


async def test_rollback_and_errors(engine: AsyncEngine) -> None:
    async with engine.connect() as conn:
        await conn.execute(text("INSERT INTO t (name) VALUES ('kept')"))
        await conn.commit()
        await conn.execute(text("INSERT INTO t (name) VALUES ('dropped')"))
        await conn.rollback()
        with pytest.raises(IntegrityError):
            await conn.execute(text("INSERT INTO t (name) VALUES ('kept')"))
        await conn.rollback()
        names = (await conn.execute(text("SELECT name FROM t"))).scalars().all()
    assert names == ["kept"]


async def test_no_trip_to_end_a_transaction_that_is_over(
    engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    trips = _count_trips(monkeypatch)
    async with engine.begin() as conn:
        await conn.exec_driver_sql("INSERT INTO t (name) VALUES ('x')")
    # BEGIN with the INSERT, then COMMIT; the pool's rollback on check-in finds no transaction
    assert trips == ["_execute", "commit"]
    async with engine.connect() as conn:
        assert (await conn.exec_driver_sql("SELECT name FROM t")).scalars().all() == ["x"]


def _other_writer_is_locked_out(path: Path) -> bool:
    other = sqlite3.connect(path, timeout=0, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")
    except sqlite3.OperationalError as exc:
        return "locked" in str(exc)
    else:
        other.execute("ROLLBACK")
        return False
    finally:
        other.close()


async def test_the_deferred_begin_still_takes_the_write_lock_up_front(
    engine: AsyncEngine, tmp_path: Path
) -> None:
    async with engine.connect() as conn:
        await conn.exec_driver_sql("SELECT 1")  # a read, but in a write unit of work
        assert _other_writer_is_locked_out(tmp_path / "driver.db")
        await conn.rollback()
    reader = engine.execution_options(**{READ_ONLY: True})
    async with reader.connect() as conn:
        await conn.exec_driver_sql("SELECT 1")
        assert not _other_writer_is_locked_out(tmp_path / "driver.db")


async def test_a_read_only_transaction_refuses_writes_and_the_next_one_may_write(
    engine: AsyncEngine,
) -> None:
    reader = engine.execution_options(**{READ_ONLY: True})
    async with reader.connect() as conn:
        assert (await conn.exec_driver_sql("SELECT count(*) FROM t")).scalar() == 0
        for statement in ("INSERT INTO t (name) VALUES ('a')", "  update t SET name = 'b'"):
            with pytest.raises(ReadOnlyViolation):
                await conn.exec_driver_sql(statement)
    # the same pooled connection, now in a write unit of work
    async with engine.begin() as conn:
        await conn.exec_driver_sql("INSERT INTO t (name) VALUES ('a')")
    async with engine.connect() as conn:
        assert (await conn.exec_driver_sql("SELECT name FROM t")).scalars().all() == ["a"]


async def test_a_transaction_without_statements_never_reaches_sqlite(
    engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    trips = _count_trips(monkeypatch)
    async with engine.begin():
        pass
    assert trips == []


async def test_run_does_several_statements_in_one_trip_inside_the_transaction(
    engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    def insert_two(connection: sqlite3.Connection) -> int:
        connection.executemany("INSERT INTO t (name) VALUES (?)", [("a",), ("b",)])
        return int(connection.execute("SELECT count(*) FROM t").fetchone()[0])

    async with AsyncSession(engine) as session:
        trips = _count_trips(monkeypatch)
        assert await (await sqlite_connection(session)).run(insert_two) == 2
        assert trips == ["_run"]  # BEGIN, INSERTs and the count, one function on the thread
        await session.rollback()
        assert (await session.execute(text("SELECT count(*) FROM t"))).scalar() == 0
        with pytest.raises(IntegrityError):  # reported as SQLAlchemy reports its own
            await (await sqlite_connection(session)).run(
                lambda connection: connection.executemany(
                    "INSERT INTO t (name) VALUES (?)", [("c",), ("c",)]
                )
            )


async def test_direct_driver_use_happens_inside_the_transaction(engine: AsyncEngine) -> None:
    async with AsyncSession(engine) as session:
        driver = await driver_in_transaction(session)
        await driver.execute("INSERT INTO t (name) VALUES ('undone')")
        await session.rollback()
        assert (await session.execute(text("SELECT count(*) FROM t"))).scalar() == 0
