"""Collection export (upstream ExportService/ExportBuilder) as a streamed RO-Crate zip.

`check_export` runs in the request's unit of work, so an unknown or unreadable collection is a
404/403 before any byte is sent. `export_zip` then streams the archive from a read-only unit
of work of its own, entry by entry: JSON documents and one timeseries CSV at a time are built
in memory, file payloads are copied from the BlobStore chunk by chunk, the metadata goes last.
A payload the caller may not read (its container is private or gone) is left out. Upstream
skips only what it cannot access and fails the whole export with a 404 for a container that
is gone; leaving that payload out too keeps the rest of the collection exportable.
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from pyshepard.auth.users import service as users
from pyshepard.context.collections import service as collections
from pyshepard.context.dataobjects import service as dataobjects
from pyshepard.context.dataobjects.schemas import DataObjectQuery
from pyshepard.context.export.archive import ZipStream
from pyshepard.context.export.crate import JSON, METADATA, Crate
from pyshepard.context.labjournal import service as labjournal
from pyshepard.context.references.models import Reference
from pyshepard.context.references.service import common as references
from pyshepard.context.references.service.basic import render_basic
from pyshepard.context.references.service.collection import render_collection_reference
from pyshepard.context.references.service.data_object import render_data_object_reference
from pyshepard.context.references.service.uri import render_uri
from pyshepard.context.references.store import ReferenceQuery
from pyshepard.core.clock import to_wire, utcnow
from pyshepard.core.db import Database, UnitOfWork
from pyshepard.core.errors import DomainError
from pyshepard.core.identity import Principal
from pyshepard.data.files import references as file_references
from pyshepard.data.spatial import references as spatial_references
from pyshepard.data.structured import references as structured_references
from pyshepard.data.timeseries import references as timeseries_references
from pyshepard.data.timeseries.references import ChannelFilters
from pyshepard.data.timeseries.schemas import CsvFormat

log = logging.getLogger(__name__)

FILENAME = "export.zip"
RENDER: dict[str, Callable[[Reference], BaseModel]] = {
    "URIReference": render_uri,
    "CollectionReference": render_collection_reference,
    "DataObjectReference": render_data_object_reference,
    "FileReference": file_references.render_file_reference,
    "StructuredDataReference": structured_references.render_reference,
    "TimeseriesReference": timeseries_references.render_reference,
    "SpatialDataReference": spatial_references.render_reference,
}


async def check_export(uow: UnitOfWork, actor: Principal, collection_id: int) -> None:
    """Raises NotFound, then PermissionDenied (Read on the collection)."""
    await collections.get_collection(uow, actor, collection_id)


async def export_zip(
    database: Database, actor: Principal, collection_id: int
) -> AsyncIterator[bytes]:
    """The zip, chunk by chunk, read in one read-only transaction."""
    uow = database.unit_of_work(read_only=True)
    try:
        async for chunk in _export(uow, actor, collection_id):
            yield chunk
    finally:
        await uow.rollback()
        await uow.session.close()


def _document(model: BaseModel) -> bytes:
    """An entity as the REST API shows it, pretty-printed as upstream's export does."""
    return json.dumps(model.model_dump(mode="json"), indent=2, ensure_ascii=False).encode()


async def _export(uow: UnitOfWork, actor: Principal, collection_id: int) -> AsyncIterator[bytes]:
    archive = ZipStream()
    collection = await collections.get_collection(uow, actor, collection_id)
    crate = Crate(
        name=f"{collection.name} Research Object Crate",
        description=f"Research Object Crate representing the shepard Collection {collection.name}",
        published=to_wire(utcnow()) or "",
    )
    yield await _entity(archive, crate, collection, kind="Collection")
    data_objects = await dataobjects.list_data_objects(uow, actor, collection_id, DataObjectQuery())
    journal = await labjournal.entries_by_data_object(
        uow, [data_object.id for data_object in data_objects if data_object.id is not None]
    )
    payloads = _Payloads(uow, actor, archive, crate, collection_id)
    for data_object in data_objects:
        assert data_object.id is not None  # noqa: S101 - stored rows always have ids
        yield await _entity(archive, crate, data_object, kind="DataObject")
        rows = await references.list_references(
            uow, actor, collection_id, data_object.id, ReferenceQuery()
        )
        for row in rows:
            rendered = RENDER.get(row.type, render_basic)(row)
            yield await _entity(archive, crate, rendered, kind=row.type)
            async for chunk in payloads.of(row):
                yield chunk
        for entry in journal.get(data_object.id, []):
            yield await _entity(archive, crate, entry, kind="LabJournalEntry")
    people = await _people(uow, crate.authors)
    metadata = json.dumps(crate.document(people), indent=2, ensure_ascii=False).encode()
    yield await archive.add_bytes(METADATA, metadata)
    yield archive.finish()


async def _entity(archive: ZipStream, crate: Crate, model: Any, *, kind: str) -> bytes:
    filename = f"{model.id}.json"
    if filename in archive.names:
        return b""
    crate.add_entity(
        filename,
        kind=kind,
        name=getattr(model, "name", None),
        created_at=model.createdAt,
        created_by=model.createdBy,
        updated_at=model.updatedAt,
        description=getattr(model, "description", None),
    )
    return await archive.add_bytes(filename, _document(model))


@dataclass
class _Payloads:
    """Writes the payloads of one collection's references into the archive and the crate."""

    uow: UnitOfWork
    actor: Principal
    archive: ZipStream
    crate: Crate
    collection_id: int

    async def of(self, reference: Reference) -> AsyncIterator[bytes]:
        try:
            if reference.type == "FileReference":
                async for chunk in self._files(reference):
                    yield chunk
            elif reference.type == "StructuredDataReference":
                yield await self._structured(reference)
            elif reference.type == "TimeseriesReference":
                yield await self._timeseries(reference)
        except DomainError as exc:  # upstream: "Cannot access ... payload during export"
            log.info(
                "export of collection %s skips payload of reference %s: %s",
                self.collection_id,
                reference.id,
                exc.message,
            )

    async def _files(self, reference: Reference) -> AsyncIterator[bytes]:
        path = (self.collection_id, reference.data_object_id, reference.id)
        listed = await file_references.get_file_reference_files(self.uow, self.actor, *path)
        for shepard_file in listed:
            oid, name = shepard_file.oid or "", shepard_file.filename or ""
            parts = name.split(".", 1)
            # upstream's `<oid>.<rest of the name>`, but never a path: a name such as
            # `x./../../evil.sh` must not make an entry that unzips outside its folder
            extension = parts[1].replace("/", "_").replace("\\", "_") if len(parts) > 1 else ""
            filename = f"{oid}.{extension}" if len(parts) > 1 else oid
            if not oid or filename in self.archive.names:
                continue
            try:
                download = await file_references.open_file_reference_payload(
                    self.uow, self.actor, *path, oid=oid
                )
                chunks = await download.opened()
            except DomainError as exc:  # deleted from its container meanwhile: this file only
                log.info(
                    "export of collection %s skips file %s: %s",
                    self.collection_id,
                    oid,
                    exc.message,
                )
                continue
            async for chunk in self.archive.add_stream(filename, chunks, download.size):
                yield chunk
            self.crate.add_payload(filename, name=name, encoding=None, size=download.size)

    async def _structured(self, reference: Reference) -> bytes:
        produced = []
        path = (self.collection_id, reference.data_object_id, reference.id)
        for payload in await structured_references.get_payloads(self.uow, self.actor, *path):
            info = payload.structuredData
            if payload.payload is None or info is None or not info.oid:
                continue
            filename = f"{info.oid}.json"
            if filename in self.archive.names:
                continue
            produced.append(await self.archive.add_bytes(filename, payload.payload.encode()))
            self.crate.add_payload(filename, name=info.name, encoding=JSON)
        return b"".join(produced)

    async def _timeseries(self, reference: Reference) -> bytes:
        filename = f"{reference.id}.csv"
        if filename in self.archive.names:
            return b""
        body = await timeseries_references.export_payload(
            self.uow,
            self.actor,
            self.collection_id,
            reference.data_object_id,
            reference.id,
            filters=ChannelFilters(),
            csv_format=CsvFormat.ROW,
        )
        self.crate.add_payload(filename, name=reference.name, encoding="text/csv")
        return await self.archive.add_bytes(filename, body)


async def _people(uow: UnitOfWork, usernames: list[str]) -> dict[str, dict[str, str | None]]:
    people: dict[str, dict[str, str | None]] = {}
    for username in usernames:
        user = await users.find_user(uow, username)
        if user is not None:
            people[username] = {
                "email": user.email,
                "givenName": user.first_name,
                "familyName": user.last_name,
            }
    return people
