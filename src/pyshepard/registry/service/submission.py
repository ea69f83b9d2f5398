"""Submitting a model or a new version: stream the form's files to the blob store, check the
entry, record the version and queue its validation."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from pyshepard.core.blobs.base import BlobStore
from pyshepard.core.clock import utcnow
from pyshepard.core.db import UnitOfWork
from pyshepard.core.errors import Conflict, InvalidInput, PayloadTooLarge, PermissionDenied
from pyshepard.core.identity import Principal
from pyshepard.registry.entry import (
    FILE_LINK_RELS,
    EntryLink,
    ValidationStatus,
    is_semver,
    sha256_checksum,
)
from pyshepard.registry.models import RegistryModel, RegistryModelVersion
from pyshepard.registry.schemas import ModelEntry, SubmittedEntry
from pyshepard.registry.service.common import (
    BLOB_PREFIX,
    ENTRY_FIELD_LIMIT,
    FILE_NAME,
    FULL_PARSE_LIMIT,
    drop_unused_blobs,
    hold_blobs,
    queue_run,
    refresh_model,
    store_of,
    validation_config,
)
from pyshepard.registry.service.rendering import render_entry
from pyshepard.registry.upload_guard import StreamGuard

# --- uploads -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class UploadPart:
    """One multipart/form-data field as it streams in."""

    name: str
    filename: str | None
    chunks: AsyncIterator[bytes]


@dataclass(frozen=True)
class StoredUpload:
    field: str
    filename: str | None
    key: str
    sha256: str
    size: int


@dataclass
class _Submission:
    entry_text: bytes | None = None
    file: StoredUpload | None = None
    reference_points: StoredUpload | None = None
    companions: list[StoredUpload] = field(default_factory=list)
    written: list[str] = field(default_factory=list)


async def _read_small(chunks: AsyncIterator[bytes], limit: int, label: str) -> bytes:
    pieces: list[bytes] = []
    size = 0
    async for chunk in chunks:
        size += len(chunk)
        if size > limit:
            raise PayloadTooLarge(f"{label} is larger than {limit} bytes")
        pieces.append(chunk)
    return b"".join(pieces)


async def _guarded(chunks: AsyncIterator[bytes], guard: StreamGuard) -> AsyncIterator[bytes]:
    async for chunk in chunks:
        guard.feed(chunk)
        yield chunk
    guard.finish()


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise ValueError(f"duplicate key {key!r}")
        result[key] = value
    return result


def _strict_json(data: bytes) -> Any:
    return json.loads(data, parse_constant=_reject_constant, object_pairs_hook=_no_duplicates)


async def _check_json(blobs: BlobStore, upload: StoredUpload, label: str) -> None:
    if upload.size > FULL_PARSE_LIMIT:
        return
    data = b"".join([chunk async for chunk in blobs.open(upload.key)])
    try:
        await asyncio.to_thread(_strict_json, data)
    except (ValueError, RecursionError) as exc:
        raise InvalidInput(f"{label} is not valid JSON: {exc}") from None


async def _store_part(
    uow: UnitOfWork, part: UploadPart, label: str, *, opening: bytes
) -> StoredUpload:
    config = validation_config(uow)
    guard = StreamGuard(
        label,
        max_bytes=uow.settings.registry_max_upload_bytes,
        max_depth=config.max_json_depth,
        opening=opening,
    )
    blob = await uow.blobs.put_stream(_guarded(part.chunks, guard), prefix=BLOB_PREFIX)
    upload = StoredUpload(
        field=part.name, filename=part.filename, key=blob.key, sha256=blob.sha256, size=blob.size
    )
    return upload


async def _receive(uow: UnitOfWork, parts: AsyncIterator[UploadPart], sub: _Submission) -> None:
    async for part in parts:
        if part.name == "entry":
            if sub.entry_text is not None:
                raise InvalidInput("the form has more than one 'entry' field")
            sub.entry_text = await _read_small(part.chunks, ENTRY_FIELD_LIMIT, "the entry field")
            continue
        if part.name not in {"file", "reference_points", "companion"}:
            raise InvalidInput(
                f"unknown form field {part.name!r}: expected entry, file, reference_points, "
                "companion"
            )
        if part.name != "companion" and getattr(sub, part.name) is not None:
            raise InvalidInput(f"the form has more than one {part.name!r} field")
        label = {"file": "the model file", "reference_points": "the reference points file"}.get(
            part.name, f"companion {part.filename!r}"
        )
        opening = b"[" if part.name == "reference_points" else b"{"
        upload = await _store_part(uow, part, label, opening=opening)
        sub.written.append(upload.key)
        await _check_json(uow.blobs, upload, label)
        if part.name == "companion":
            sub.companions.append(upload)
        else:
            setattr(sub, part.name, upload)


def _parse_entry(text: bytes | None) -> SubmittedEntry:
    if text is None:
        raise InvalidInput("the form has no 'entry' field (the entry.json fields as JSON text)")
    try:
        document = _strict_json(text)
    except (ValueError, RecursionError) as exc:
        raise InvalidInput(f"the entry field is not valid JSON: {exc}") from None
    if not isinstance(document, dict):
        raise InvalidInput("the entry field must be a JSON object")
    try:
        return SubmittedEntry.model_validate(document)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in error['loc']) or 'entry'}: {error['msg']}"
            for error in exc.errors()[:10]
        )
        raise InvalidInput(f"the entry is invalid: {problems}") from None


def _safe_name(name: str | None, fallback: str) -> str:
    if name is None:
        return fallback
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    return base if FILE_NAME.fullmatch(base) else fallback


def _check_submission(uow: UnitOfWork, entry: SubmittedEntry, sub: _Submission) -> list[EntryLink]:
    """Everything that can be said about the form without the database; returns the links with
    the companions' computed checksums filled in."""
    _check_fields(uow, entry)
    return _check_files(entry, sub)


def _check_fields(uow: UnitOfWork, entry: SubmittedEntry) -> None:
    if not is_semver(entry.version):
        raise InvalidInput(f"version {entry.version!r} is not a semantic version (e.g. 1.0.0)")
    domains = validation_config(uow).domains
    if entry.domain not in domains:
        raise InvalidInput(
            f"unknown domain {entry.domain!r}; the vocabulary is: {', '.join(domains)}"
        )
    if entry.model_id is not None:
        try:
            uuid.UUID(entry.model_id)
        except ValueError:
            raise InvalidInput(f"model_id {entry.model_id!r} is not a UUID") from None


def _check_files(entry: SubmittedEntry, sub: _Submission) -> list[EntryLink]:
    if sub.file is None:
        raise InvalidInput("the form has no 'file' field (the model file)")
    computed = sha256_checksum(sub.file.sha256)
    if entry.checksum is not None and entry.checksum != computed:
        raise InvalidInput(
            f"checksum mismatch: the entry declares {entry.checksum}, the uploaded file is "
            f"{computed}"
        )
    if entry.reference_points and sub.reference_points is None:
        raise InvalidInput("the entry names reference_points but no such file was uploaded")
    by_name: dict[str, StoredUpload] = {}
    for companion in sub.companions:
        if companion.filename is None or companion.filename in by_name:
            raise InvalidInput("each companion needs a distinct file name")
        by_name[companion.filename] = companion
    hrefs = {link.href for link in entry.links if link.rel in FILE_LINK_RELS}
    unknown = sorted(set(by_name) - hrefs)
    if unknown:
        raise InvalidInput(
            f"companion file(s) {', '.join(unknown)} match no 'patch-of' or 'hs3-twin' link href"
        )
    missing = sorted(hrefs - set(by_name))
    if missing:
        raise InvalidInput(f"linked file(s) {', '.join(missing)} were not uploaded as companion")
    return [_with_checksum(link, by_name) for link in entry.links]


def _with_checksum(link: EntryLink, uploads: dict[str, StoredUpload]) -> EntryLink:
    if link.rel not in FILE_LINK_RELS:
        return link
    if _safe_name(link.href, "") != link.href:
        raise InvalidInput(f"companion name {link.href!r} is not a plain file name")
    actual = sha256_checksum(uploads[link.href].sha256)
    if link.checksum is not None and link.checksum != actual:
        raise InvalidInput(
            f"checksum mismatch for companion {link.href}: declared {link.checksum}, "
            f"uploaded {actual}"
        )
    return link.model_copy(update={"checksum": actual})


async def _discard_uploads(uow: UnitOfWork, keys: Sequence[str]) -> None:
    """Remove blobs this failed submission wrote, unless a row uses them; each key is checked
    under its lock, so a concurrent submission of the same bytes keeps them (`hold_blobs`)."""
    if not keys:
        return
    await uow.rollback()
    await uow.run_apart(lambda other: drop_unused_blobs(other, keys))


async def submit_model(
    uow: UnitOfWork, actor: Principal, parts: AsyncIterator[UploadPart], *, base_url: str
) -> ModelEntry:
    """Store the files, record the version (a new concept or a new version of the caller's
    concept) and queue its validation. Raises InvalidInput, PayloadTooLarge, PermissionDenied
    (someone else's concept), Conflict (duplicate version / name taken)."""
    sub = _Submission()
    try:
        await _receive(uow, parts, sub)
        entry = _parse_entry(sub.entry_text)
        links = _check_submission(uow, entry, sub)
        version = await _record_version(uow, actor, entry, sub, links)
    except BaseException:
        await _discard_uploads(uow, sub.written)
        raise
    return await render_entry(uow, actor, version.model_id, base_url=base_url)


async def _resolve_concept(
    uow: UnitOfWork, actor: Principal, entry: SubmittedEntry
) -> RegistryModel | None:
    store = store_of(uow)
    concept = await store.find_concept(entry.name.casefold(), entry.collaboration.casefold())
    if entry.model_id is not None:
        by_id = await store.get_model(entry.model_id, for_update=True)
        if by_id is None:
            if concept is not None:
                raise Conflict(
                    f"A model named {entry.name!r} of {entry.collaboration!r} exists already "
                    f"with model_id {concept.model_id}"
                )
            return None
        concept = by_id
    if concept is not None and concept.owner != actor.username and not actor.is_admin:
        raise PermissionDenied(
            f"Model {concept.model_id} belongs to another user; only its owner adds versions"
        )
    return concept


async def _record_version(
    uow: UnitOfWork,
    actor: Principal,
    entry: SubmittedEntry,
    sub: _Submission,
    links: list[EntryLink],
) -> RegistryModelVersion:
    assert sub.file is not None  # noqa: S101 - checked by _check_submission
    store = store_of(uow)
    now = utcnow()
    concept = await _resolve_concept(uow, actor, entry)
    await hold_blobs(
        uow,
        [
            sub.file.key,
            *([sub.reference_points.key] if sub.reference_points else []),
            *(c.key for c in sub.companions),
        ],
    )
    if concept is None:
        concept = await store.add_model(
            RegistryModel(
                model_id=entry.model_id or str(uuid.uuid4()),
                name=entry.name,
                name_key=entry.name.casefold(),
                domain=entry.domain,
                collaboration=entry.collaboration,
                collaboration_key=entry.collaboration.casefold(),
                doi=entry.doi,
                meta=entry.metadata.model_dump(mode="json"),
                links=[link.model_dump(mode="json", exclude_none=True) for link in links],
                owner=actor.username,
                status=ValidationStatus.SUBMITTED.value,
                latest_version=entry.version,
                approved_version=None,
                search_text="",
                created_at=now,
                updated_at=now,
            )
        )
    elif await store.version(concept.model_id, entry.version) is not None:
        raise Conflict(f"Version {entry.version} of model {concept.model_id} exists already")
    reference_name = None
    if sub.reference_points is not None:
        reference_name = _safe_name(
            entry.reference_points or sub.reference_points.filename, "reference_points.json"
        )
        if reference_name in {link.href for link in links}:
            reference_name = "reference_points.json"
    file_name = _safe_name(sub.file.filename, "model.json")
    if file_name in {reference_name, *(link.href for link in links)}:
        file_name = "model.json"
    stored_entry = entry.model_dump(
        mode="json",
        exclude_none=True,
        include={"name", "doi", "domain", "collaboration", "metadata", "format"},
    )
    stored_entry["links"] = [link.model_dump(mode="json", exclude_none=True) for link in links]
    if entry.canonical_checksum:
        stored_entry["canonical_checksum"] = entry.canonical_checksum
    version = await store.add_version(
        RegistryModelVersion(
            id=str(uuid.uuid4()),
            model_id=concept.model_id,
            version=entry.version,
            file_name=file_name,
            file_key=sub.file.key,
            checksum=sha256_checksum(sub.file.sha256),
            canonical_checksum=None,
            format=entry.format,
            size=sub.file.size,
            summary=None,
            keywords=[],
            reference_points_name=reference_name,
            reference_points_key=sub.reference_points.key if sub.reference_points else None,
            companions=[
                {"href": c.filename, "key": c.key, "checksum": sha256_checksum(c.sha256)}
                for c in sub.companions
            ],
            entry=stored_entry,
            validation_status=ValidationStatus.SUBMITTED.value,
            submitted_by=actor.username,
            submission_date=now,
            last_updated=now,
        )
    )
    await refresh_model(uow, concept)
    await queue_run(uow, version, trigger="submit")
    return version
