from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import StreamingResponse

from pyshepard.api import SHEPARD_PREFIX, Caller, CollectionId, Uow, database, error_responses
from pyshepard.context.export import service

router = APIRouter(prefix=SHEPARD_PREFIX, tags=["collection"])


@router.get(
    "/collections/{collectionId}/export",
    operation_id="exportCollection",
    summary="Export Collection",
    description="Export Collection as RoCrate",
    response_class=StreamingResponse,
    responses={
        200: {
            "description": "ok",
            "content": {
                "application/octet-stream": {"schema": {"type": "string", "format": "binary"}}
            },
        },
        **error_responses(400, 401, 403, 404),
    },
)
async def export_collection(
    request: Request,
    uow: Uow,
    caller: Caller,
    collectionId: CollectionId,  # noqa: N803 - upstream parameter name
) -> StreamingResponse:
    await service.check_export(uow, caller, collectionId)
    return StreamingResponse(
        service.export_zip(database(request), caller, collectionId),
        media_type="application/octet-stream",
        headers={"Content-Disposition": f'attachment; filename="{service.FILENAME}"'},
    )
