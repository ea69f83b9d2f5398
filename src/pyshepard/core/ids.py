"""One int64 id sequence shared by every shepard entity kind (upstream ids are graph node ids)."""

from __future__ import annotations

from sqlalchemy import Column, Integer, Sequence, Table, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from pyshepard.core.db import Base
from pyshepard.core.dialect import is_postgres

ENTITY_ID_SEQUENCE = Sequence("shepard_entity_id_seq", start=1)

# SQLite has no sequences: an AUTOINCREMENT table hands out the same monotonic ids.
entity_id_allocator = Table(
    "shepard_entity_ids",
    Base.metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    sqlite_autoincrement=True,
)


async def next_entity_id(session: AsyncSession) -> int:
    """Allocate the next id; never reused, even after rollback on PostgreSQL."""
    if is_postgres(session):
        return int((await session.execute(select(ENTITY_ID_SEQUENCE.next_value()))).scalar_one())
    result = await session.execute(insert(entity_id_allocator).returning(entity_id_allocator.c.id))
    return int(result.scalar_one())
