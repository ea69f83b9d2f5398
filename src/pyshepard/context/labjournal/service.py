"""Lab journal use cases (upstream LabJournalEntryRest/Service): entries live on a data object
and take their access from its collection."""

from __future__ import annotations

from collections.abc import Sequence

from pyshepard.auth.permissions import service as permissions
from pyshepard.auth.permissions.policy import Action
from pyshepard.context.dataobjects import service as dataobjects
from pyshepard.context.labjournal import sanitize
from pyshepard.context.labjournal.errors import UnsafeHtml
from pyshepard.context.labjournal.models import LabJournalEntry
from pyshepard.context.labjournal.schemas import LabJournalEntry as LabJournalEntryOut
from pyshepard.context.labjournal.store import LabJournalStore
from pyshepard.core.chunks import chunked
from pyshepard.core.clock import to_wire, utcnow
from pyshepard.core.db import UnitOfWork
from pyshepard.core.errors import NotFound, PermissionDenied
from pyshepard.core.identity import Principal


def _store(uow: UnitOfWork) -> LabJournalStore:
    return LabJournalStore(uow.session)


def require_safe_html(content: str) -> str:
    """The content to store: the safe-list's serialisation of it, which equals the input up to
    markup normalisation (quoting, implied tags), and is safe by construction even where the
    safe-list check and the sanitiser's HTML parser disagree. Raises UnsafeHtml (400, with the
    supplied and the sanitised HTML) when the safe-list would remove anything."""
    cleaned = sanitize.clean(content)
    if not sanitize.is_safe(content):
        raise UnsafeHtml(content, cleaned)
    return cleaned


async def _collection_of(uow: UnitOfWork, data_object_id: int) -> int:
    data_object = await dataobjects.find_data_object(uow, data_object_id)
    return data_object.collection_id


async def _load(
    uow: UnitOfWork, actor: Principal, entry_id: int, action: Action
) -> tuple[LabJournalEntry, int]:
    """The entry and its collection's id. Upstream's order: missing or deleted entry (404), its
    data object gone (404), then `action` on the data object's collection (403)."""
    entry = await _store(uow).get(entry_id)
    if entry is None:
        raise NotFound(f"LabJournal with Id {entry_id} cannot be found or is deleted")
    collection_id = await _collection_of(uow, entry.data_object_id)
    await permissions.require(uow, actor, action, collection_id)
    return entry, collection_id


async def list_entries(
    uow: UnitOfWork, actor: Principal, data_object_id: int
) -> list[LabJournalEntryOut]:
    """Live entries of the data object, newest first; raises NotFound, PermissionDenied (Read)."""
    collection_id = await _collection_of(uow, data_object_id)
    await permissions.require(uow, actor, Action.READ, collection_id)
    return to_wire_entries(await _store(uow).of_data_objects([data_object_id]))


async def get_entry(uow: UnitOfWork, actor: Principal, entry_id: int) -> LabJournalEntryOut:
    """Raises NotFound, then PermissionDenied (Read on the collection)."""
    entry, _ = await _load(uow, actor, entry_id, Action.READ)
    return to_wire_entries([entry])[0]


async def create_entry(
    uow: UnitOfWork, actor: Principal, data_object_id: int, content: str
) -> LabJournalEntryOut:
    """Raises UnsafeHtml, then NotFound (data object), then PermissionDenied (Write)."""
    content = require_safe_html(content)
    collection_id = await _collection_of(uow, data_object_id)
    await permissions.require(uow, actor, Action.WRITE, collection_id)
    entry = await _store(uow).create(
        data_object_id=data_object_id,
        content=content,
        created_at=utcnow(),
        created_by=actor.username,
    )
    return to_wire_entries([entry])[0]


async def update_entry(
    uow: UnitOfWork, actor: Principal, entry_id: int, content: str
) -> LabJournalEntryOut:
    """Only the entry's author may edit it. Upstream's order: NotFound, PermissionDenied (Read
    on the collection, then authorship), UnsafeHtml, then PermissionDenied (Write)."""
    entry, collection_id = await _load(uow, actor, entry_id, Action.READ)
    if entry.created_by != actor.username:
        raise PermissionDenied()
    content = require_safe_html(content)
    await permissions.require(uow, actor, Action.WRITE, collection_id)
    entry.content = content
    entry.updated_at = utcnow()
    entry.updated_by = actor.username
    await uow.session.flush()
    return to_wire_entries([entry])[0]


async def delete_entry(uow: UnitOfWork, actor: Principal, entry_id: int) -> None:
    """Soft-deletes the entry; raises NotFound, then PermissionDenied (Write on the collection)."""
    entry, _ = await _load(uow, actor, entry_id, Action.WRITE)
    entry.deleted = True
    entry.updated_at = utcnow()
    entry.updated_by = actor.username
    await uow.session.flush()


def to_wire_entries(entries: Sequence[LabJournalEntry]) -> list[LabJournalEntryOut]:
    return [
        LabJournalEntryOut.model_construct(
            dataObjectId=entry.data_object_id,
            journalContent=entry.content,
            id=entry.id,
            createdAt=to_wire(entry.created_at),
            createdBy=entry.created_by,
            updatedAt=to_wire(entry.updated_at),
            updatedBy=entry.updated_by,
        )
        for entry in entries
    ]


async def entries_by_data_object(
    uow: UnitOfWork, data_object_ids: Sequence[int]
) -> dict[int, list[LabJournalEntryOut]]:
    """Live entries of the data objects, newest first, without an access check (the caller has
    checked Read on their collection, e.g. the collection export)."""
    grouped: dict[int, list[LabJournalEntryOut]] = {}
    for chunk in chunked(data_object_ids):
        rows = await _store(uow).of_data_objects(chunk)
        for entry in to_wire_entries(rows):
            grouped.setdefault(entry.dataObjectId or 0, []).append(entry)
    return grouped
