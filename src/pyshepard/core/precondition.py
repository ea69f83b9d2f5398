"""A check one domain hands to another domain's store, to run first inside the same unit of work.

On SQLite a store may do a whole unit of statements in one trip to the connection's thread
(`OneTripConnection.run`); a check that needs its own query (may the caller write this
container?) then travels with it instead of costing a trip of its own. On PostgreSQL, or in an
ordinary store method, `check` runs the same query through the session.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.dialects import sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import Executable

Rows = Sequence[tuple[Any, ...]]


@dataclass(frozen=True)
class SqliteStatement:
    """A SQLAlchemy statement compiled once for sqlite3: its SQL and its parameters' order.
    For statements whose parameters and columns need no type conversion (ids, text)."""

    sql: str
    names: tuple[str, ...]
    defaults: Mapping[str, Any]

    @classmethod
    def of(cls, statement: Executable) -> SqliteStatement:
        compiled = statement.compile(dialect=sqlite.dialect())  # type: ignore[attr-defined]
        return cls(compiled.string, tuple(compiled.positiontup or ()), dict(compiled.params))

    def rows(self, connection: sqlite3.Connection, values: Mapping[str, Any]) -> list[Any]:
        merged = {**self.defaults, **values}
        return connection.execute(self.sql, [merged[name] for name in self.names]).fetchall()


@dataclass(frozen=True)
class Precondition:
    """`statement` with `params`, and a verdict over its rows that raises a DomainError."""

    statement: Executable
    sqlite: SqliteStatement
    params: Mapping[str, Any]
    verdict: Callable[[Rows], None]

    async def check(self, session: AsyncSession) -> None:
        result = await session.execute(self.statement, dict(self.params))
        self.verdict([tuple(row) for row in result.all()])

    def check_on(self, connection: sqlite3.Connection) -> None:
        """On the connection's own thread, inside the transaction."""
        self.verdict([tuple(row) for row in self.sqlite.rows(connection, self.params)])
