from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Response

from pyshepard.api import INT64_MAX, SHEPARD_PREFIX, Caller, Uow, error_responses
from pyshepard.context.labjournal import service
from pyshepard.context.labjournal.schemas import (
    INVALID_HTML_RESPONSES,
    LabJournalContent,
    LabJournalEntry,
)

router = APIRouter(prefix=SHEPARD_PREFIX, tags=["labJournalEntry"])

DataObjectIdQuery = Annotated[int, Query(ge=0, le=INT64_MAX, description="DataObject id")]
EntryId = Annotated[int, Path(ge=0, le=INT64_MAX, description="Lab journal entry id")]
ITEM = "/labJournalEntries/{labJournalEntryId}"


@router.get(
    "/labJournalEntries",
    operation_id="getLabJournalsByCollection",
    summary="Get Lab Journals By Collection",
    description=(
        "Get all lab journals in a data object sorted by their creation date (newest first)"
    ),
    responses=error_responses(400, 401, 403, 404),
)
async def get_lab_journals(
    uow: Uow,
    caller: Caller,
    dataObjectId: DataObjectIdQuery,  # noqa: N803 - upstream parameter name
) -> list[LabJournalEntry]:
    return await service.list_entries(uow, caller, dataObjectId)


@router.post(
    "/labJournalEntries",
    operation_id="createLabJournal",
    summary="Create Lab Journal",
    description="Create a lab journal in a data object",
    status_code=201,
    responses={**error_responses(401, 403, 404), **INVALID_HTML_RESPONSES},
)
async def create_lab_journal(
    uow: Uow,
    caller: Caller,
    dataObjectId: DataObjectIdQuery,  # noqa: N803
    entry: LabJournalEntry,
) -> LabJournalEntry:
    return await service.create_entry(uow, caller, dataObjectId, entry.journalContent)


@router.get(
    ITEM,
    operation_id="getLabJournalById",
    summary="Get Lab Journal By Id",
    description="Get a lab journal",
    responses=error_responses(400, 401, 403, 404),
)
async def get_lab_journal(
    uow: Uow,
    caller: Caller,
    labJournalEntryId: EntryId,  # noqa: N803
) -> LabJournalEntry:
    return await service.get_entry(uow, caller, labJournalEntryId)


@router.put(
    ITEM,
    operation_id="updateLabJournal",
    summary="Update Lab Journal",
    description="Update a lab journal",
    responses={**error_responses(401, 403, 404), **INVALID_HTML_RESPONSES},
)
async def update_lab_journal(
    uow: Uow,
    caller: Caller,
    labJournalEntryId: EntryId,  # noqa: N803
    content: LabJournalContent,
) -> LabJournalEntry:
    return await service.update_entry(uow, caller, labJournalEntryId, content.journalContent)


@router.delete(
    ITEM,
    operation_id="deleteLabJournal",
    summary="Delete Lab Journal",
    description="Delete a lab journal",
    status_code=204,
    response_class=Response,
    responses=error_responses(400, 401, 403, 404),
)
async def delete_lab_journal(
    uow: Uow,
    caller: Caller,
    labJournalEntryId: EntryId,  # noqa: N803
) -> Response:
    await service.delete_entry(uow, caller, labJournalEntryId)
    return Response(status_code=204)
