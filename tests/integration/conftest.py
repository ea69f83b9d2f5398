"""Fixtures of the integration tests."""

from __future__ import annotations

import pytest

from pyshepard.core.db import Database


@pytest.fixture
def postgres(db: Database) -> Database:
    """The test database, for tests of concurrent transactions interleaving: SQLite writers
    take the write lock up front (BEGIN IMMEDIATE), so they never interleave or deadlock."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite writers hold the write lock from BEGIN IMMEDIATE on: no interleaving")
    return db
