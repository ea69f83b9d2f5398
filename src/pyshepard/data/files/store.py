from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from pyshepard.context.collections.models import Collection
from pyshepard.core.dialect import is_postgres
from pyshepard.core.text import storable, text_is
from pyshepard.data.files.models import StoredFile


class FileStore:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, **fields: Any) -> StoredFile:
        stored = StoredFile(**fields)
        self.session.add(stored)
        await self.session.flush()
        return stored

    async def list_for_container(self, container_id: int) -> Sequence[StoredFile]:
        statement = (
            select(StoredFile)
            .where(StoredFile.container_id == container_id)
            .order_by(StoredFile.id)
        )
        return (await self.session.scalars(statement)).all()

    async def get(self, container_id: int, oid: str) -> StoredFile | None:
        statement = select(StoredFile).where(
            StoredFile.container_id == container_id, text_is(StoredFile.oid, oid)
        )
        return (await self.session.scalars(statement)).first()

    async def find_many(self, container_id: int, oids: Sequence[str]) -> Sequence[StoredFile]:
        """The files of the container among `oids` (unknown ones are left out)."""
        wanted = {oid for oid in oids if storable(oid)}
        if not wanted:
            return []
        statement = select(StoredFile).where(
            StoredFile.container_id == container_id, StoredFile.oid.in_(wanted)
        )
        return (await self.session.scalars(statement)).all()

    async def remove(self, stored: StoredFile) -> None:
        await self.session.delete(stored)
        await self.session.flush()

    async def remove_all(self, container_id: int) -> set[str]:
        """Deletes every file row of the container; returns the blob keys they used."""
        statement = (
            delete(StoredFile)
            .where(StoredFile.container_id == container_id)
            .returning(StoredFile.blob_key)
        )
        return set((await self.session.scalars(statement)).all())

    async def referenced(self, keys: Iterable[str]) -> set[str]:
        """The subset of `keys` that some file row still uses."""
        wanted = set(keys)
        if not wanted:
            return set()
        statement = select(StoredFile.blob_key).where(StoredFile.blob_key.in_(wanted)).distinct()
        return set((await self.session.scalars(statement)).all())

    async def lock_blob(self, key: str) -> None:
        """Serialise, until this transaction ends, everyone who adds or drops a use of `key`.

        PostgreSQL: a transaction-scoped advisory lock on the key's hash. SQLite: every write
        transaction already begins IMMEDIATE (core.db), so transactions are serialised anyway.
        """
        if is_postgres(self.session):
            digest = hashlib.sha256(key.encode()).digest()[:8]
            lock_id = int.from_bytes(digest, "big", signed=True)
            await self.session.execute(select(func.pg_advisory_xact_lock(lock_id)))

    async def default_collection_ids(self, container_id: int) -> list[int]:
        """Live collections that name this container as their default file container."""
        statement = (
            select(Collection.id)
            .where(
                Collection.default_file_container_id == container_id,
                Collection.deleted.is_(False),
            )
            .order_by(Collection.id)
        )
        return list((await self.session.scalars(statement)).all())
