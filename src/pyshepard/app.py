"""create_app(settings): routers, error handlers, middleware. No logic lives here."""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, nullcontext
from typing import Any

import httpx
from fastapi import APIRouter, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.openapi.utils import get_openapi
from fastapi.responses import HTMLResponse, JSONResponse, Response
from sqlalchemy.exc import DBAPIError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import BaseRoute

from pyshepard import __version__, worker
from pyshepard.api import HeadAsGetMiddleware, violations_from
from pyshepard.auth.api import AuthenticationMiddleware, BodyLimitMiddleware
from pyshepard.auth.apikeys import api as apikeys_api
from pyshepard.auth.groups import api as groups_api
from pyshepard.auth.oidc.verifier import OidcVerifier
from pyshepard.auth.users import api as users_api
from pyshepard.context.collections import api as collections_api
from pyshepard.context.dataobjects import api as dataobjects_api
from pyshepard.context.export import api as export_api
from pyshepard.context.labjournal import api as labjournal_api
from pyshepard.context.references import api as references_api
from pyshepard.context.semantic import api as semantic_api
from pyshepard.core.blobs import open_blob_store
from pyshepard.core.config import Settings
from pyshepard.core.db import Database, create_engine
from pyshepard.core.dberrors import RETRY_CONFLICT, is_retryable_conflict
from pyshepard.core.errors import ConstraintViolation, DomainError
from pyshepard.core.sqlite_regexp import TOO_SLOW, is_regexp_timeout
from pyshepard.core.text import UNSTORABLE_TEXT, is_unstorable_text_error
from pyshepard.data.containers import api as containers_api
from pyshepard.data.files import api as files_api
from pyshepard.data.spatial import api as spatial_api
from pyshepard.data.structured import api as structured_api
from pyshepard.data.timeseries import api as timeseries_api
from pyshepard.registry import api as registry_api
from pyshepard.search import api as search_api
from pyshepard.subscriptions import api as subscriptions_api
from pyshepard.subscriptions.api import SubscriptionMiddleware
from pyshepard.system import api as system_api

log = logging.getLogger(__name__)

ROUTERS: list[APIRouter] = [
    system_api.router,
    users_api.router,
    apikeys_api.router,
    groups_api.router,
    collections_api.router,
    dataobjects_api.router,
    references_api.router,
    semantic_api.router,
    labjournal_api.router,
    export_api.router,
    structured_api.router,
    timeseries_api.router,
    subscriptions_api.router,
    search_api.router,
    containers_api.router,
    files_api.router,
    spatial_api.router,
    registry_api.router,
]


def create_app(
    settings: Settings | None = None, *, http: httpx.AsyncClient | None = None
) -> FastAPI:
    settings = settings or Settings()
    engine = create_engine(settings.resolved_database_url)
    db = Database(
        settings=settings, engine=engine, blobs=open_blob_store(settings.resolved_blob_url)
    )
    outbound = http or httpx.AsyncClient(follow_redirects=False)
    verifier = OidcVerifier(settings=settings, http=outbound)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        async with worker.embedded(db) if settings.embedded_worker else nullcontext():
            yield
        if http is None:
            await outbound.aclose()
        await db.dispose()

    app = FastAPI(
        title="pyshepard",
        version=__version__,
        description="Research-data platform, wire-compatible with shepard 5.4.0, with the DEMOS "
        "model registry under /api/models.",
        openapi_url="/shepard/doc/openapi.json",
        docs_url=None,
        redoc_url=None,
        lifespan=lifespan,
        separate_input_output_schemas=False,
    )
    app.state.settings = settings
    app.state.db = db
    app.state.http = outbound
    app.state.oidc = verifier

    _install_error_handlers(app)
    _include_routers(app)
    _install_docs(app)
    # innermost: the routes see a HEAD as the GET it stands for; the rest sees the HEAD
    app.add_middleware(HeadAsGetMiddleware)
    # sees the final status of the routed operation, after its commit
    app.add_middleware(SubscriptionMiddleware, db=db)
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.max_request_body_bytes)
    app.add_middleware(AuthenticationMiddleware, db=db, verifier=verifier)
    # outermost: preflight requests are answered before authentication, as upstream does
    app.add_middleware(
        CORSMiddleware,
        allow_origins=["*"],
        allow_methods=["GET", "POST", "HEAD", "OPTIONS", "DELETE", "PUT", "PATCH"],
        allow_headers=["*"],
        expose_headers=[
            "Content-Disposition",
            "ETag",
            "Digest",
            "Repr-Digest",
            "Retry-After",
            "X-Total-Count",
        ],
    )
    return app


def _include_routers(app: FastAPI) -> None:
    # `include_router` keeps each router as one lazy route: a request then walks every route of
    # every router before the matching one with per-route scope bookkeeping, and matches the
    # chosen router again (~1 ms per request here). Our routers take no prefix, dependencies
    # or tags at inclusion, so their routes join the app's own list as they are.
    for router in ROUTERS:
        app.router.routes.extend(router.routes)
    # Routes are tried in list order. Paths that differ in their first segment after
    # /shepard/api/ never match the same request, so the busiest segments go first; within a
    # segment the order stays as declared (tests/unit/test_route_order.py guards both).
    app.router.routes.sort(key=route_priority)


# the segments payload traffic goes to, busiest first
HOT_SEGMENTS = (
    "timeseriesContainers",
    "fileContainers",
    "structuredDataContainers",
    "spatialDataContainers",
    "collections",
)


def route_segment(path: str) -> str | None:
    """`x` of `/shepard/api/x/...`, else None."""
    parts = path.split("/", 4)
    return parts[3] if len(parts) > 3 and parts[1:3] == ["shepard", "api"] else None


def route_priority(route: BaseRoute) -> int:
    segment = route_segment(getattr(route, "path", ""))
    return HOT_SEGMENTS.index(segment) if segment in HOT_SEGMENTS else len(HOT_SEGMENTS)


def documented_routes() -> list[BaseRoute]:
    """The operations in the order the API documentation lists them (by domain)."""
    return [route for router in ROUTERS for route in router.routes]


def error_body(status: int, exception: str, message: str) -> dict[str, Any]:
    return {"status": status, "exception": exception, "message": message}


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(DomainError)
    async def domain_error(_request: Request, exc: DomainError) -> JSONResponse:
        if isinstance(exc, ConstraintViolation):
            return JSONResponse(
                {"title": "Constraint Violation", "status": 400, "violations": exc.violations},
                status_code=400,
            )
        custom = getattr(exc, "response_body", None)  # e.g. the lab journal's InvalidHtmlResponse
        return JSONResponse(
            custom() if callable(custom) else error_body(exc.status, exc.exception, exc.message),
            status_code=exc.status,
            headers=getattr(exc, "headers", None),  # e.g. Retry-After of a 429
        )

    @app.exception_handler(RequestValidationError)
    async def request_invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        body = violations_from(request, exc)
        return JSONResponse(body, status_code=400)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_request: Request, exc: StarletteHTTPException) -> Response:
        names = {
            404: "NotFoundException",
            405: "NotAllowedException",
            413: "PayloadTooLargeException",
        }
        return JSONResponse(
            error_body(
                exc.status_code,
                names.get(exc.status_code, "WebApplicationException"),
                str(exc.detail),
            ),
            status_code=exc.status_code,
            headers=getattr(exc, "headers", None),
        )

    @app.exception_handler(DBAPIError)
    @app.exception_handler(UnicodeEncodeError)
    async def database_error(request: Request, exc: Exception) -> JSONResponse:
        if is_retryable_conflict(exc):
            return JSONResponse(
                error_body(503, "ConcurrentConflictException", RETRY_CONFLICT),
                status_code=503,
                headers={"Retry-After": "1"},
            )
        if is_regexp_timeout(exc):
            return JSONResponse(
                error_body(400, "InvalidRequestException", TOO_SLOW), status_code=400
            )
        if not is_unstorable_text_error(exc):
            return await unexpected(request, exc)
        return JSONResponse(
            error_body(400, "InvalidRequestException", UNSTORABLE_TEXT), status_code=400
        )

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        request_id = uuid.uuid4().hex
        log.error(
            "unhandled error %s on %s %s",
            request_id,
            request.method,
            request.url.path,
            exc_info=exc,
        )
        return JSONResponse(
            error_body(
                500,
                "ShepardProcessingException",
                f"Internal server error (request id {request_id})",
            ),
            status_code=500,
        )


_FASTAPI_422 = "#/components/schemas/HTTPValidationError"


def _drop_unsent_422(schema: dict[str, Any]) -> None:
    """FastAPI documents a 422 on every operation with parameters; ours answer those failures
    with upstream's 400 (`violations_from`), so the 422 and its schemas would only mislead
    generated clients."""
    paths = schema.get("paths", {}).values()
    for operation in (op for item in paths for op in item.values() if isinstance(op, dict)):
        responses = operation.get("responses", {})
        sent = responses.get("422", {}).get("content", {}).get("application/json", {})
        if sent.get("schema", {}).get("$ref") == _FASTAPI_422:
            del responses["422"]
    schemas = schema.get("components", {}).get("schemas", {})
    for name in ("HTTPValidationError", "ValidationError"):
        rest = {key: value for key, value in schemas.items() if key != name}
        if f'"#/components/schemas/{name}"' not in json.dumps([schema.get("paths"), rest]):
            schemas.pop(name, None)


def _install_docs(app: FastAPI) -> None:
    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = get_openapi(
            title=app.title,
            version=app.version,
            description=app.description,
            routes=documented_routes(),
        )
        _drop_unsent_422(schema)
        components = schema.setdefault("components", {})
        components["securitySchemes"] = {
            "bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"},
            "apikey": {"type": "apiKey", "in": "header", "name": "X-API-KEY"},
        }
        schema["security"] = [{"bearer": []}, {"apikey": []}]
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]

    @app.get("/shepard/doc/swagger-ui", include_in_schema=False)
    async def swagger_ui() -> HTMLResponse:
        return get_swagger_ui_html(openapi_url="/shepard/doc/openapi.json", title="pyshepard API")
