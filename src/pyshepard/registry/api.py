"""HTTP routes of the DEMOS model registry under `/api/models` (design §4)."""

from __future__ import annotations

import base64
import time
from collections import deque
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal
from urllib.parse import quote

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response, StreamingResponse

from pyshepard.api import BaseUrl, Caller, OptionalCaller, Uow, database, error_responses
from pyshepard.core.db import UnitOfWork
from pyshepard.core.errors import DomainError, NotFound
from pyshepard.multipart import form_parts, request_body
from pyshepard.registry import service
from pyshepard.registry.schemas import (
    SUBMIT_EXAMPLE,
    Artefact,
    MetadataUpdate,
    ModelEntry,
    ReviewRequest,
    RunInfo,
    RunStarted,
    VersionInfo,
    Webhook,
    WebhookCreate,
)

PREFIX = "/api/models"
TAG = "model registry"
ERRORS = error_responses(400, 401, 403, 404, 409)


class RateLimited(DomainError):
    status = 429
    exception = "TooManyRequestsException"

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.headers = {"Retry-After": str(retry_after)}


@dataclass
class SlidingWindow:
    """Anonymous reads per client IP in the last 60 s. Per process (design D9): with N
    replicas a client gets up to N x the limit; put a shared limiter in the proxy if that
    matters."""

    limit: int
    window_s: float = 60.0
    hits: dict[str, deque[float]] = field(default_factory=dict)
    last_sweep: float = 0.0

    def check(self, client: str, now: float) -> int | None:
        """None if allowed (and counted), else the seconds until the next request is."""
        if now - self.last_sweep > self.window_s:
            self._sweep(now)
        hits = self.hits.setdefault(client, deque())
        while hits and hits[0] <= now - self.window_s:
            hits.popleft()
        if len(hits) >= self.limit:
            return max(1, int(hits[0] + self.window_s - now + 0.999))
        hits.append(now)
        return None

    def _sweep(self, now: float) -> None:
        self.last_sweep = now
        for client in [c for c, h in self.hits.items() if not h or h[-1] <= now - self.window_s]:
            del self.hits[client]


async def _registry_reads(request: Request) -> None:
    """Registry on (setting `registry_enabled`); anonymous callers rate-limited per IP."""
    settings = request.app.state.settings
    if not settings.registry_enabled:
        raise NotFound("The model registry is disabled on this server")
    if getattr(request.state, "principal", None) is not None:
        return
    limit: int = settings.registry_anonymous_rate_limit
    if limit <= 0:
        return
    limiter: SlidingWindow | None = getattr(request.app.state, "registry_limiter", None)
    if limiter is None or limiter.limit != limit:
        limiter = SlidingWindow(limit)
        request.app.state.registry_limiter = limiter
    client = request.client.host if request.client else "unknown"
    wait = limiter.check(client, time.monotonic())
    if wait is not None:
        raise RateLimited(
            f"Too many anonymous requests: at most {limit} per minute per client "
            "(setting registry_anonymous_rate_limit); log in or retry later",
            wait,
        )


async def _reading(request: Request) -> AsyncIterator[UnitOfWork]:
    """A read-only unit of work for the GET routes: no write lock on SQLite, so reads run
    beside a writer (WAL) instead of queueing behind it; nothing is committed."""
    uow = database(request).unit_of_work(read_only=True)
    try:
        yield uow
    finally:
        await uow.rollback()
        await uow.session.close()


# scope="function": the transaction ends before the response streams (downloads read blobs only)
ReadUow = Annotated[UnitOfWork, Depends(_reading, scope="function")]

router = APIRouter(prefix=PREFIX, tags=[TAG], dependencies=[Depends(_registry_reads)])

ModelId = Annotated[str, Path(description="model_id (UUID)", max_length=64)]
VersionQuery = Annotated[
    str | None, Query(description="semantic version; default: the newest you may see")
]
Page = Annotated[int | None, Query(ge=0, le=2**31 - 1, description="0-based page")]
Size = Annotated[int | None, Query(ge=1, le=service.MAX_PAGE_SIZE, description="page size")]

SUBMIT_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["entry", "file"],
                    "properties": {
                        "entry": {
                            "type": "string",
                            "description": "entry.json fields as JSON text; model_id, "
                            "file_location and checksum optional",
                            "example": SUBMIT_EXAMPLE,
                        },
                        "file": {"type": "string", "format": "binary"},
                        "reference_points": {"type": "string", "format": "binary"},
                        "companion": {
                            "type": "array",
                            "items": {"type": "string", "format": "binary"},
                            "description": "files named by patch-of / hs3-twin link hrefs",
                        },
                    },
                }
            }
        },
    }
}
FILE_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "the bytes, with ETag (sha256 hex), Digest and Repr-Digest headers",
        "content": {"application/json": {"schema": {"type": "string", "format": "binary"}}},
    },
    304: {"description": "not modified (If-None-Match)"},
    **ERRORS,
}


async def _form_parts(request: Request) -> AsyncIterator[service.UploadPart]:
    parts = form_parts(
        request.headers.get("content-type", ""),
        request_body(request),
        wrong_type="Submit a model as multipart/form-data (fields entry, file, "
        "reference_points, companion)",
    )
    async for part in parts:
        yield service.UploadPart(name=part.name, filename=part.filename, chunks=part.chunks)


def _quoted_filename(name: str) -> str:
    ascii_name = name.encode("ascii", "replace").decode().replace('"', "_")
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name)}"


def _stream(request: Request, download: service.Download, *, inline: bool = False) -> Response:
    disposition = _quoted_filename(download.filename)
    headers = {
        "Content-Disposition": disposition.replace("attachment", "inline", 1)
        if inline
        else disposition
    }
    if download.size is not None:
        headers["Content-Length"] = str(download.size)
    if download.sha256:
        etag = f'"{download.sha256}"'
        digest = base64.b64encode(bytes.fromhex(download.sha256)).decode()
        headers["ETag"] = etag
        headers["Digest"] = f"sha-256={digest}"
        headers["Repr-Digest"] = f"sha-256=:{digest}:"
        if request.headers.get("if-none-match") in {etag, "*"}:
            return Response(status_code=304, headers={"ETag": etag})
    return StreamingResponse(download.chunks(), media_type=download.media_type, headers=headers)


# --- collection routes -------------------------------------------------------------------------


@router.get(
    "",
    operation_id="listModels",
    summary="List models",
    description="Approved models for anonymous callers; your own submissions too when logged "
    "in; everything (and `?status=`) for reviewers and admins. `X-Total-Count` has the total.",
    response_model=list[ModelEntry],
    responses=ERRORS,
)
async def list_models(
    *,
    uow: ReadUow,
    caller: OptionalCaller,
    base_url: BaseUrl,
    response: Response,
    page: Page = None,
    size: Size = None,
    status: Annotated[str | None, Query(description="reviewers/admins only")] = None,
) -> list[ModelEntry]:
    entries, total = await service.list_models(
        uow, caller, page=page, size=size, status=status, base_url=base_url
    )
    response.headers["X-Total-Count"] = str(total)
    return entries


@router.post(
    "",
    operation_id="submitModel",
    summary="Submit a model (or a new version)",
    description="multipart/form-data: `entry` (JSON text), `file`, optional `reference_points`, "
    "`companion` (repeatable). The same name+collaboration, or a `model_id`, adds a version to "
    "your existing model. Files stream to the blob store; validation is queued.",
    status_code=201,
    response_model=ModelEntry,
    responses={413: {"description": "file over registry_max_upload_bytes"}, **ERRORS},
    openapi_extra=SUBMIT_BODY,
)
async def submit_model(request: Request, uow: Uow, caller: Caller, base_url: BaseUrl) -> ModelEntry:
    return await service.submit_model(uow, caller, _form_parts(request), base_url=base_url)


@router.get(
    "/search",
    operation_id="searchModels",
    summary="Search models",
    description="Ranked over name, tags, keywords, collaboration, DOI and the model summary.",
    response_model=list[ModelEntry],
    responses=ERRORS,
)
async def search_models(
    *,
    uow: ReadUow,
    caller: OptionalCaller,
    base_url: BaseUrl,
    q: Annotated[str, Query(min_length=1, max_length=500, examples=["shapesys"])],
    page: Page = None,
    size: Size = None,
) -> list[ModelEntry]:
    return await service.search_models(uow, caller, q, page=page, size=size, base_url=base_url)


@router.get(
    "/filter",
    operation_id="filterModels",
    summary="Filter models",
    description="Exact (case-insensitive for tag and collaboration) matches on each criterion.",
    response_model=list[ModelEntry],
    responses=ERRORS,
)
async def filter_models(
    *,
    uow: ReadUow,
    caller: OptionalCaller,
    base_url: BaseUrl,
    domain: Annotated[str | None, Query(examples=["particle_physics"])] = None,
    tag: str | None = None,
    collaboration: str | None = None,
    page: Page = None,
    size: Size = None,
) -> list[ModelEntry]:
    return await service.filter_models(
        uow,
        caller,
        domain=domain,
        tag=tag,
        collaboration=collaboration,
        page=page,
        size=size,
        base_url=base_url,
    )


@router.post(
    "/revalidate",
    operation_id="revalidateModels",
    summary="Re-validate every approved model (admin)",
    status_code=202,
    response_model=list[RunStarted],
    responses=ERRORS,
)
async def revalidate(uow: Uow, caller: Caller) -> list[RunStarted]:
    return await service.revalidate_all(uow, caller, trigger="scheduled")


@router.post(
    "/webhooks",
    operation_id="createRegistryWebhook",
    summary="Register a webhook for model.published (admin)",
    description="Bodies are signed: `X-Pyshepard-Signature: sha256=<hex HMAC-SHA256(secret, "
    "body)>`. The secret is returned once.",
    status_code=201,
    response_model=Webhook,
    responses=ERRORS,
)
async def create_webhook(uow: Uow, caller: Caller, body: WebhookCreate) -> Webhook:
    return await service.create_webhook(uow, caller, body)


@router.get(
    "/webhooks",
    operation_id="listRegistryWebhooks",
    summary="List webhooks (admin)",
    response_model=list[Webhook],
    responses=ERRORS,
)
async def list_webhooks(uow: ReadUow, caller: Caller) -> list[Webhook]:
    return await service.list_webhooks(uow, caller)


@router.delete(
    "/webhooks/{webhook_id}",
    operation_id="deleteRegistryWebhook",
    summary="Delete a webhook (admin)",
    status_code=204,
    responses=ERRORS,
)
async def delete_webhook(
    uow: Uow, caller: Caller, webhook_id: Annotated[str, Path(max_length=64)]
) -> Response:
    await service.delete_webhook(uow, caller, webhook_id)
    return Response(status_code=204)


# --- one model ---------------------------------------------------------------------------------


@router.get(
    "/{model_id}",
    operation_id="getModel",
    summary="Get a model entry",
    response_model=ModelEntry,
    responses=ERRORS,
)
async def get_model(
    uow: ReadUow, caller: OptionalCaller, base_url: BaseUrl, model_id: ModelId
) -> ModelEntry:
    return await service.render_entry(uow, caller, model_id, base_url=base_url)


@router.put(
    "/{model_id}",
    operation_id="updateModelMetadata",
    summary="Change a model's metadata (owner/admin)",
    description="Metadata only; a new file is a new version (POST /api/models).",
    response_model=ModelEntry,
    responses=ERRORS,
)
async def update_model(
    uow: Uow, caller: Caller, base_url: BaseUrl, model_id: ModelId, body: MetadataUpdate
) -> ModelEntry:
    return await service.update_metadata(uow, caller, model_id, body, base_url=base_url)


@router.delete(
    "/{model_id}",
    operation_id="deleteModel",
    summary="Delete a model with all versions (admin)",
    status_code=204,
    responses=ERRORS,
)
async def delete_model(uow: Uow, caller: Caller, model_id: ModelId) -> Response:
    await service.delete_model(uow, caller, model_id)
    return Response(status_code=204)


@router.get(
    "/{model_id}/file",
    operation_id="getModelFile",
    summary="Download a model file",
    description="`part`: `model` (default), `reference_points`, or a companion's href.",
    response_class=Response,
    responses=FILE_RESPONSE,
)
async def get_model_file(
    *,
    request: Request,
    uow: ReadUow,
    caller: OptionalCaller,
    model_id: ModelId,
    version: VersionQuery = None,
    part: Annotated[str | None, Query(max_length=255)] = None,
) -> Response:
    download = await service.open_file(uow, caller, model_id, version=version, part=part)
    return _stream(request, download)


@router.get(
    "/{model_id}/metadata",
    operation_id="getModelMetadata",
    summary="Metadata of a model version (summary, links, keywords, checksums)",
    responses=ERRORS,
)
async def get_model_metadata(
    uow: ReadUow, caller: OptionalCaller, model_id: ModelId, version: VersionQuery = None
) -> dict[str, Any]:
    return await service.model_metadata(uow, caller, model_id, version=version)


@router.get(
    "/{model_id}/versions",
    operation_id="getModelVersions",
    summary="Versions of a model",
    response_model=list[VersionInfo],
    responses=ERRORS,
)
async def get_versions(
    uow: ReadUow, caller: OptionalCaller, model_id: ModelId
) -> list[VersionInfo]:
    return await service.list_versions(uow, caller, model_id)


@router.post(
    "/{model_id}/validate",
    operation_id="validateModel",
    summary="Start a validation run (owner/reviewer/admin)",
    status_code=202,
    response_model=RunStarted,
    responses=ERRORS,
)
async def validate_model(
    uow: Uow, caller: Caller, model_id: ModelId, version: VersionQuery = None
) -> RunStarted:
    return await service.start_validation(uow, caller, model_id, version=version)


@router.get(
    "/{model_id}/runs",
    operation_id="getModelRuns",
    summary="Validation runs of a model (history)",
    response_model=list[RunInfo],
    responses=ERRORS,
)
async def get_runs(uow: ReadUow, caller: OptionalCaller, model_id: ModelId) -> list[RunInfo]:
    return await service.list_runs(uow, caller, model_id)


@router.get(
    "/{model_id}/report",
    operation_id="getModelReport",
    summary="Latest validation report (JSON, or `?format=markdown`)",
    responses={
        200: {"content": {"application/json": {}, "text/markdown": {}}, "description": "ok"},
        **ERRORS,
    },
)
async def get_report(
    uow: ReadUow,
    caller: OptionalCaller,
    model_id: ModelId,
    version: VersionQuery = None,
    format: Literal["json", "markdown"] = "json",
) -> Response:
    if format == "markdown":
        text = await service.report_markdown(uow, caller, model_id, version=version)
        return PlainTextResponse(text, media_type="text/markdown; charset=utf-8")
    return JSONResponse(await service.report(uow, caller, model_id, version=version))


@router.get(
    "/{model_id}/visualize",
    operation_id="getModelVisualisations",
    summary="Artefacts of the latest run (plots, parameter tables) with URLs",
    response_model=list[Artefact],
    responses=ERRORS,
)
async def list_visualisations(
    uow: ReadUow,
    caller: OptionalCaller,
    base_url: BaseUrl,
    model_id: ModelId,
    version: VersionQuery = None,
) -> list[Artefact]:
    return await service.list_artefacts(uow, caller, model_id, version=version, base_url=base_url)


@router.get(
    "/{model_id}/visualize/{name}",
    operation_id="getModelVisualisation",
    summary="One artefact (SVG, PNG, CSV, Markdown)",
    response_class=Response,
    responses=FILE_RESPONSE,
)
async def get_visualisation(
    *,
    request: Request,
    uow: ReadUow,
    caller: OptionalCaller,
    model_id: ModelId,
    name: Annotated[str, Path(max_length=255)],
    version: VersionQuery = None,
) -> Response:
    download = await service.open_artefact(uow, caller, model_id, name, version=version)
    return _stream(request, download, inline=True)


@router.post(
    "/{model_id}/review",
    operation_id="reviewModel",
    summary="Approve or reject the version awaiting review (reviewer/admin)",
    response_model=ModelEntry,
    responses=ERRORS,
)
async def review_model(
    *,
    uow: Uow,
    caller: Caller,
    base_url: BaseUrl,
    model_id: ModelId,
    body: ReviewRequest,
    version: VersionQuery = None,
) -> ModelEntry:
    return await service.review_model(
        uow,
        caller,
        model_id,
        decision=body.decision,
        reason=body.reason,
        version=version,
        base_url=base_url,
    )


@router.get(
    "/{model_id}/badge.svg",
    operation_id="getModelBadge",
    summary="Validation status badge (SVG)",
    response_class=Response,
    responses={200: {"content": {"image/svg+xml": {}}, "description": "badge"}, **ERRORS},
)
async def get_badge(uow: ReadUow, caller: OptionalCaller, model_id: ModelId) -> Response:
    svg = await service.badge(uow, caller, model_id)
    return Response(svg, media_type="image/svg+xml", headers={"Cache-Control": "no-cache"})
