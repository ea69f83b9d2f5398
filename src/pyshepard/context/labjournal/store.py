from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from pyshepard.context.labjournal.models import LabJournalEntry
from pyshepard.core.ids import next_entity_id


class LabJournalStore:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, entry_id: int) -> LabJournalEntry | None:
        """The live (not soft-deleted) entry, or None."""
        entry = await self.session.get(LabJournalEntry, entry_id)
        return None if entry is None or entry.deleted else entry

    async def create(self, **fields: Any) -> LabJournalEntry:
        entry = LabJournalEntry(id=await next_entity_id(self.session), **fields)
        self.session.add(entry)
        await self.session.flush()
        return entry

    async def of_data_objects(self, data_object_ids: Sequence[int]) -> Sequence[LabJournalEntry]:
        """Live entries of the data objects, newest first (ties: higher id first)."""
        if not data_object_ids:
            return []
        statement = (
            select(LabJournalEntry)
            .where(
                LabJournalEntry.data_object_id.in_(list(data_object_ids)),
                LabJournalEntry.deleted.is_(False),
            )
            .order_by(LabJournalEntry.created_at.desc(), LabJournalEntry.id.desc())
        )
        return (await self.session.scalars(statement)).all()
