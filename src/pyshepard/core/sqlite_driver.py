"""SQLAlchemy's aiosqlite adapter, with one trip to the connection's thread per statement.

aiosqlite runs every call on a thread of its own, and SQLAlchemy's adapter makes a trip for
each step of a statement: open a cursor, execute, fetch all rows, close the cursor. A trip costs
about 0.1 ms (a queue put, a thread wake-up, a self-pipe write to wake the event loop), which
is more than most of our statements take. Here execute, fetch and close run as one function on
that thread, a transaction's BEGIN travels with its first statement, and commit/rollback skip
the trip when SQLite has no transaction open.

This uses aiosqlite's `_execute` and `_conn` (not public API, as SQLAlchemy's own adapter uses
its `_tx` queue); pyproject pins aiosqlite to the minor series this was written against.
"""

from __future__ import annotations

import collections
import sqlite3
from collections.abc import Callable, Sequence
from threading import Thread
from typing import Any, TypeVar, cast

import aiosqlite
from sqlalchemy.dialects.sqlite.aiosqlite import (
    AsyncAdapt_aiosqlite_connection,
    AsyncAdapt_aiosqlite_cursor,
    AsyncAdapt_aiosqlite_dbapi,
)
from sqlalchemy.exc import DBAPIError
from sqlalchemy.util import EMPTY_DICT
from sqlalchemy.util.concurrency import await_

T = TypeVar("T")

# statements that change the database (a read-only unit of work must not run them)
_WRITING = frozenset({"INSERT", "UPDATE", "DELETE", "REPLACE", "CREATE", "DROP", "ALTER"})


class ReadOnlyViolation(RuntimeError):
    """A unit of work opened read-only tried to write. A programming error: on SQLite such a
    transaction holds no write lock, and upgrading it fails while another writer is busy."""


def _refuse_writes(operation: str) -> None:
    words = operation.lstrip().split(None, 1)
    if words and words[0].upper() in _WRITING:
        raise ReadOnlyViolation(f"write in a read-only unit of work: {operation[:80]}")


# what one statement leaves behind: description, rows, rowcount, lastrowid
_Outcome = tuple[Any, list[Any], int, int | None]


def _execute(
    connection: sqlite3.Connection,
    operation: str,
    parameters: Sequence[Any] | None,
    begin: str | None = None,
) -> _Outcome:
    if begin is not None:
        connection.execute(begin)
    cursor = connection.cursor()
    try:
        if parameters is None:
            cursor.execute(operation)
        else:
            cursor.execute(operation, parameters)
        description = cursor.description
        rows = cursor.fetchall() if description else []
        return description, rows, cursor.rowcount, cursor.lastrowid
    finally:
        cursor.close()


def _executemany(
    connection: sqlite3.Connection,
    operation: str,
    parameters: Sequence[Any],
    begin: str | None = None,
) -> _Outcome:
    if begin is not None:
        connection.execute(begin)
    cursor = connection.cursor()
    try:
        cursor.executemany(operation, parameters)
        return cursor.description, [], cursor.rowcount, cursor.lastrowid
    finally:
        cursor.close()


def _run(
    connection: sqlite3.Connection, work: Callable[[sqlite3.Connection], T], begin: str | None
) -> T:
    if begin is not None:
        connection.execute(begin)
    return work(connection)


class OneTripCursor(AsyncAdapt_aiosqlite_cursor):
    """A buffered cursor whose statement, rows and close make one trip to the thread."""

    __slots__ = ("_arraysize", "_description", "_lastrowid", "_rowcount")
    # no aiosqlite cursor is ever opened, so there is nothing to close
    _awaitable_cursor_close = False

    def __init__(self, adapt_connection: AsyncAdapt_aiosqlite_connection) -> None:
        # deliberately not calling super().__init__: it opens an aiosqlite cursor (two trips)
        self._adapt_connection = adapt_connection
        self._connection = adapt_connection._connection
        self._cursor = None  # type: ignore[assignment]
        self._soft_closed_memoized = EMPTY_DICT
        self._rows = collections.deque()
        self._description: Any = None
        self._rowcount = -1
        self._lastrowid: int | None = None
        self._arraysize = 1

    @property
    def description(self) -> Any:
        return self._description

    @property
    def rowcount(self) -> int:
        return self._rowcount

    @property
    def lastrowid(self) -> int:
        return self._lastrowid  # type: ignore[return-value]

    @property
    def arraysize(self) -> int:
        return self._arraysize

    @arraysize.setter
    def arraysize(self, value: int) -> None:
        self._arraysize = value

    def _record(self, outcome: _Outcome) -> None:
        self._description, rows, self._rowcount, self._lastrowid = outcome
        self._rows = collections.deque(rows)

    async def _execute_async(self, operation: Any, parameters: Any) -> Any:
        driver: Any = self._connection  # an aiosqlite.Connection; `_execute` is untyped
        connection: Any = self._adapt_connection
        if connection.read_only:
            _refuse_writes(operation)
        async with connection._execute_mutex:
            begin = connection.take_pending_begin()
            self._record(
                await driver._execute(_execute, driver._conn, operation, parameters, begin)
            )

    async def _executemany_async(self, operation: Any, seq_of_parameters: Any) -> Any:
        driver: Any = self._connection
        connection: Any = self._adapt_connection
        if connection.read_only:
            _refuse_writes(operation)
        async with connection._execute_mutex:
            begin = connection.take_pending_begin()
            self._record(
                await driver._execute(
                    _executemany, driver._conn, operation, seq_of_parameters, begin
                )
            )


class OneTripConnection(AsyncAdapt_aiosqlite_connection):
    __slots__ = ("_pending_begin", "read_only")
    # a subclass of the declared cursor type; mypy reads the class attribute as invariant
    _cursor_cls = OneTripCursor  # type: ignore[assignment]

    def __init__(self, dbapi: Any, connection: Any) -> None:
        super().__init__(dbapi, connection)
        self._pending_begin: str | None = None
        # the current transaction's: a read-only one refuses statements that write
        self.read_only = False

    def defer_begin(self, statement: str, *, read_only: bool = False) -> None:
        """Open the transaction with `statement` (a BEGIN) in the trip of the next statement."""
        self._pending_begin = statement
        self.read_only = read_only

    def take_pending_begin(self) -> str | None:
        begin, self._pending_begin = self._pending_begin, None
        return begin

    async def begin_now(self) -> None:
        """Run a deferred BEGIN now: before using the aiosqlite connection directly, whose
        statements would otherwise run outside the transaction."""
        begin = self.take_pending_begin()
        if begin is not None:
            await self.run(lambda connection: connection.execute(begin))

    async def run(self, work: Callable[[sqlite3.Connection], T]) -> T:
        """`work` on the connection's thread in one trip, inside the transaction (a deferred
        BEGIN runs first): for a unit of statements whose per-statement trips would cost more
        than the statements themselves."""
        driver: Any = self._connection
        async with self._execute_mutex:
            begin = self.take_pending_begin()
            try:
                return cast(T, await driver._execute(_run, driver._conn, work, begin))
            except sqlite3.Error as exc:
                # as SQLAlchemy reports the errors of the statements it runs itself
                raise DBAPIError.instance(None, None, exc, sqlite3.Error) from exc

    def _in_transaction(self) -> bool:
        # sqlite3 reads this flag from the library without a trip (sqlite3_get_autocommit)
        driver: Any = self._connection
        connection: sqlite3.Connection | None = driver._connection
        return connection is not None and connection.in_transaction

    def rollback(self) -> None:
        self._pending_begin = None  # a transaction no statement used was never opened
        if self._in_transaction():
            super().rollback()

    def commit(self) -> None:
        self._pending_begin = None
        if self._in_transaction():
            super().commit()


class OneTripDbapi(AsyncAdapt_aiosqlite_dbapi):
    """Pass as `module=` to `create_async_engine` for a `sqlite+aiosqlite` URL."""

    def __init__(self) -> None:
        super().__init__(aiosqlite, sqlite3)

    def connect(self, *arg: Any, **kw: Any) -> OneTripConnection:
        connection: Any = aiosqlite.connect(*arg, **kw)
        # as SQLAlchemy's adapter: never block interpreter exit (aiosqlite < 0.21 is a Thread)
        (connection if isinstance(connection, Thread) else connection._thread).daemon = True
        return OneTripConnection(self, await_(connection))
