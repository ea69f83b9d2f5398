"""Two CSV imports naming the same channels in opposite orders both succeed on PostgreSQL: the
channels are locked in id order, not in file order (which deadlocked, and PostgreSQL aborted
one of the two imports)."""

from __future__ import annotations

import asyncio

from sqlalchemy import text

from pyshepard.core.db import Database, UnitOfWork
from pyshepard.core.identity import Principal
from pyshepard.data.containers import service as containers
from pyshepard.data.containers.schemas import ContainerType
from pyshepard.data.timeseries import service as timeseries

OWNER = Principal(username="system", via="system")
HEADER = "DEVICE,FIELD,LOCATION,MEASUREMENT,SYMBOLICNAME,TIMESTAMP,VALUE\n"


def _csv(fields: list[str], start: int) -> bytes:
    lines = [f"d,{field},l,m,s,{start + i},{i}.5\n" for field in fields for i in range(50)]
    return (HEADER + "".join(lines)).encode()


async def _points_per_field(db: Database, container_id: int) -> dict[str, int]:
    async def count(uow: UnitOfWork) -> dict[str, int]:
        rows = await uow.session.execute(
            text(
                "SELECT t.field, count(*) FROM timeseries t JOIN timeseries_points_double p "
                "ON p.timeseries_id = t.id WHERE t.container_id = :c GROUP BY t.field"
            ),
            {"c": container_id},
        )
        return {field: int(number) for field, number in rows.all()}

    counted: dict[str, int] = await db.run(count)
    return counted


async def test_imports_in_opposite_channel_orders_do_not_deadlock(postgres: Database) -> None:
    async def make(uow: UnitOfWork) -> int:
        container = await containers.create_container(uow, OWNER, ContainerType.TIMESERIES, "i")
        await timeseries.import_csv(uow, OWNER, container.id, _csv(["a", "b"], 0))
        return container.id

    container_id: int = await postgres.run(make)
    # a writer holds channel a's lock while both imports start: the first import queues for
    # a; the second takes b first when locking in file order, and then waits for a as well
    holder = postgres.unit_of_work()
    try:
        await timeseries.import_csv(holder, OWNER, container_id, _csv(["a"], 1000))
        first = asyncio.create_task(
            postgres.run(
                lambda uow: timeseries.import_csv(uow, OWNER, container_id, _csv(["a", "b"], 2000))
            )
        )
        await asyncio.sleep(0.3)
        second = asyncio.create_task(
            postgres.run(
                lambda uow: timeseries.import_csv(uow, OWNER, container_id, _csv(["b", "a"], 3000))
            )
        )
        await asyncio.sleep(0.3)
        assert not first.done()
        assert not second.done()
        await holder.commit()
    finally:
        await holder.session.close()
    await asyncio.wait_for(asyncio.gather(first, second), timeout=30)
    assert await _points_per_field(postgres, container_id) == {"a": 200, "b": 150}
