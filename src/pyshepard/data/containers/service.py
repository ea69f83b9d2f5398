"""What every container kind shares: create, lookup with access checks, list, delete, permissions.

Kind packages (`data/files`, `data/structured`, `data/timeseries`, `data/spatial`) call these and
add their payload rules; payload cleanup on delete runs in the same unit of work.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence

from pyshepard.auth.permissions import service as permissions
from pyshepard.auth.permissions.policy import AccessFacts, Action
from pyshepard.auth.permissions.schemas import Permissions, Roles
from pyshepard.core.clock import utcnow
from pyshepard.core.db import UnitOfWork
from pyshepard.core.errors import PermissionDenied, not_found
from pyshepard.core.identity import Principal
from pyshepard.core.precondition import Precondition
from pyshepard.data.containers.models import Container
from pyshepard.data.containers.schemas import (
    KIND_NAMES,
    BasicContainerAttributes,
    ContainerAttributes,
    ContainerType,
)
from pyshepard.data.containers.store import ContainerStore, kind_and_facts_precondition
from pyshepard.search.query import parse_query

# kinds whose upstream wire shape carries an `oid` (Mongo bucket / collection name)
_KINDS_WITH_OID = {ContainerType.FILE, ContainerType.STRUCTUREDDATA}

# upstream's AbstractContainerService words its container refusals like this
_DENIED = "The requested action is forbidden by the permission policies."
_DENIED_BY_ACTION = {
    Action.READ: f"{_DENIED} User has no READ permissions.",
    Action.WRITE: f"{_DENIED} User has no WRITE permissions.",
    Action.MANAGE: f"{_DENIED} User has no MANAGE permissions.",
}
NOT_OWNER = f"{_DENIED} User is not owner."


def _store(uow: UnitOfWork) -> ContainerStore:
    return ContainerStore(uow.session)


async def create_container(
    uow: UnitOfWork, actor: Principal, kind: ContainerType, name: str
) -> Container:
    """A new container, Private and owned by its creator."""
    container = await _store(uow).create(
        name=name,
        type=kind.value,
        oid=secrets.token_hex(12) if kind in _KINDS_WITH_OID else None,
        created_at=utcnow(),
        created_by=actor.username,
    )
    await permissions.create_default(uow, container.id, actor.username)
    return container


async def find_container(
    uow: UnitOfWork, container_id: int, kind: ContainerType, *, hold: bool = False
) -> Container:
    """The live container of that kind, without an access check; raises NotFound. `hold`:
    share-locked until the transaction ends, so a delete waits for this writer."""
    container = await _store(uow).get(container_id, hold=hold)
    if container is None or container.type != kind.value:
        raise not_found(KIND_NAMES[kind], container_id)
    return container


async def load_container(
    uow: UnitOfWork,
    actor: Principal,
    container_id: int,
    kind: ContainerType,
    action: Action = Action.READ,
) -> Container:
    """The container if `actor` may perform `action` on it; NotFound before PermissionDenied
    (upstream checks Read first, then the action, each with its own message)."""
    container = await find_container(uow, container_id, kind, hold=action is not Action.READ)
    _require(await permissions.facts(uow, actor, container_id), action)
    return container


async def check_access(
    uow: UnitOfWork,
    actor: Principal,
    container_id: int,
    kind: ContainerType,
    action: Action = Action.READ,
) -> None:
    """As `load_container`, in one round trip and without loading the container (for payload
    routes that need only the verdict)."""
    found, facts = await _store(uow).kind_and_facts(
        container_id, actor.username, hold=action is not Action.READ
    )
    _admit(found, facts, container_id, kind, action)


def access_precondition(
    actor: Principal, container_id: int, kind: ContainerType, action: Action
) -> Precondition:
    """`check_access` for a store to run first, in the same trip as its own work."""

    def verdict(found: str | None, facts: AccessFacts) -> None:
        _admit(found, facts, container_id, kind, action)

    return kind_and_facts_precondition(
        container_id, actor.username, verdict, hold=action is not Action.READ
    )


def _admit(
    found: str | None, facts: AccessFacts, container_id: int, kind: ContainerType, action: Action
) -> None:
    if found != kind.value:
        raise not_found(KIND_NAMES[kind], container_id)
    _require(facts, action)


def _require(facts: AccessFacts, action: Action) -> None:
    if facts.allows(action):
        return
    readable = action is Action.READ or facts.allows(Action.READ)
    raise PermissionDenied(_DENIED_BY_ACTION[action if readable else Action.READ])


async def live_containers(
    uow: UnitOfWork, container_ids: set[int], kind: ContainerType
) -> set[int]:
    """Those of `container_ids` that are live containers of `kind` (no access check)."""
    return await _store(uow).live_of_kind(container_ids, kind.value)


async def container_kind(uow: UnitOfWork, container_id: int) -> ContainerType | None:
    """The kind of a live container, or None (references use it to reject wrong kinds)."""
    container = await _store(uow).get(container_id)
    return ContainerType(container.type) if container else None


async def list_containers(
    uow: UnitOfWork,
    actor: Principal,
    kind: ContainerType,
    *,
    name: str | None = None,
    page: int | None = None,
    size: int | None = None,
    order_by: ContainerAttributes | None = None,
    order_desc: bool = False,
) -> Sequence[Container]:
    """Containers of one kind the caller may read, filtered and paged in SQL."""
    window = (page * size, size) if page is not None and size is not None else None
    return await _store(uow).list(
        kind.value,
        permissions.filter_by_access(actor, Container.id.expression, Action.READ),
        name=name,
        window=window,
        order_by=order_by,
        order_desc=order_desc and order_by is not None,  # upstream orders only by orderBy
    )


async def delete_container(
    uow: UnitOfWork, actor: Principal, container_id: int, kind: ContainerType
) -> Container:
    """Soft-delete; only the owner may (seed §8.3.2). The kind package removes its payload."""
    container = await load_container(uow, actor, container_id, kind)
    roles = await permissions.get_roles(uow, actor, container_id)
    if not roles.owner:
        raise PermissionDenied(NOT_OWNER)
    container.updated_at, container.updated_by = utcnow(), actor.username
    await _store(uow).soft_delete(container)
    return container


async def get_permissions(
    uow: UnitOfWork, actor: Principal, container_id: int, kind: ContainerType
) -> Permissions:
    await load_container(uow, actor, container_id, kind, Action.MANAGE)
    return await permissions.get_permissions(uow, actor, container_id)


async def set_permissions(
    uow: UnitOfWork, actor: Principal, container_id: int, kind: ContainerType, update: Permissions
) -> Permissions:
    await load_container(uow, actor, container_id, kind, Action.MANAGE)
    return await permissions.set_permissions(uow, actor, container_id, update)


async def get_roles(
    uow: UnitOfWork, actor: Principal, container_id: int, kind: ContainerType
) -> Roles:
    await load_container(uow, actor, container_id, kind)
    return await permissions.get_roles(uow, actor, container_id)


async def search_containers(
    uow: UnitOfWork,
    actor: Principal,
    query: str,
    kind: ContainerType,
    *,
    page: int | None = None,
    size: int | None = None,
    order_by: BasicContainerAttributes | None = None,
    order_desc: bool | None = None,
) -> tuple[Sequence[Container], int]:
    """Readable containers of `kind` (BASIC: every kind) matching the query language, one page
    and the total count; default order createdAt descending, as upstream. Raises QueryError."""
    window = (page * size, size) if page is not None and size is not None else None
    return await _store(uow).search(
        None if kind is ContainerType.BASIC else [kind.value],
        permissions.filter_by_access(actor, Container.id.expression, Action.READ),
        parse_query(query),
        window=window,
        order_by=order_by or BasicContainerAttributes.createdAt,
        order_desc=True if order_desc is None else order_desc,
    )
