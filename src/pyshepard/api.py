"""Shared HTTP plumbing for every domain router: unit of work, caller, path/query types."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from enum import Enum, StrEnum
from typing import Annotated, Any, TypedDict

from fastapi import Depends, Path, Query, Request
from fastapi.exceptions import RequestValidationError
from pydantic import AfterValidator, BaseModel
from pydantic_core import PydanticCustomError
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from pyshepard.core.db import Database, UnitOfWork
from pyshepard.core.errors import Unauthenticated
from pyshepard.core.identity import Principal
from pyshepard.core.uuids import is_valid_uuid

SHEPARD_PREFIX = "/shepard/api"


def database(request: Request) -> Database:
    db: Database = request.app.state.db
    return db


async def _unit_of_work(request: Request) -> AsyncIterator[UnitOfWork]:
    """One transaction per request; committed when the handler returns, before the response.
    GET and HEAD only read: on SQLite they then take no write lock and run beside a writer
    (WAL) instead of queueing behind it; a write there is a ReadOnlyViolation."""
    uow = database(request).unit_of_work(read_only=request.method in ("GET", "HEAD"))
    try:
        yield uow
        await uow.commit()
    except BaseException:
        await uow.rollback()
        raise
    finally:
        await uow.session.close()


# scope="function": commit before the response is sent, so a failed commit is never a 2xx
Uow = Annotated[UnitOfWork, Depends(_unit_of_work, scope="function")]


async def _principal(request: Request) -> Principal:
    principal: Principal | None = getattr(request.state, "principal", None)
    if principal is None:
        raise Unauthenticated("Invalid/missing authorization header")
    return principal


async def _optional_principal(request: Request) -> Principal | None:
    principal: Principal | None = getattr(request.state, "principal", None)
    return principal


# dependencies are async: FastAPI runs plain `def` dependencies in a thread pool, a thread
# round trip per request for a mere attribute lookup
Caller = Annotated[Principal, Depends(_principal)]
OptionalCaller = Annotated[Principal | None, Depends(_optional_principal)]


async def request_base_url(request: Request) -> str:
    configured: str = request.app.state.settings.base_url
    return configured or str(request.base_url).rstrip("/")


BaseUrl = Annotated[str, Depends(request_base_url)]

# path and query parameter types with upstream's constraints (violations → 400)
INT64_MAX = 2**63 - 1  # ids beyond int64 are a 400, not a driver overflow
CollectionId = Annotated[int, Path(ge=0, le=INT64_MAX, description="Collection id")]
DataObjectId = Annotated[int, Path(ge=0, le=INT64_MAX, description="DataObject id")]
INT32_MAX = 2**31 - 1  # page and size are int32 upstream
PageParam = Annotated[int | None, Query(ge=0, le=INT32_MAX)]
SizeParam = Annotated[int | None, Query(ge=0, le=INT32_MAX)]
PositiveSizeParam = Annotated[int | None, Query(gt=0, le=INT32_MAX)]  # `@Positive`


def _version_uid(value: str | None) -> str | None:
    if value is not None and not is_valid_uuid(value):
        raise PydanticCustomError("uuid", "must be a valid UUID")
    return value


VersionUidParam = Annotated[
    str | None,
    AfterValidator(_version_uid),
    Query(description="Version UUID; HEAD when absent"),
]


class ApiError(BaseModel):
    """Upstream's error body."""

    status: int
    exception: str
    message: str


class Violation(BaseModel):
    field: str
    message: str


class ConstraintViolations(BaseModel):
    """The body of a 400 for a parameter or body that breaks a constraint (bean validation)."""

    title: str
    status: int
    violations: list[Violation]


def error_responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` entries for error statuses, with upstream's ApiError schema (a 400
    may also be a `ConstraintViolations` body)."""
    return {
        code: {
            "model": ApiError | ConstraintViolations if code == 400 else ApiError,
            "description": _DESCRIPTIONS.get(code, "error"),
        }
        for code in codes
    }


_DESCRIPTIONS = {
    400: "bad request",
    401: "not authorized",
    403: "forbidden",
    404: "not found",
    409: "conflict",
}


class RouteArguments(TypedDict):
    """The documentation arguments of one route a factory generates (typed, so mypy checks
    the `**` that passes them to `router.get/post/...`)."""

    operation_id: str
    tags: list[str | Enum]
    summary: str
    description: str
    responses: dict[int | str, dict[str, Any]]


class CrudOperation(StrEnum):
    """The four operations a route factory generates for one kind of thing."""

    LIST = "list"
    CREATE = "create"
    GET = "get"
    DELETE = "delete"


@dataclass(frozen=True, kw_only=True)
class RouteDoc:
    """What a route factory's caller overrides for one generated operation (None: the default)."""

    operation_id: str | None = None
    summary: str | None = None
    description: str | None = None
    responses: Mapping[int | str, dict[str, Any]] | None = None


def route_arguments(
    doc: RouteDoc,
    *,
    operation_id: str,
    tag: str,
    description: str,
    responses: Mapping[int | str, dict[str, Any]],
    summary: str | None = None,
) -> RouteArguments:
    """A generated route's documentation: `doc`'s overrides, else the factory's defaults; the
    summary defaults to the operation id in words, as every shepard summary reads."""
    chosen_id = doc.operation_id or operation_id
    return {
        "operation_id": chosen_id,
        "tags": [tag],
        "summary": doc.summary or summary or operation_summary(chosen_id),
        "description": doc.description or description,
        "responses": dict(doc.responses if doc.responses is not None else responses),
    }


def pascal_case(label: str) -> str:
    """`"structured data"` -> `"StructuredData"` (upstream's operation-id words)."""
    return "".join(word[:1].upper() + word[1:] for word in label.split())


def camel_case(label: str) -> str:
    """`"structured data"` -> `"structuredData"` (upstream's paths, tags and parameter names)."""
    pascal = pascal_case(label)
    return pascal[:1].lower() + pascal[1:]


def operation_summary(operation_id: str) -> str:
    """`"getAllFileContainers"` -> `"Get All File Containers"`, as every shepard summary reads."""
    words = re.sub(r"(?<!^)(?=[A-Z])", " ", operation_id)
    return words[:1].upper() + words[1:]


_JAVA_MESSAGES = {
    "greater_than_equal": "must be greater than or equal to {ge}",
    "greater_than": "must be greater than {gt}",
    "less_than_equal": "must be less than or equal to {le}",
    "missing": "must not be null",
    "string_pattern_mismatch": 'must match "{pattern}"',
    "int_parsing": "must be an integer",
    "int_type": "must be an integer",
    "bool_parsing": "must be a boolean",
    "json_invalid": "malformed JSON",
    "enum": "must be one of {expected}",
}


def violations_from(request: Request, exc: RequestValidationError) -> dict[str, Any]:
    """Quarkus' constraint-violation body; `field` is `<operationId>.<parameter>[.<path>]`."""
    route = request.scope.get("route")
    operation = getattr(route, "operation_id", None) or getattr(route, "name", "request")
    violations = []
    for error in exc.errors():
        location = [str(part) for part in error.get("loc", ())]
        if location and location[0] in {"path", "query", "header", "body"}:
            location = location[1:]
        template = _JAVA_MESSAGES.get(error.get("type", ""))
        context = error.get("ctx") or {}
        try:
            message = template.format(**context) if template else str(error.get("msg"))
        except (KeyError, IndexError):
            message = str(error.get("msg"))
        field = ".".join([str(operation), *location]) if location else str(operation)
        violations.append({"field": field, "message": message})
    return {"title": "Constraint Violation", "status": 400, "violations": violations}


class HeadAsGetMiddleware:
    """HEAD is answered as the GET of the same URL without its body, as JAX-RS answers it for
    every GET resource upstream; FastAPI routes only the methods a route declares. The
    headers, Content-Length included, are those of the GET."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return

        async def without_body(message: Message) -> None:
            if message["type"] == "http.response.body":
                if message.get("more_body", False):
                    return
                message = {"type": "http.response.body", "body": b"", "more_body": False}
            await send(message)

        await self.app({**scope, "method": "GET"}, receive, without_body)
