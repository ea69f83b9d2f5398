"""Text the database cannot hold is recognised from the real driver's error, on either backend."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from pyshepard.core.db import Database, UnitOfWork
from pyshepard.core.text import is_unstorable_text_error, storable


@pytest.mark.parametrize("value", ["nul\x00byte", "lone \ud800 surrogate"])
async def test_driver_errors_for_unstorable_text_are_recognised(db: Database, value: str) -> None:
    assert not storable(value)

    async def query(uow: UnitOfWork) -> object:
        return (await uow.session.execute(text("SELECT CAST(:v AS TEXT)"), {"v": value})).scalar()

    if db.engine.dialect.name == "sqlite" and "\x00" in value:
        # SQLite keeps NUL bytes; only PostgreSQL refuses them
        assert await db.run(query) == value
        return
    with pytest.raises(Exception) as caught:  # noqa: PT011 - the driver's own error is the subject
        await db.run(query)
    assert is_unstorable_text_error(caught.value), repr(caught.value)


async def test_other_database_errors_are_not_mistaken_for_text_errors(db: Database) -> None:
    async def duplicate(uow: UnitOfWork) -> None:
        await uow.session.execute(text("CREATE TEMPORARY TABLE once (k INTEGER PRIMARY KEY)"))
        await uow.session.execute(text("INSERT INTO once VALUES (1), (1)"))

    with pytest.raises(IntegrityError) as caught:
        await db.run(duplicate)
    assert not is_unstorable_text_error(caught.value)


def test_ordinary_text_is_storable() -> None:
    assert storable("Grüße, 温度 🌡")
