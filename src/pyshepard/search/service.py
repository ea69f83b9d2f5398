"""Search use cases: parse the query language, let each domain filter in SQL."""

from __future__ import annotations

from pyshepard.auth.groups import service as groups
from pyshepard.auth.groups.service import GroupView
from pyshepard.auth.users import service as users
from pyshepard.auth.users.service import UserProfile
from pyshepard.context.collections import service as collections
from pyshepard.context.collections.schemas import BasicCollectionAttributes, Collection
from pyshepard.core.clock import to_wire
from pyshepard.core.db import UnitOfWork
from pyshepard.core.errors import InvalidBody
from pyshepard.core.identity import Principal
from pyshepard.data.structured import service as structured
from pyshepard.search.query import parse_query
from pyshepard.search.schemas import (
    BasicEntity,
    QueryType,
    ResponseBody,
    ResultTriple,
    SearchBody,
)


async def search_users(uow: UnitOfWork, query: str) -> list[UserProfile]:
    """Users matching the query (any authenticated caller). Raises QueryError (400)."""
    return await users.search_profiles(uow, parse_query(query))


async def search_user_groups(uow: UnitOfWork, actor: Principal, query: str) -> list[GroupView]:
    """Groups matching the query that the caller may read. Raises QueryError (400)."""
    return await groups.search_groups(uow, actor, parse_query(query))


async def search_collections(
    uow: UnitOfWork,
    actor: Principal,
    query: str,
    *,
    page: int | None = None,
    size: int | None = None,
    order_by: BasicCollectionAttributes | None = None,
    order_desc: bool | None = None,
) -> tuple[list[Collection], int]:
    """`POST /search/collections`: readable collections matching the query, one page and the
    total count. Raises QueryError (400)."""
    return await collections.search_collections(
        uow,
        actor,
        parse_query(query),
        page=page,
        size=size,
        order_by=order_by,
        order_desc=order_desc,
    )


async def search(uow: UnitOfWork, actor: Principal, body: SearchBody) -> ResponseBody:
    """`POST /search`. Only `queryType: StructuredData` is built so far (the other query types
    belong to the search issue and answer 400 until then). Raises InvalidBody, FilterError."""
    params = body.searchParams
    if params.queryType is not QueryType.StructuredData:
        raise InvalidBody(f"queryType {params.queryType} is not supported yet")
    scopes = [
        structured.Scope(
            collection_id=scope.collectionId,
            data_object_id=scope.dataObjectId,
            traversal_rules=tuple(rule.value for rule in scope.traversalRules),
        )
        for scope in body.scopes
    ]
    hits = await structured.search_references(uow, actor, scopes, params.query)
    return ResponseBody(
        searchParams=params,
        resultSet=[
            ResultTriple(
                collectionId=hit.collection_id,
                dataObjectId=hit.reference.data_object_id,
                referenceId=hit.reference.id,
            )
            for hit in hits
        ],
        results=[
            BasicEntity(
                id=hit.reference.id,
                createdAt=to_wire(hit.reference.created_at),
                createdBy=hit.reference.created_by,
                updatedAt=to_wire(hit.reference.updated_at),
                updatedBy=hit.reference.updated_by,
                name=hit.reference.name,
            )
            for hit in hits
        ],
    )
