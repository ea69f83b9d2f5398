"""Structured-data containers, their documents, and filter search over them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pyshepard.auth.permissions import service as permissions
from pyshepard.auth.permissions.policy import Action
from pyshepard.context.references.models import Reference
from pyshepard.core.clock import utcnow
from pyshepard.core.db import UnitOfWork
from pyshepard.core.errors import InvalidBody, InvalidInput
from pyshepard.core.identity import Principal
from pyshepard.data.containers import service as containers
from pyshepard.data.containers.models import Container
from pyshepard.data.containers.schemas import (
    ContainerAttributes,
    ContainerType,
    container_fields,
)
from pyshepard.data.structured import documents, search_store
from pyshepard.data.structured.errors import DocumentNotFound
from pyshepard.data.structured.models import StructuredDocument
from pyshepard.data.structured.query import Node, parse_filter, parse_query
from pyshepard.data.structured.schemas import (
    StructuredData,
    StructuredDataContainer,
    StructuredDataPayload,
)
from pyshepard.data.structured.store import DocumentInfo, DocumentMatch, StructuredStore

KIND = ContainerType.STRUCTUREDDATA
MAX_SEARCH_LIMIT = 10_000


def _store(uow: UnitOfWork) -> StructuredStore:
    return StructuredStore(uow.session)


def render_container(container: Container) -> StructuredDataContainer:
    return StructuredDataContainer(**container_fields(container), oid=container.oid)


async def create_container(
    uow: UnitOfWork, actor: Principal, body: StructuredDataContainer
) -> StructuredDataContainer:
    """A new Private container owned by `actor`."""
    return render_container(await containers.create_container(uow, actor, KIND, body.name))


async def list_containers(
    uow: UnitOfWork,
    actor: Principal,
    *,
    name: str | None = None,
    page: int | None = None,
    size: int | None = None,
    order_by: ContainerAttributes | None = None,
    order_desc: bool = False,
) -> list[StructuredDataContainer]:
    """Readable structured-data containers, filtered and paged in SQL."""
    rows = await containers.list_containers(
        uow,
        actor,
        KIND,
        name=name,
        page=page,
        size=size,
        order_by=order_by,
        order_desc=order_desc,
    )
    return [render_container(row) for row in rows]


async def load_container(
    uow: UnitOfWork, actor: Principal, container_id: int, action: Action = Action.READ
) -> Container:
    """Raises NotFound, PermissionDenied."""
    return await containers.load_container(uow, actor, container_id, KIND, action)


async def check_container(
    uow: UnitOfWork, actor: Principal, container_id: int, action: Action = Action.READ
) -> None:
    """As `load_container` for callers that need only the verdict: one round trip."""
    await containers.check_access(uow, actor, container_id, KIND, action)


async def get_container(
    uow: UnitOfWork, actor: Principal, container_id: int
) -> StructuredDataContainer:
    """Raises NotFound, PermissionDenied (Read)."""
    return render_container(await load_container(uow, actor, container_id))


async def delete_container(uow: UnitOfWork, actor: Principal, container_id: int) -> None:
    """Owner only; its documents go with it. Raises NotFound, PermissionDenied."""
    await containers.delete_container(uow, actor, container_id, KIND)
    await _store(uow).delete_all(container_id)


async def list_structured_data(
    uow: UnitOfWork, actor: Principal, container_id: int
) -> list[StructuredData]:
    """Metadata of the container's documents, oldest first. Raises NotFound, PermissionDenied."""
    await check_container(uow, actor, container_id)
    infos = await _store(uow).infos(container_id)
    return [documents.render_info(info.oid, info.name, info.created_at) for info in infos]


async def create_structured_data(
    uow: UnitOfWork, actor: Principal, container_id: int, body: StructuredDataPayload
) -> StructuredData:
    """Store one JSON object. Raises NotFound, PermissionDenied (Write), InvalidBody."""
    await check_container(uow, actor, container_id, Action.WRITE)
    document = documents.read_payload(body.payload)
    name = body.structuredData.name if body.structuredData else None
    row = await _store(uow).add(
        StructuredDocument(
            container_id=container_id,
            oid=documents.new_oid(),
            name=name,
            created_at=utcnow(),
            document=document,
        )
    )
    return documents.render_info(row.oid, row.name, row.created_at)


async def get_structured_data(
    uow: UnitOfWork, actor: Principal, container_id: int, oid: str
) -> StructuredDataPayload:
    """Raises NotFound, PermissionDenied (Read), DocumentNotFound."""
    await check_container(uow, actor, container_id)
    return await payload_of(uow, container_id, oid)


async def payload_of(uow: UnitOfWork, container_id: int, oid: str) -> StructuredDataPayload:
    """A document of a container the caller was cleared for; raises DocumentNotFound."""
    row = await _store(uow).get(container_id, oid)
    if row is None:
        raise DocumentNotFound(f"Could not find document with oid: {oid}")
    return documents.render_payload(row.oid, row.name, row.created_at, row.content())


async def delete_structured_data(
    uow: UnitOfWork, actor: Principal, container_id: int, oid: str
) -> None:
    """Raises NotFound, PermissionDenied (Write), DocumentNotFound."""
    await check_container(uow, actor, container_id, Action.WRITE)
    if not await _store(uow).delete(container_id, oid):
        raise DocumentNotFound(f"Could not delete document with oid: {oid}")


async def find_documents(
    uow: UnitOfWork, container_id: int, oids: Sequence[str]
) -> dict[str, DocumentInfo]:
    """Metadata of those of `oids` the container holds (no access check)."""
    return await _store(uow).infos_of(container_id, oids)


async def documents_of(
    uow: UnitOfWork, container_id: int, oids: Sequence[str]
) -> dict[str, StructuredDocument]:
    """Those of `oids` the container holds, with their bodies (no access check)."""
    return await _store(uow).get_many(container_id, oids)


async def search_documents(
    uow: UnitOfWork,
    actor: Principal,
    container_ids: Sequence[int],
    filter_doc: Mapping[str, Any] | Node,
    *,
    limit: int | None = None,
    skip: int = 0,
) -> list[DocumentMatch]:
    """Documents matching a Mongo-style filter, from those of `container_ids` the caller may
    read, oldest first. The filter runs in SQL. Raises FilterError (400) on bad filters."""
    node = parse_filter(filter_doc) if isinstance(filter_doc, Mapping) else filter_doc
    if skip < 0 or (limit is not None and not 0 <= limit <= MAX_SEARCH_LIMIT):
        raise InvalidInput(f"limit must be 0..{MAX_SEARCH_LIMIT} and skip not negative")
    if not container_ids:
        return []
    readable = permissions.filter_by_access(
        actor, StructuredDocument.container_id.expression, Action.READ
    )
    return await _store(uow).search(
        node, container_ids=container_ids, readable=readable, limit=limit, skip=skip
    )


@dataclass(frozen=True)
class Scope:
    """Upstream's SearchScope: a collection, optionally a start data object and traversals."""

    collection_id: int | None
    data_object_id: int | None = None
    traversal_rules: tuple[str, ...] = ()


@dataclass(frozen=True)
class ReferenceHit:
    collection_id: int
    reference: Reference


async def search_references(
    uow: UnitOfWork, actor: Principal, scopes: Sequence[Scope], query: str
) -> list[ReferenceHit]:
    """Upstream's structured-data search: the structured-data references reachable from the
    scopes (in collections and containers the caller may read) with at least one referenced
    document matching `query` (shepard JSON query or Mongo shell filter), by reference id.
    Raises InvalidBody (scope without collection), FilterError (400)."""
    node = parse_query(query)

    def readable(column: Any) -> Any:
        return permissions.filter_by_access(actor, column, Action.READ)

    hits: dict[int, ReferenceHit] = {}
    for scope in scopes:
        collection_id = scope.collection_id
        if collection_id is None:
            raise InvalidBody("Collection is necessary")
        rows = await search_store.matching_references(
            uow.session,
            node,
            collection_id=collection_id,
            data_object_id=scope.data_object_id,
            rules=scope.traversal_rules,
            readable=readable,
        )
        for row in rows:
            hits.setdefault(row.id, ReferenceHit(collection_id, row))
    return sorted(hits.values(), key=lambda hit: hit.reference.id)
