"""A data object created while its collection is deleted never stays live in the deleted
collection (PostgreSQL: the creator locks the collection row and then finds it deleted, or
the delete waits for the creator and deletes its object too; SQLite serialises writers)."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import func, select

from pyshepard.context.collections import service as collections
from pyshepard.context.collections.schemas import Collection as CollectionOut
from pyshepard.context.dataobjects import service as dataobjects
from pyshepard.context.dataobjects.models import DataObject
from pyshepard.context.dataobjects.schemas import DataObject as DataObjectOut
from pyshepard.core.db import Database, UnitOfWork
from pyshepard.core.errors import NotFound
from pyshepard.core.identity import Principal

OWNER = Principal(username="system", via="system")


async def _collection(db: Database) -> int:
    async def make(uow: UnitOfWork) -> int:
        return (await collections.create_collection(uow, OWNER, CollectionOut(name="race"))).id

    collection_id: int = await db.run(make)
    return collection_id


async def _create(uow: UnitOfWork, collection_id: int) -> object:
    return await dataobjects.create_data_object(
        uow, OWNER, collection_id, DataObjectOut(name="late")
    )


async def _live_objects(db: Database, collection_id: int) -> int:
    async def count(uow: UnitOfWork) -> int:
        statement = select(func.count()).where(
            DataObject.collection_id == collection_id, DataObject.deleted.is_(False)
        )
        return int((await uow.session.execute(statement)).scalar_one())

    return await db.run(count)


async def test_a_create_waiting_for_a_delete_finds_the_collection_gone(postgres: Database) -> None:
    collection_id = await _collection(postgres)
    deleter = postgres.unit_of_work()
    try:
        await collections.delete_collection(deleter, OWNER, collection_id)
        creating = asyncio.create_task(postgres.run(lambda uow: _create(uow, collection_id)))
        await asyncio.sleep(0.3)
        assert not creating.done()  # waits for the collection row the delete has changed
        await deleter.commit()
    finally:
        await deleter.session.close()
    with pytest.raises(NotFound):
        await creating
    assert await _live_objects(postgres, collection_id) == 0


async def test_a_delete_waits_for_a_create_in_flight_and_deletes_its_object(
    postgres: Database,
) -> None:
    collection_id = await _collection(postgres)
    creator = postgres.unit_of_work()
    try:
        await _create(creator, collection_id)
        deleting = asyncio.create_task(
            postgres.run(lambda uow: collections.delete_collection(uow, OWNER, collection_id))
        )
        await asyncio.sleep(0.3)
        assert not deleting.done()
        await creator.commit()
    finally:
        await creator.session.close()
    await deleting
    assert await _live_objects(postgres, collection_id) == 0
