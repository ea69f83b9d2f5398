"""A timeseries container deleted while points are written to it leaves no orphan points, in
either order (PostgreSQL: channel advisory locks; SQLite serialises writers anyway)."""

from __future__ import annotations

import asyncio

import orjson
import pytest
from sqlalchemy import text

from pyshepard.core.db import Database, UnitOfWork
from pyshepard.core.errors import NotFound
from pyshepard.core.identity import Principal
from pyshepard.data.containers import service as containers
from pyshepard.data.containers.schemas import ContainerType
from pyshepard.data.timeseries import service as timeseries

OWNER = Principal(username="system", via="system")
KEY = {"measurement": "m", "device": "d", "location": "l", "symbolicName": "s", "field": "f"}


def _body(start: int) -> bytes:
    points = [{"timestamp": start + i, "value": i * 0.5} for i in range(100)]
    return orjson.dumps({"timeseries": KEY, "points": points})


async def _container_with_a_channel(db: Database) -> tuple[int, int]:
    """A container with one channel of points: (container id, channel id)."""

    async def make(uow: UnitOfWork) -> tuple[int, int]:
        container = await containers.create_container(uow, OWNER, ContainerType.TIMESERIES, "r")
        await timeseries.save_points(uow, OWNER, container.id, _body(0))
        channel = await uow.session.execute(
            text("SELECT id FROM timeseries WHERE container_id = :c"), {"c": container.id}
        )
        return container.id, int(channel.scalar_one())

    made: tuple[int, int] = await db.run(make)
    return made


async def _stored_points(db: Database, channel_id: int) -> int:
    async def count(uow: UnitOfWork) -> int:
        result = await uow.session.execute(
            text("SELECT count(*) FROM timeseries_points_double WHERE timeseries_id = :c"),
            {"c": channel_id},
        )
        return int(result.scalar_one())

    return int(await db.run(count))


async def test_a_delete_waits_for_a_write_in_flight_and_removes_its_points(
    postgres: Database,
) -> None:
    container_id, channel_id = await _container_with_a_channel(postgres)
    writer = postgres.unit_of_work()
    try:
        await timeseries.save_points(writer, OWNER, container_id, _body(1000))
        deleting = asyncio.create_task(
            postgres.run(lambda uow: timeseries.delete_container(uow, OWNER, container_id))
        )
        await asyncio.sleep(0.3)
        assert not deleting.done()  # waits for the channel's lock
        await writer.commit()
    finally:
        await writer.session.close()
    await deleting
    assert await _stored_points(postgres, channel_id) == 0


async def test_a_write_that_waited_for_a_delete_stores_nothing(postgres: Database) -> None:
    container_id, channel_id = await _container_with_a_channel(postgres)
    deleter = postgres.unit_of_work()
    try:
        await timeseries.delete_container(deleter, OWNER, container_id)
        writing = asyncio.create_task(
            postgres.run(lambda uow: timeseries.save_points(uow, OWNER, container_id, _body(2000)))
        )
        await asyncio.sleep(0.3)
        assert not writing.done()  # the container still looked alive; the channel is locked
        await deleter.commit()
    finally:
        await deleter.session.close()
    with pytest.raises(NotFound):
        await writing
    assert await _stored_points(postgres, channel_id) == 0
