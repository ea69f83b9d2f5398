"""Semantic repositories and annotations: use cases.

Annotations follow the annotated entity: Read on it to list or get them, Write to create or
delete them (collections, data objects and references: the collection's permissions; timeseries
channels: the container's). Outbound SPARQL requests never run inside a write transaction: the
checks run first, the transaction is released for the lookups, then the checks run again
before the insert.
"""

from __future__ import annotations

from dataclasses import dataclass

from pyshepard.auth.permissions import service as permissions
from pyshepard.auth.permissions.policy import Action
from pyshepard.context.collections import service as collections
from pyshepard.context.dataobjects import service as dataobjects
from pyshepard.context.references import service as references
from pyshepard.context.semantic.errors import SemanticNotFound
from pyshepard.context.semantic.models import SemanticAnnotation, SemanticRepository
from pyshepard.context.semantic.schemas import SemanticAnnotation as SemanticAnnotationOut
from pyshepard.context.semantic.schemas import SemanticRepository as SemanticRepositoryOut
from pyshepard.context.semantic.schemas import (
    SemanticRepositoryAttributes,
    SemanticRepositoryType,
)
from pyshepard.context.semantic.sparql import (
    EndpointRefused,
    SemanticClient,
    SparqlConnector,
    is_http_url,
)
from pyshepard.context.semantic.store import Owner, SemanticStore
from pyshepard.core.clock import to_wire, utcnow
from pyshepard.core.db import UnitOfWork
from pyshepard.core.errors import InvalidBody, NotFound, not_found
from pyshepard.core.identity import Principal
from pyshepard.data.timeseries import service as timeseries

INVALID_ENDPOINT = "Invalid endpoint"
TERM_NOT_FOUND = "term could not be found"
NO_ASSOCIATION = "ID ERROR - There is no association between annotation and entity"
MAX_ENDPOINT_LENGTH = 4096


def _store(uow: UnitOfWork) -> SemanticStore:
    return SemanticStore(uow.session)


def _refused(endpoint: str) -> InvalidBody:
    return InvalidBody(
        f"{INVALID_ENDPOINT}: {endpoint} is a loopback, private or link-local address; this "
        "server does not query those (setting semantic_allow_private_endpoints)"
    )


def render_repository(repository: SemanticRepository) -> SemanticRepositoryOut:
    return SemanticRepositoryOut.model_construct(
        id=repository.id,
        createdAt=to_wire(repository.created_at),
        createdBy=repository.created_by,
        updatedAt=to_wire(repository.updated_at),
        updatedBy=repository.updated_by,
        name=repository.name,
        type=SemanticRepositoryType(repository.type),
        endpoint=repository.endpoint,
    )


def render_annotation(annotation: SemanticAnnotation) -> SemanticAnnotationOut:
    return SemanticAnnotationOut.model_construct(
        id=annotation.id,
        name=f"{annotation.property_name}::{annotation.value_name}",
        propertyName=annotation.property_name,
        propertyIRI=annotation.property_iri,
        valueName=annotation.value_name,
        valueIRI=annotation.value_iri,
        propertyRepositoryId=annotation.property_repository_id,
        valueRepositoryId=annotation.value_repository_id,
    )


# -- repositories ------------------------------------------------------------------------------


async def list_repositories(
    uow: UnitOfWork,
    *,
    name: str | None = None,
    page: int | None = None,
    size: int | None = None,
    order_by: SemanticRepositoryAttributes | None = None,
    order_desc: bool | None = None,
) -> list[SemanticRepositoryOut]:
    """Live repositories; `name` is exact, paging needs both `page` and `size`."""
    window = (page * size, size) if page is not None and size is not None else None
    rows = await _store(uow).repositories(
        name=name, window=window, order_by=order_by, order_desc=bool(order_desc)
    )
    return [render_repository(row) for row in rows]


async def _find_repository(uow: UnitOfWork, repository_id: int) -> SemanticRepository:
    repository = await _store(uow).repository(repository_id)
    if repository is None:
        raise not_found("Semantic Repository", repository_id)
    return repository


async def get_repository(uow: UnitOfWork, repository_id: int) -> SemanticRepositoryOut:
    """Raises NotFound for a missing or deleted repository."""
    return render_repository(await _find_repository(uow, repository_id))


def _connector(
    client: SemanticClient, repository_type: SemanticRepositoryType | str, endpoint: str
) -> SparqlConnector:
    if repository_type != SemanticRepositoryType.SPARQL:
        # upstream throws UnsupportedOperationException (a 500); a client error is what it is
        raise InvalidBody(f"Repository Type {repository_type} is not yet implemented")
    return client.sparql(endpoint)


async def create_repository(
    uow: UnitOfWork, actor: Principal, body: SemanticRepositoryOut, client: SemanticClient
) -> SemanticRepositoryOut:
    """Checks the endpoint with a live `ASK` before storing anything; raises InvalidBody
    (malformed, refused or silent endpoint; type other than SPARQL)."""
    endpoint = body.endpoint
    if len(endpoint) > MAX_ENDPOINT_LENGTH or not is_http_url(endpoint):
        raise InvalidBody(INVALID_ENDPOINT)
    connector = _connector(client, body.type, endpoint)
    try:
        alive = await connector.health_check()
    except EndpointRefused:
        raise _refused(endpoint) from None
    if not alive:
        raise InvalidBody(INVALID_ENDPOINT)
    repository = await _store(uow).add_repository(
        name=body.name,
        type=body.type.value,
        endpoint=endpoint,
        created_at=utcnow(),
        created_by=actor.username,
    )
    return render_repository(repository)


async def delete_repository(uow: UnitOfWork, actor: Principal, repository_id: int) -> None:
    """Soft delete (annotations naming it keep their ids), as upstream: any authenticated user
    may delete a repository. Raises NotFound."""
    repository = await _find_repository(uow, repository_id)
    repository.deleted = True
    repository.updated_at = utcnow()
    repository.updated_by = actor.username
    await uow.session.flush()


# -- annotations -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Subject:
    """The path of the annotated thing: a collection, a data object, a reference, or a
    timeseries channel (`container_id` + `timeseries_id`)."""

    collection_id: int | None = None
    data_object_id: int | None = None
    reference_id: int | None = None
    container_id: int | None = None
    timeseries_id: int | None = None

    @property
    def is_timeseries(self) -> bool:
        return self.timeseries_id is not None


async def _resolve(uow: UnitOfWork, actor: Principal, subject: Subject, action: Action) -> Owner:
    """The annotated thing, in upstream's order: NotFound/PermissionDenied of reading it, then
    PermissionDenied of `action`."""
    if subject.container_id is not None and subject.timeseries_id is not None:
        await timeseries.get_channel(uow, actor, subject.container_id, subject.timeseries_id)
        if action is not Action.READ:
            await timeseries.load_container(uow, actor, subject.container_id, action)
        return Owner(timeseries_id=subject.timeseries_id)
    if subject.collection_id is None:
        raise ValueError("a subject needs a collection or a timeseries channel")
    if subject.data_object_id is not None and subject.reference_id is not None:
        await references.get_basic_reference(
            uow, actor, subject.collection_id, subject.data_object_id, subject.reference_id
        )
        if action is not Action.READ:
            await permissions.require(uow, actor, action, subject.collection_id)
        return Owner(entity_id=subject.reference_id)
    if subject.data_object_id is not None:
        await dataobjects.load_data_object(
            uow, actor, subject.collection_id, subject.data_object_id, action
        )
        return Owner(entity_id=subject.data_object_id)
    await collections.load_collection(uow, actor, subject.collection_id)
    if action is not Action.READ:
        await permissions.require(uow, actor, action, subject.collection_id)
    return Owner(entity_id=subject.collection_id)


async def _annotation_of(
    uow: UnitOfWork, subject: Subject, owner: Owner, annotation_id: int
) -> SemanticAnnotation:
    annotation = await _store(uow).annotation(annotation_id)
    if annotation is None:
        if subject.is_timeseries:
            raise SemanticNotFound(f"No semantic annotation found with id {annotation_id}")
        raise not_found("Semantic Annotation", annotation_id, SemanticNotFound)
    if not owner.owns(annotation):
        # upstream's timeseries routes skip this check (any annotation id is served there)
        raise NotFound(NO_ASSOCIATION)
    return annotation


async def _annotation_repository(
    uow: UnitOfWork, subject: Subject, repository_id: int
) -> SemanticRepository:
    repository = await _store(uow).repository(repository_id)
    if repository is None:
        if subject.is_timeseries:
            raise SemanticNotFound(f"No semantic repository found with id {repository_id}")
        raise not_found("Semantic Repository", repository_id, SemanticNotFound)
    return repository


async def list_annotations(
    uow: UnitOfWork, actor: Principal, subject: Subject
) -> list[SemanticAnnotationOut]:
    """Raises NotFound, PermissionDenied (Read)."""
    owner = await _resolve(uow, actor, subject, Action.READ)
    return [render_annotation(row) for row in await _store(uow).annotations(owner)]


async def get_annotation(
    uow: UnitOfWork, actor: Principal, subject: Subject, annotation_id: int
) -> SemanticAnnotationOut:
    """Raises NotFound (path, annotation, an annotation of something else), PermissionDenied."""
    owner = await _resolve(uow, actor, subject, Action.READ)
    return render_annotation(await _annotation_of(uow, subject, owner, annotation_id))


async def delete_annotation(
    uow: UnitOfWork, actor: Principal, subject: Subject, annotation_id: int
) -> None:
    """Raises NotFound, PermissionDenied (Write), then NotFound for the annotation."""
    owner = await _resolve(uow, actor, subject, Action.WRITE)
    annotation = await _annotation_of(uow, subject, owner, annotation_id)
    await _store(uow).delete_annotation(annotation)


@dataclass(frozen=True)
class _Term:
    repository_type: str
    endpoint: str
    iri: str


async def _label(client: SemanticClient, term: _Term) -> str:
    """Upstream's label choice: no language tag, else English, else the first answer."""
    connector = _connector(client, term.repository_type, term.endpoint)
    try:
        labels = await connector.get_term(term.iri)
    except EndpointRefused:
        raise _refused(term.endpoint) from None
    if not labels:
        raise InvalidBody(TERM_NOT_FOUND)
    if "" in labels:
        return labels[""]
    if "en" in labels:
        return labels["en"]
    return next(iter(labels.values()))


async def create_annotation(
    uow: UnitOfWork,
    actor: Principal,
    subject: Subject,
    body: SemanticAnnotationOut,
    client: SemanticClient,
) -> SemanticAnnotationOut:
    """Looks both IRIs up in their repositories and stores the labels found.

    Raises NotFound (path, repositories), PermissionDenied (Write), InvalidBody (a term the
    repository does not know, an endpoint that fails or is refused)."""
    await _resolve(uow, actor, subject, Action.WRITE)
    property_repository = await _annotation_repository(uow, subject, body.propertyRepositoryId)
    value_repository = await _annotation_repository(uow, subject, body.valueRepositoryId)
    terms = (
        _Term(property_repository.type, property_repository.endpoint, body.propertyIRI),
        _Term(value_repository.type, value_repository.endpoint, body.valueIRI),
    )
    await uow.release()  # no transaction (no SQLite write lock) while waiting for the endpoints
    property_name = await _label(client, terms[0])
    value_name = await _label(client, terms[1])
    # the world may have changed during the lookups: check again, then write
    owner = await _resolve(uow, actor, subject, Action.WRITE)
    await _annotation_repository(uow, subject, body.propertyRepositoryId)
    await _annotation_repository(uow, subject, body.valueRepositoryId)
    annotation = await _store(uow).add_annotation(
        owner,
        property_name=property_name,
        property_iri=body.propertyIRI,
        value_name=value_name,
        value_iri=body.valueIRI,
        property_repository_id=body.propertyRepositoryId,
        value_repository_id=body.valueRepositoryId,
    )
    return render_annotation(annotation)
