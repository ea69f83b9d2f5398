"""HTTP routes of file containers, their files and file references."""

from __future__ import annotations

import re
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Path, Request
from fastapi.responses import Response, StreamingResponse

from pyshepard.api import (
    INT64_MAX,
    SHEPARD_PREFIX,
    Caller,
    CollectionId,
    DataObjectId,
    Uow,
    VersionUidParam,
    error_responses,
)
from pyshepard.context.references.routes import (
    ReferenceRouteSpec,
    reference_routes,
)
from pyshepard.data.containers.routes import (
    ContainerRouteSpec,
    container_routes,
)
from pyshepard.data.containers.schemas import ContainerType
from pyshepard.data.files import references, service
from pyshepard.data.files.multipart import open_file_part
from pyshepard.data.files.schemas import FileContainer, FileReference, ShepardFile
from pyshepard.multipart import request_body

router = APIRouter(prefix=SHEPARD_PREFIX)

ERRORS = error_responses(400, 401, 403, 404)
CONTAINERS = "/fileContainers"
ITEM = CONTAINERS + "/{fileContainerId}"
DO_PATH = "/collections/{collectionId}/dataObjects/{dataObjectId}"
REFERENCES = DO_PATH + "/fileReferences"
REFERENCE = REFERENCES + "/{fileReferenceId}"

FileContainerId = Annotated[int, Path(ge=0, le=INT64_MAX, description="File container id")]
FileReferenceId = Annotated[int, Path(ge=0, le=INT64_MAX, description="File reference id")]
Oid = Annotated[str, Path(pattern=r"\S", description="File oid")]

UPLOAD_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file"],
                    "properties": {
                        "file": {
                            "type": "string",
                            "format": "binary",
                            "description": "File which you want to upload",
                        }
                    },
                }
            }
        },
    }
}
BINARY_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "ok",
        "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}},
    },
    206: {"description": "partial content (Range)"},
    304: {"description": "not modified (If-None-Match)"},
    416: {"description": "range not satisfiable"},
    **ERRORS,
}


# --- containers ------------------------------------------------------------------------------


container_routes(
    router,
    ContainerType.FILE,
    ContainerRouteSpec(
        label="file",
        schema=FileContainer,
        list_containers=service.list_file_containers,
        create_container=service.create_file_container,
        get_container=service.get_file_container,
        delete_container=service.delete_file_container,
        positive_size=True,
    ),
)


# --- files -----------------------------------------------------------------------------------


@router.get(
    ITEM + "/payload",
    operation_id="getAllFiles",
    tags=["fileContainer"],
    summary="Get All Files",
    description="Get files",
    response_model=list[ShepardFile],
    responses=ERRORS,
)
async def get_all_files(
    uow: Uow,
    caller: Caller,
    fileContainerId: FileContainerId,  # noqa: N803
) -> list[ShepardFile]:
    return await service.list_files(uow, caller, fileContainerId)


@router.post(
    ITEM + "/payload",
    operation_id="createFile",
    tags=["fileContainer"],
    summary="Create File",
    description="Upload a new file (multipart/form-data field `file`); the bytes stream to "
    "the blob store and are never held whole in memory.",
    status_code=201,
    response_model=ShepardFile,
    responses={415: {"description": "not multipart/form-data"}, **ERRORS},
    openapi_extra=UPLOAD_BODY,
)
async def create_file(
    request: Request,
    uow: Uow,
    caller: Caller,
    fileContainerId: FileContainerId,  # noqa: N803
) -> ShepardFile:
    part = await open_file_part(request.headers.get("content-type", ""), request_body(request))
    return await service.upload_file(uow, caller, fileContainerId, part.filename, part.chunks)


@router.get(
    ITEM + "/payload/{oid}",
    operation_id="getFile",
    tags=["fileContainer"],
    summary="Get File",
    description="Get file (supports Range and If-None-Match)",
    response_class=Response,
    responses=BINARY_RESPONSE,
)
async def get_file(
    request: Request,
    uow: Uow,
    caller: Caller,
    fileContainerId: FileContainerId,  # noqa: N803
    oid: Oid,
) -> Response:
    download = await service.open_file(uow, caller, fileContainerId, oid)
    return await _download_response(request, download)


@router.delete(
    ITEM + "/payload/{oid}",
    operation_id="deleteFile",
    tags=["fileContainer"],
    summary="Delete File",
    description="Delete file",
    status_code=204,
    responses=ERRORS,
)
async def delete_file(
    uow: Uow,
    caller: Caller,
    fileContainerId: FileContainerId,  # noqa: N803
    oid: Oid,
) -> Response:
    await service.delete_file(uow, caller, fileContainerId, oid)
    return Response(status_code=204)


# --- file references -------------------------------------------------------------------------


reference_routes(
    router,
    ReferenceRouteSpec(
        label="file",
        schema=FileReference,
        list_references=references.list_file_references,
        create_reference=references.create_file_reference,
        get_reference=references.get_file_reference,
        delete_reference=references.delete_file_reference,
    ),
)


@router.get(
    REFERENCE + "/payload",
    operation_id="getFiles",
    tags=["fileReference"],
    summary="Get Files",
    description="Get associated files",
    response_model=list[ShepardFile],
    responses=ERRORS,
)
async def get_files(
    *,
    uow: Uow,
    caller: Caller,
    collectionId: CollectionId,  # noqa: N803
    dataObjectId: DataObjectId,  # noqa: N803
    fileReferenceId: FileReferenceId,  # noqa: N803
    versionUid: VersionUidParam = None,  # noqa: N803
) -> list[ShepardFile]:
    return await references.get_file_reference_files(
        uow, caller, collectionId, dataObjectId, fileReferenceId, version_uid=versionUid
    )


@router.get(
    REFERENCE + "/payload/{oid}",
    operation_id="getFilePayload",
    tags=["fileReference"],
    summary="Get File Payload",
    description="Get file payload (supports Range and If-None-Match)",
    response_class=Response,
    responses=BINARY_RESPONSE,
)
async def get_file_payload(
    *,
    request: Request,
    uow: Uow,
    caller: Caller,
    collectionId: CollectionId,  # noqa: N803
    dataObjectId: DataObjectId,  # noqa: N803
    fileReferenceId: FileReferenceId,  # noqa: N803
    oid: str,
    versionUid: VersionUidParam = None,  # noqa: N803
) -> Response:
    download = await references.open_file_reference_payload(
        uow, caller, collectionId, dataObjectId, fileReferenceId, oid=oid, version_uid=versionUid
    )
    return await _download_response(request, download)


# --- downloads -------------------------------------------------------------------------------

_RANGE = re.compile(r"bytes=(\d*)-(\d*)")


def _content_disposition(filename: str) -> str:
    """Upstream's `attachment; filename="x"`, plus RFC 6266 `filename*` for non-ASCII names."""
    fallback = "".join(c if 0x20 <= ord(c) < 0x7F and c not in '"\\' else "_" for c in filename)
    header = f'attachment; filename="{fallback}"'
    if fallback != filename:
        header += f"; filename*=UTF-8''{quote(filename, safe='')}"
    return header


_UNSATISFIABLE = "unsatisfiable"


def _byte_range(header: str, size: int) -> tuple[int, int] | str | None:
    """(first, last) of a single `bytes=` range; `_UNSATISFIABLE` for a valid range that
    misses the content; None for a header to ignore (not one valid `bytes=` range, RFC 9110)."""
    match = _RANGE.fullmatch(header.strip().replace(" ", ""))
    if match is None or match.group(1) == match.group(2) == "":
        return None
    first, last = match.group(1), match.group(2)
    if first == "":  # suffix: the last n bytes
        length = int(last)
        return (max(size - length, 0), size - 1) if length > 0 and size > 0 else _UNSATISFIABLE
    start = int(first)
    if last != "" and int(last) < start:
        return None
    if start >= size:
        return _UNSATISFIABLE
    return start, size - 1 if last == "" else min(int(last), size - 1)


def _entity_tags(header: str) -> set[str]:
    """The opaque tags of an If-None-Match list, weak ones included (weak comparison)."""
    return {tag.strip().removeprefix("W/") for tag in header.split(",")}


async def _download_response(request: Request, download: service.FileDownload) -> Response:
    etag = f'"{download.sha256}"'
    headers = {
        "Content-Disposition": _content_disposition(download.filename),
        "ETag": etag,
        "Accept-Ranges": "bytes",
    }
    if_none_match = request.headers.get("if-none-match")
    if if_none_match and ({etag, "*"} & _entity_tags(if_none_match)):
        return Response(status_code=304, headers=headers)
    requested = request.headers.get("range")
    # If-Range: the range only while the client's copy is current (strong comparison; we send
    # no Last-Modified, so a date never matches)
    if_range = request.headers.get("if-range")
    if if_range is not None and if_range.strip() != etag:
        requested = None
    if requested is not None and "," not in requested:  # several ranges: whole body (RFC 9110)
        selected = _byte_range(requested, download.size)
        if selected == _UNSATISFIABLE:
            headers["Content-Range"] = f"bytes */{download.size}"
            return Response(status_code=416, headers=headers)
        if isinstance(selected, tuple):
            start, end = selected
            headers["Content-Range"] = f"bytes {start}-{end}/{download.size}"
            headers["Content-Length"] = str(end - start + 1)
            return StreamingResponse(
                await download.opened(start, end),
                status_code=206,
                media_type="application/octet-stream",
                headers=headers,
            )
    headers["Content-Length"] = str(download.size)
    return StreamingResponse(
        await download.opened(), media_type="application/octet-stream", headers=headers
    )
