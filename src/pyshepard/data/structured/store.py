"""Every query on `structured_data`; filters compile into SQL (see `query.py`)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Row, Text, cast, delete, func, select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

from pyshepard.core.dialect import dialect_name
from pyshepard.core.text import storable, text_is
from pyshepard.data.containers.models import Container
from pyshepard.data.structured.models import StructuredDocument
from pyshepard.data.structured.query import FilterError, Node, compile_filter


@dataclass(frozen=True)
class DocumentInfo:
    """A document's metadata without its body (upstream's `StructuredData`)."""

    oid: str
    name: str | None
    created_at: datetime


@dataclass(frozen=True)
class DocumentMatch:
    """A document found by a search: where it lives, its metadata and its body."""

    container_id: int
    oid: str
    name: str | None
    created_at: datetime
    document: dict[str, Any]


_INFO_COLUMNS = (StructuredDocument.oid, StructuredDocument.name, StructuredDocument.created_at)


# asyncpg allows at most 32 767 bind parameters per statement, SQLite 32 766: a reference may
# name more documents than that, so IN lists go in chunks
IN_LIST_CHUNK = 10_000


def _chunks(items: list[str]) -> list[list[str]]:
    return [items[start : start + IN_LIST_CHUNK] for start in range(0, len(items), IN_LIST_CHUNK)]


def _info(row: Row[str, str | None, datetime]) -> DocumentInfo:
    return DocumentInfo(oid=row.oid, name=row.name, created_at=row.created_at)


class StructuredStore:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, document: StructuredDocument) -> StructuredDocument:
        if dialect_name(self.session) == "postgresql":
            document.body = json.dumps(document.document, ensure_ascii=False)
        self.session.add(document)
        await self.session.flush()
        return document

    async def infos(self, container_id: int) -> list[DocumentInfo]:
        """Metadata of every document of the container, oldest first; bodies stay in SQL."""
        statement = (
            select(*_INFO_COLUMNS)
            .where(StructuredDocument.container_id == container_id)
            .order_by(StructuredDocument.id)
        )
        return [_info(row) for row in await self.session.execute(statement)]

    async def infos_of(self, container_id: int, oids: Iterable[str]) -> dict[str, DocumentInfo]:
        found: dict[str, DocumentInfo] = {}
        for chunk in _chunks([oid for oid in dict.fromkeys(oids) if storable(oid)]):
            statement = select(*_INFO_COLUMNS).where(
                StructuredDocument.container_id == container_id, StructuredDocument.oid.in_(chunk)
            )
            found.update({row.oid: _info(row) for row in await self.session.execute(statement)})
        return found

    async def get(self, container_id: int, oid: str) -> StructuredDocument | None:
        statement = select(StructuredDocument).where(
            StructuredDocument.container_id == container_id, text_is(StructuredDocument.oid, oid)
        )
        return (await self.session.scalars(statement)).one_or_none()

    async def get_many(
        self, container_id: int, oids: Sequence[str]
    ) -> dict[str, StructuredDocument]:
        found: dict[str, StructuredDocument] = {}
        for chunk in _chunks([oid for oid in dict.fromkeys(oids) if storable(oid)]):
            statement = select(StructuredDocument).where(
                StructuredDocument.container_id == container_id,
                StructuredDocument.oid.in_(chunk),
            )
            found.update({row.oid: row for row in await self.session.scalars(statement)})
        return found

    async def delete(self, container_id: int, oid: str) -> bool:
        statement = delete(StructuredDocument).where(
            StructuredDocument.container_id == container_id, text_is(StructuredDocument.oid, oid)
        )
        result = await self.session.execute(statement)
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def delete_all(self, container_id: int) -> None:
        await self.session.execute(
            delete(StructuredDocument).where(StructuredDocument.container_id == container_id)
        )

    def matching(self, node: Node) -> ColumnElement[bool]:
        """The WHERE clause of a filter, for this session's database."""
        return compile_filter(
            node,
            document=StructuredDocument.document.expression,
            oid=StructuredDocument.oid.expression,
            dialect=dialect_name(self.session),
        )

    async def search(
        self,
        node: Node,
        *,
        container_ids: Sequence[int],
        readable: ColumnElement[bool],
        limit: int | None,
        skip: int,
    ) -> list[DocumentMatch]:
        """Documents of live, readable containers matching the filter, in insertion order
        (plain rows, not ORM objects: a search may return many)."""
        statement = (
            select(
                StructuredDocument.container_id,
                *_INFO_COLUMNS,
                # the text as received (PostgreSQL), else the JSON1 text: decoded once
                func.coalesce(StructuredDocument.body, cast(StructuredDocument.document, Text)),
            )
            .join(Container, Container.id == StructuredDocument.container_id)
            .where(
                StructuredDocument.container_id.in_(list(container_ids)),
                Container.deleted.is_(False),
                readable,
                self.matching(node),
            )
            .order_by(StructuredDocument.id)
            .offset(skip)
            .limit(limit)
        )
        try:
            rows = await self.session.execute(statement)
            return [
                DocumentMatch(container_id, oid, name, created_at, json.loads(text))
                for container_id, oid, name, created_at, text in rows
            ]
        except DBAPIError as exc:
            # PostgreSQL's regex engine refuses some patterns Python's accepts
            if "regular expression" in str(exc.orig):
                raise FilterError(f"invalid regular expression: {exc.orig}") from None
            raise
