from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from pyshepard.context.semantic.models import SemanticAnnotation, SemanticRepository
from pyshepard.context.semantic.schemas import SemanticRepositoryAttributes
from pyshepard.core.ids import next_entity_id
from pyshepard.core.text import text_is


@dataclass(frozen=True)
class Owner:
    """What an annotation hangs on: an entity of the shared id space, or a timeseries channel."""

    entity_id: int | None = None
    timeseries_id: int | None = None

    def owns(self, annotation: SemanticAnnotation) -> bool:
        return (
            annotation.entity_id == self.entity_id
            and annotation.timeseries_id == self.timeseries_id
        )


def _owned_by(owner: Owner) -> ColumnElement[bool]:
    if owner.timeseries_id is not None:
        return SemanticAnnotation.timeseries_id == owner.timeseries_id
    return SemanticAnnotation.entity_id == owner.entity_id


class SemanticStore:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    # -- repositories ------------------------------------------------------------------------

    async def repository(self, repository_id: int) -> SemanticRepository | None:
        """The live (not soft-deleted) repository, or None."""
        repository = await self.session.get(SemanticRepository, repository_id)
        return None if repository is None or repository.deleted else repository

    async def add_repository(self, **fields: Any) -> SemanticRepository:
        repository = SemanticRepository(id=await next_entity_id(self.session), **fields)
        self.session.add(repository)
        await self.session.flush()
        return repository

    async def repositories(
        self,
        *,
        name: str | None,
        window: tuple[int, int] | None,
        order_by: SemanticRepositoryAttributes | None,
        order_desc: bool,
    ) -> Sequence[SemanticRepository]:
        """Live repositories; `name` is an exact match (as upstream's graph match), ordered
        (names case-insensitively) and paged in SQL."""
        statement = select(SemanticRepository).where(SemanticRepository.deleted.is_(False))
        if name is not None:
            statement = statement.where(text_is(SemanticRepository.name, name))
        if order_by is not None:
            column: Any = {
                SemanticRepositoryAttributes.name: func.lower(SemanticRepository.name),
                SemanticRepositoryAttributes.createdAt: SemanticRepository.created_at,
                SemanticRepositoryAttributes.updatedAt: SemanticRepository.updated_at,
            }[order_by]
            statement = statement.order_by(
                column.desc().nulls_first() if order_desc else column.asc().nulls_last()
            )
        descending = order_by is not None and order_desc
        statement = statement.order_by(
            SemanticRepository.id.desc() if descending else SemanticRepository.id
        )
        if window is not None:
            statement = statement.offset(window[0]).limit(window[1])
        return (await self.session.scalars(statement)).all()

    # -- annotations -------------------------------------------------------------------------

    async def annotation(self, annotation_id: int) -> SemanticAnnotation | None:
        return await self.session.get(SemanticAnnotation, annotation_id)

    async def annotations(self, owner: Owner) -> Sequence[SemanticAnnotation]:
        """The annotations of one entity or channel, oldest first."""
        statement = (
            select(SemanticAnnotation).where(_owned_by(owner)).order_by(SemanticAnnotation.id)
        )
        return (await self.session.scalars(statement)).all()

    async def add_annotation(self, owner: Owner, **fields: Any) -> SemanticAnnotation:
        annotation = SemanticAnnotation(
            id=await next_entity_id(self.session),
            entity_id=owner.entity_id,
            timeseries_id=owner.timeseries_id,
            **fields,
        )
        self.session.add(annotation)
        await self.session.flush()
        return annotation

    async def delete_annotation(self, annotation: SemanticAnnotation) -> None:
        await self.session.execute(
            delete(SemanticAnnotation).where(SemanticAnnotation.id == annotation.id)
        )
        await self.session.flush()
