"""The one place domains learn which database they talk to (branch only inside store.py)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession


def dialect_name(session: AsyncSession) -> str:
    """`"postgresql"` or `"sqlite"`."""
    return session.get_bind().dialect.name


def is_postgres(session: AsyncSession) -> bool:
    return dialect_name(session) == "postgresql"


async def driver_in_transaction(session: AsyncSession) -> Any:
    """The session's driver connection (asyncpg or aiosqlite), with the session's transaction
    open on it, for the statements a store runs on the driver directly (COPY, bulk reads)."""
    raw = await _pooled(session)
    driver: Any = raw.driver_connection
    if is_postgres(session):
        if not driver.is_in_transaction():
            # asyncpg transactions start with SQLAlchemy's first statement
            await session.execute(text("SELECT 1"))
    else:
        # SQLite's BEGIN waits for the next statement through SQLAlchemy (core/sqlite_driver.py)
        adapted: Any = raw.dbapi_connection  # a OneTripConnection (core/sqlite_driver.py)
        await adapted.begin_now()
    return driver


async def sqlite_connection(session: AsyncSession) -> Any:
    """The session's `OneTripConnection` (SQLite only), its transaction begun by SQLAlchemy;
    `run(work)` runs several statements in one trip to the connection's thread."""
    return (await _pooled(session)).dbapi_connection


async def _pooled(session: AsyncSession) -> Any:
    """The pool's proxy of the session's connection (begun by SQLAlchemy)."""
    connection = await session.connection()
    return await connection.get_raw_connection()
