"""A container deleted while a write into it is in flight keeps no payload of that write, for
every kind (PostgreSQL: the writer share-locks the container row, so the delete's UPDATE waits
for it and then deletes its rows too; SQLite serialises writers anyway)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import orjson
import pytest
from sqlalchemy import text

from pyshepard.core.db import Database, UnitOfWork
from pyshepard.core.errors import NotFound
from pyshepard.core.identity import Principal
from pyshepard.data.containers import service as containers
from pyshepard.data.containers.schemas import ContainerType
from pyshepard.data.spatial import service as spatial
from pyshepard.data.structured import service as structured
from pyshepard.data.structured.schemas import StructuredData, StructuredDataPayload
from pyshepard.data.timeseries import service as timeseries

OWNER = Principal(username="system", via="system")
KEY = {"measurement": "m", "device": "d", "location": "l", "symbolicName": "s"}

Write = Callable[[UnitOfWork, int], Awaitable[object]]


async def _new_channel(uow: UnitOfWork, container_id: int) -> object:
    points = [{"timestamp": i, "value": i * 0.5} for i in range(50)]
    body = orjson.dumps({"timeseries": {**KEY, "field": "new"}, "points": points})
    return await timeseries.save_points(uow, OWNER, container_id, body)


async def _csv(uow: UnitOfWork, container_id: int) -> object:
    header = "DEVICE,FIELD,LOCATION,MEASUREMENT,SYMBOLICNAME,TIMESTAMP,VALUE\n"
    rows = "".join(f"d,{f},l,m,s,{i},{i}.5\n" for f in ("x", "y") for i in range(20))
    return await timeseries.import_csv(uow, OWNER, container_id, (header + rows).encode())


async def _spatial(uow: UnitOfWork, container_id: int) -> object:
    points = [{"x": i, "y": i, "z": i, "timestamp": i, "measurements": {"v": i}} for i in range(50)]
    return await spatial.save_points(uow, OWNER, container_id, orjson.dumps(points))


async def _structured(uow: UnitOfWork, container_id: int) -> object:
    body = StructuredDataPayload(structuredData=StructuredData(name="d"), payload='{"a": 1}')
    return await structured.create_structured_data(uow, OWNER, container_id, body)


CASES: dict[str, tuple[ContainerType, Write, Callable[[UnitOfWork, int], Awaitable[None]]]] = {
    "timeseries new channel": (ContainerType.TIMESERIES, _new_channel, timeseries.delete_container),
    "timeseries csv import": (ContainerType.TIMESERIES, _csv, timeseries.delete_container),
    "spatial": (ContainerType.SPATIALDATA, _spatial, spatial.delete_container),
    "structured": (ContainerType.STRUCTUREDDATA, _structured, structured.delete_container),
}
LEFTOVERS = (
    "SELECT (SELECT count(*) FROM timeseries WHERE container_id = :c)"
    " + (SELECT count(*) FROM spatial_points WHERE container_id = :c)"
    " + (SELECT count(*) FROM structured_data WHERE container_id = :c)"
)


@pytest.mark.parametrize("case", CASES)
async def test_a_delete_waits_for_writes_in_flight_and_removes_their_payload(
    postgres: Database, case: str
) -> None:
    kind, write, delete = CASES[case]

    async def make(uow: UnitOfWork) -> int:
        return (await containers.create_container(uow, OWNER, kind, "race")).id

    container_id: int = await postgres.run(make)
    writer = postgres.unit_of_work()
    try:
        await write(writer, container_id)
        deleting = asyncio.create_task(postgres.run(lambda uow: delete(uow, OWNER, container_id)))
        await asyncio.sleep(0.3)
        assert not deleting.done()  # waits for the writer's share lock on the container
        await writer.commit()
    finally:
        await writer.session.close()
    await deleting

    async def leftovers(uow: UnitOfWork) -> int:
        return int((await uow.session.execute(text(LEFTOVERS), {"c": container_id})).scalar_one())

    assert await postgres.run(leftovers) == 0
    with pytest.raises(NotFound):  # a write after the delete finds no container
        await postgres.run(lambda uow: write(uow, container_id))
