"""Multi-row INSERTs on SQLite (core/sqlite_bulk.py): every row, in statements SQLite accepts."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator

import pytest

from pyshepard.core.sqlite_bulk import ROWS_PER_STATEMENT, insert_rows

HEAD = "INSERT INTO p (id, ts, value)"
OVERWRITE = " ON CONFLICT (id, ts) DO UPDATE SET value = excluded.value"


@pytest.fixture
def connection() -> Iterator[sqlite3.Connection]:
    connection = sqlite3.connect(":memory:")
    connection.execute("CREATE TABLE p (id INT, ts INT, value, PRIMARY KEY (id, ts)) WITHOUT ROWID")
    yield connection
    connection.close()


def _rows(connection: sqlite3.Connection) -> list[tuple[int, int, object]]:
    return connection.execute("SELECT id, ts, value FROM p ORDER BY ts").fetchall()


@pytest.mark.parametrize("count", [1, 7, ROWS_PER_STATEMENT, ROWS_PER_STATEMENT * 2 + 3])
def test_every_row_arrives_whatever_the_count(connection: sqlite3.Connection, count: int) -> None:
    timestamps = list(range(count))
    values = [t * 0.5 for t in timestamps]
    insert_rows(connection, HEAD, ([9] * count, timestamps, values))
    assert _rows(connection) == [(9, t, t * 0.5) for t in timestamps]


def test_statements_stay_under_the_parameter_limit(connection: sqlite3.Connection) -> None:
    connection.setlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER, 10)  # three rows per statement
    insert_rows(connection, HEAD, ([1] * 11, list(range(11)), ["x"] * 11))
    assert len(_rows(connection)) == 11


def test_the_tail_applies_to_every_row(connection: sqlite3.Connection) -> None:
    insert_rows(connection, HEAD, ([1, 1], [1, 2], ["old", "old"]))
    insert_rows(connection, HEAD, ([1, 1, 1], [2, 3, 1], ["new", "new", "new"]), OVERWRITE)
    assert _rows(connection) == [(1, 1, "new"), (1, 2, "new"), (1, 3, "new")]


def test_a_failing_row_fails_the_call(connection: sqlite3.Connection) -> None:
    with pytest.raises(sqlite3.IntegrityError):
        insert_rows(connection, HEAD, ([1, 1], [5, 5], [0, 0]))
