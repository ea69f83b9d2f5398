"""Wire schemas of the search endpoints."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, Field

from pyshepard.auth.groups.schemas import UserGroup
from pyshepard.auth.users.schemas import NotBlankStr, User
from pyshepard.context.collections.schemas import Collection, read_only

INT64_MAX = 2**63 - 1

_QUERY_EXAMPLE = '{"property":"name","value":"","operator":"contains"}'


class UserSearchParams(BaseModel):
    query: NotBlankStr = Field(examples=[_QUERY_EXAMPLE])


class UserGroupSearchParams(BaseModel):
    query: NotBlankStr = Field(examples=[_QUERY_EXAMPLE])


class UserSearchBody(BaseModel):
    searchParams: UserSearchParams  # noqa: N815 - wire name


class UserSearchResult(BaseModel):
    searchParams: UserSearchParams  # noqa: N815
    results: list[User]


class UserGroupSearchResult(BaseModel):
    searchParams: UserGroupSearchParams  # noqa: N815
    results: list[UserGroup]


class CollectionSearchParams(BaseModel):
    query: NotBlankStr = Field(examples=[_QUERY_EXAMPLE])


class CollectionSearchBody(BaseModel):
    searchParams: CollectionSearchParams  # noqa: N815 - wire name


class CollectionSearchResult(BaseModel):
    searchParams: CollectionSearchParams  # noqa: N815 - wire name
    results: list[Collection]
    totalResults: int  # noqa: N815


class QueryType(StrEnum):
    StructuredData = "StructuredData"
    Collection = "Collection"
    DataObject = "DataObject"
    Reference = "Reference"


class TraversalRules(StrEnum):
    children = "children"
    parents = "parents"
    predecessors = "predecessors"
    successors = "successors"


class SearchScope(BaseModel):
    collectionId: int | None = Field(default=None, ge=0, le=INT64_MAX)  # noqa: N815 - wire name
    dataObjectId: int | None = Field(default=None, ge=0, le=INT64_MAX)  # noqa: N815
    traversalRules: list[TraversalRules]  # noqa: N815


class SearchParams(BaseModel):
    query: NotBlankStr = Field(examples=[_QUERY_EXAMPLE])
    queryType: QueryType  # noqa: N815


class SearchBody(BaseModel):
    scopes: list[SearchScope] = Field(min_length=1)
    searchParams: SearchParams  # noqa: N815


class ResultTriple(BaseModel):
    collectionId: int | None = None  # noqa: N815 - wire name
    dataObjectId: int | None = None  # noqa: N815
    referenceId: int | None = None  # noqa: N815


class BasicEntity(BaseModel):
    id: int | None = read_only(format="int64")
    createdAt: str | None = read_only(format="date-time")  # noqa: N815 - wire name
    createdBy: str | None = read_only()  # noqa: N815
    updatedAt: str | None = read_only(format="date-time")  # noqa: N815
    updatedBy: str | None = read_only()  # noqa: N815
    name: str | None = None


class ResponseBody(BaseModel):
    searchParams: SearchParams  # noqa: N815 - wire name
    resultSet: list[ResultTriple]  # noqa: N815
    results: list[BasicEntity]
