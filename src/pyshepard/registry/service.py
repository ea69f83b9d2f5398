"""Model registry use cases: submit, read, search, review, publish, re-validate, webhooks.

Visibility: anonymous callers see approved models only (their newest approved version); a
logged-in caller also sees their own submissions; reviewers and admins see everything.
Fetch, then check: an invisible model is a 404, a visible one the caller may not change a 403.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import re
import secrets
import uuid
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from importlib import metadata as importlib_metadata
from typing import Any
from urllib.parse import quote, urlsplit

from pydantic import ValidationError

from pyshepard.core.blobs.base import BlobStore
from pyshepard.core.clock import utcnow
from pyshepard.core.db import UnitOfWork
from pyshepard.core.errors import (
    Conflict,
    InvalidInput,
    NotFound,
    PayloadTooLarge,
    PermissionDenied,
)
from pyshepard.core.identity import Principal
from pyshepard.core.jobs import enqueue
from pyshepard.registry.entry import (
    FILE_LINK_RELS,
    Entry,
    EntryLink,
    ValidationStatus,
    is_semver,
    sha256_checksum,
)
from pyshepard.registry.models import (
    RegistryModel,
    RegistryModelVersion,
    RegistryWebhook,
    Review,
    ValidationRun,
)
from pyshepard.registry.report import badge_svg, markdown
from pyshepard.registry.schemas import (
    Artefact,
    MetadataUpdate,
    ModelEntry,
    ReviewRecord,
    RunInfo,
    RunStarted,
    SubmittedEntry,
    VersionInfo,
    Webhook,
    WebhookCreate,
)
from pyshepard.registry.store import RegistryStore, Visibility
from pyshepard.registry.upload_guard import StreamGuard
from pyshepard.registry.validation.config import ValidationConfig
from pyshepard.registry.validation.results import EntryReport, RunReport
from pyshepard.subscriptions.service import non_public_callback

BLOB_PREFIX = "registry/"
ARTEFACT_PREFIX = "registry/artefacts/"
VALIDATE_JOB = "registry.validate"
DELIVER_JOB = "registry.deliver_webhook"
PUBLISHED = "model.published"
ENTRY_FIELD_LIMIT = 1024 * 1024
# files up to this size are parsed completely at submission (syntax, duplicate keys, NaN);
# larger ones are streamed through the incremental guard only and parsed by the pipeline
FULL_PARSE_LIMIT = 32 * 1024 * 1024
MAX_PAGE_SIZE = 200
SEARCH_CANDIDATES = 1000
MAX_SEARCH_TERMS = 12
FILE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._ -]{0,200}$")
REVIEWABLE = ValidationStatus.AWAITING_REVIEW.value
# versions in these states keep their status when a (re-)validation run finishes
SETTLED = {"approved", "rejected", "deprecated"}
MEDIA_TYPES = {
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".csv": "text/csv",
    ".md": "text/markdown",
    ".json": "application/json",
}


def _store(uow: UnitOfWork) -> RegistryStore:
    return RegistryStore(uow.session)


def validation_config(uow: UnitOfWork) -> ValidationConfig:
    """The pipeline settings (`PYSHEPARD_REGISTRY_*`), with the server's upload limit."""
    return ValidationConfig(max_file_bytes=uow.settings.registry_max_upload_bytes)


# --- versions ----------------------------------------------------------------------------------


def semver_key(version: str) -> tuple[Any, ...]:
    """Sort key of a semantic version: releases after their pre-releases (semver §11)."""
    core, _, rest = version.partition("+")[0].partition("-")
    numbers = tuple(int(part) for part in core.split("."))
    if not rest:
        return (numbers, 1, ())
    identifiers = tuple(
        (0, int(part), "") if part.isdigit() else (1, 0, part) for part in rest.split(".")
    )
    return (numbers, 0, identifiers)


def _newest(versions: Sequence[RegistryModelVersion]) -> RegistryModelVersion | None:
    return max(versions, key=lambda v: semver_key(v.version), default=None)


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
    """Remove blobs this failed submission wrote, unless a committed row uses them."""
    if not keys:
        return
    await uow.rollback()

    async def drop(other: UnitOfWork) -> None:
        store = _store(other)
        for key in dict.fromkeys(keys):
            if not await store.blob_referenced(key):
                await other.blobs.delete(key)

    await uow.run_apart(drop)


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
    store = _store(uow)
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
    store = _store(uow)
    now = utcnow()
    concept = await _resolve_concept(uow, actor, entry)
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
    await _refresh_model(uow, concept)
    await _queue_run(uow, version, trigger="submit")
    return version


async def _queue_run(uow: UnitOfWork, version: RegistryModelVersion, *, trigger: str) -> RunStarted:
    run = await _store(uow).add_run(
        ValidationRun(
            id=str(uuid.uuid4()),
            version_id=version.id,
            trigger=trigger,
            status="queued",
            created_at=utcnow(),
            engines={},
            report=None,
            artefacts={},
        )
    )
    job = await enqueue(uow, VALIDATE_JOB, {"run_id": run.id}, max_attempts=3)
    run.job_id = job.id
    await uow.session.flush()
    return RunStarted(
        run_id=run.id, status=run.status, version=version.version, model_id=version.model_id
    )


async def _refresh_model(uow: UnitOfWork, model: RegistryModel) -> None:
    """Recompute the concept's latest/approved version, status and search text."""
    versions = await _store(uow).versions(model.model_id)
    latest = _newest(versions)
    approved = _newest([v for v in versions if v.validation_status == "approved"])
    if latest is not None:
        model.latest_version = latest.version
        model.status = latest.validation_status
    model.approved_version = approved.version if approved is not None else None
    shown = approved or latest
    model.search_text = _search_text(model, shown)
    model.updated_at = utcnow()
    await uow.session.flush()


def _summary_words(summary: dict[str, Any] | None) -> list[str]:
    if not summary:
        return []
    words = [channel.get("name", "") for channel in summary.get("channels", [])]
    words += list(summary.get("samples", [])) + list(summary.get("modifiers", {}))
    words += [summary.get("poi") or "", *summary.get("measurements", [])]
    return [str(word) for word in words if word]


def _search_text(model: RegistryModel, version: RegistryModelVersion | None) -> str:
    meta = model.meta or {}
    parts = [
        model.name,
        model.collaboration,
        model.doi or "",
        model.domain,
        *meta.get("tags", []),
        *meta.get("search_keywords", []),
    ]
    if version is not None:
        parts += [*version.keywords, version.format or ""]
        parts += _summary_words(version.summary)
    return " ".join(str(p) for p in parts if p).casefold()


# --- reading -----------------------------------------------------------------------------------


async def _visible_model(
    uow: UnitOfWork, actor: Principal | None, model_id: str, *, for_update: bool = False
) -> RegistryModel:
    model = None
    try:
        uuid.UUID(model_id)
    except ValueError:
        pass
    else:
        model = await _store(uow).get_model(model_id, for_update=for_update)
    if model is None or not _can_see(actor, model):
        raise NotFound(f"Model {model_id} not found")
    return model


def _can_see(actor: Principal | None, model: RegistryModel) -> bool:
    if model.approved_version is not None:
        return True
    return actor is not None and (actor.has_role("reviewer") or model.owner == actor.username)


def _sees_unpublished(actor: Principal | None, model: RegistryModel) -> bool:
    return actor is not None and (actor.has_role("reviewer") or model.owner == actor.username)


def _visible_versions(
    actor: Principal | None, model: RegistryModel, versions: Sequence[RegistryModelVersion]
) -> list[RegistryModelVersion]:
    if _sees_unpublished(actor, model):
        return list(versions)
    return [v for v in versions if v.validation_status == "approved"]


async def _pick_version(
    uow: UnitOfWork, actor: Principal | None, model: RegistryModel, version: str | None
) -> RegistryModelVersion:
    versions = _visible_versions(actor, model, await _store(uow).versions(model.model_id))
    if version is None:
        chosen = (
            next((v for v in versions if v.version == model.latest_version), None)
            if _sees_unpublished(actor, model)
            else next((v for v in versions if v.version == model.approved_version), None)
        )
    else:
        chosen = next((v for v in versions if v.version == version), None)
    if chosen is None:
        raise NotFound(f"Version {version or 'latest'} of model {model.model_id} not found")
    return chosen


def _run_digest(run: ValidationRun | None) -> dict[str, Any] | None:
    if run is None:
        return None
    digest: dict[str, Any] = {
        "run_id": run.id,
        "status": run.status,
        "trigger": run.trigger,
        "started_at": run.started_at.isoformat() if run.started_at else None,
        "finished_at": run.finished_at.isoformat() if run.finished_at else None,
        "engines": run.engines,
    }
    entry = _entry_report(run)
    if entry is not None:
        digest["checks"] = {
            status: sum(1 for c in entry.checks if c.status == status)
            for status in ("passed", "failed", "skipped")
        }
        digest["failures"] = [
            {"name": c.name, "message": c.message[:500]} for c in entry.failures()
        ]
    return digest


def _entry_report(run: ValidationRun) -> EntryReport | None:
    if not run.report:
        return None
    report = RunReport.model_validate(run.report)
    return report.entries[0] if report.entries else None


def _file_url(base_url: str, model_id: str, version: str, part: str | None = None) -> str:
    url = f"{base_url}/api/models/{model_id}/file?version={quote(version)}"
    return url + (f"&part={quote(part)}" if part else "")


async def render_entry(
    uow: UnitOfWork,
    actor: Principal | None,
    model_id: str,
    *,
    base_url: str,
    model: RegistryModel | None = None,
) -> ModelEntry:
    model = model or await _visible_model(uow, actor, model_id)
    store = _store(uow)
    all_versions = await store.versions(model.model_id)
    versions = _visible_versions(actor, model, all_versions)
    shown = await _pick_version(uow, actor, model, None)
    run = await store.latest_run(shown.id)
    reviews = await store.reviews([v.id for v in versions])
    by_id = {v.id: v.version for v in versions}
    entry = shown.entry
    return ModelEntry(
        model_id=uuid.UUID(model.model_id),
        name=model.name,
        doi=model.doi,
        version=shown.version,
        domain=model.domain,
        collaboration=model.collaboration,
        file_location=_file_url(base_url, model.model_id, shown.version),
        checksum=shown.checksum,
        reference_points=(
            _file_url(base_url, model.model_id, shown.version, "reference_points")
            if shown.reference_points_key
            else None
        ),
        metadata=model.meta,
        validation_status=ValidationStatus(shown.validation_status),
        submission_date=shown.submission_date,
        last_updated=shown.last_updated,
        format=shown.format or entry.get("format"),
        canonical_checksum=shown.canonical_checksum,
        summary=shown.summary,
        links=model.links,
        versions=sorted((v.version for v in versions), key=semver_key),
        validation=_run_digest(run),
        owner=model.owner,
        status=model.status if _sees_unpublished(actor, model) else "approved",
        latest_version=(
            model.latest_version
            if _sees_unpublished(actor, model)
            else model.approved_version or shown.version
        ),
        approved_version=model.approved_version,
        reviews=[
            ReviewRecord(
                version=by_id[r.version_id],
                decision=r.decision,
                reason=r.reason,
                reviewer=r.reviewer,
                at=r.at,
            )
            for r in reviews
            if r.version_id in by_id
        ],
    )


def _page(page: int | None, size: int | None) -> tuple[int, int]:
    page = page or 0
    size = 50 if size is None else size
    if page < 0 or size < 1 or size > MAX_PAGE_SIZE:
        raise InvalidInput(f"page must be ≥ 0 and size between 1 and {MAX_PAGE_SIZE}")
    return page * size, size


async def list_models(
    uow: UnitOfWork,
    actor: Principal | None,
    *,
    page: int | None,
    size: int | None,
    status: str | None,
    base_url: str,
) -> tuple[list[ModelEntry], int]:
    """Raises InvalidInput (bad status or paging); `status` needs the reviewer role."""
    offset, limit = _page(page, size)
    visibility = Visibility(actor)
    if status is not None:
        if status not in {s.value for s in ValidationStatus}:
            raise InvalidInput(f"unknown status {status!r}")
        if not visibility.sees_all:
            raise PermissionDenied("Filtering by status needs the reviewer or admin role")
    rows, total = await _store(uow).list_models(
        visibility, status=status, offset=offset, limit=limit
    )
    entries = [
        await render_entry(uow, actor, row.model_id, base_url=base_url, model=row) for row in rows
    ]
    return entries, total


SEARCH_WEIGHTS = {"name": 5.0, "tags": 4.0, "keywords": 3.0, "collaboration": 3.0, "doi": 3.0}


def _terms(query: str) -> list[str]:
    terms = [t for t in re.split(r"[\s,;]+", query.casefold()) if t]
    return list(dict.fromkeys(terms))[:MAX_SEARCH_TERMS]


def _score(model: RegistryModel, terms: Sequence[str]) -> float:
    meta = model.meta or {}
    fields = {
        "name": model.name.casefold(),
        "tags": " ".join(meta.get("tags", [])).casefold(),
        "keywords": " ".join(meta.get("search_keywords", [])).casefold(),
        "collaboration": model.collaboration.casefold(),
        "doi": (model.doi or "").casefold(),
    }
    score = 0.0
    for term in terms:
        for name, text in fields.items():
            if term in text:
                # whole-word hits count double
                whole = re.search(rf"(?<![\w]){re.escape(term)}(?![\w])", text) is not None
                score += SEARCH_WEIGHTS[name] * (2 if whole else 1)
        if term in model.search_text:
            score += 1.0  # summary facts, extracted keywords, domain
    if " ".join(terms) == model.name.casefold():
        score += 10.0
    return score


async def search_models(
    uow: UnitOfWork,
    actor: Principal | None,
    query: str,
    *,
    page: int | None,
    size: int | None,
    base_url: str,
) -> list[ModelEntry]:
    """Ranked: name > tags > keywords, collaboration, DOI > summary; raises InvalidInput."""
    if not query.strip() or len(query) > 500:
        raise InvalidInput("q must be between 1 and 500 characters")
    offset, limit = _page(page, size)
    terms = _terms(query)
    candidates = await _store(uow).search_candidates(
        Visibility(actor), terms, limit=SEARCH_CANDIDATES
    )
    ranked = sorted(
        ((score, model) for model in candidates if (score := _score(model, terms)) > 0),
        key=lambda pair: (-pair[0], pair[1].name.casefold(), pair[1].model_id),
    )
    return [
        await render_entry(uow, actor, model.model_id, base_url=base_url, model=model)
        for _, model in ranked[offset : offset + limit]
    ]


async def filter_models(
    uow: UnitOfWork,
    actor: Principal | None,
    *,
    domain: str | None,
    tag: str | None,
    collaboration: str | None,
    page: int | None,
    size: int | None,
    base_url: str,
) -> list[ModelEntry]:
    """Exact (case-insensitive) matches on every given criterion; raises InvalidInput."""
    offset, limit = _page(page, size)
    rows = await _store(uow).filter_models(
        Visibility(actor), domain=domain, collaboration=collaboration, offset=0, limit=100_000
    )
    if tag is not None:
        wanted = tag.casefold()
        rows = [r for r in rows if wanted in {t.casefold() for t in (r.meta or {}).get("tags", [])}]
    return [
        await render_entry(uow, actor, row.model_id, base_url=base_url, model=row)
        for row in rows[offset : offset + limit]
    ]


async def list_versions(
    uow: UnitOfWork, actor: Principal | None, model_id: str
) -> list[VersionInfo]:
    model = await _visible_model(uow, actor, model_id)
    versions = _visible_versions(actor, model, await _store(uow).versions(model.model_id))
    return [
        VersionInfo(
            version=v.version,
            validation_status=v.validation_status,
            checksum=v.checksum,
            canonical_checksum=v.canonical_checksum,
            format=v.format,
            size=v.size,
            submission_date=v.submission_date,
            last_updated=v.last_updated,
            submitted_by=v.submitted_by,
        )
        for v in sorted(versions, key=lambda v: semver_key(v.version))
    ]


async def model_metadata(
    uow: UnitOfWork, actor: Principal | None, model_id: str, *, version: str | None
) -> dict[str, Any]:
    model = await _visible_model(uow, actor, model_id)
    shown = await _pick_version(uow, actor, model, version)
    return {
        "model_id": model.model_id,
        "name": model.name,
        "version": shown.version,
        "doi": model.doi,
        "domain": model.domain,
        "collaboration": model.collaboration,
        "metadata": model.meta,
        "links": model.links,
        "format": shown.format,
        "checksum": shown.checksum,
        "canonical_checksum": shown.canonical_checksum,
        "summary": shown.summary,
        "keywords": shown.keywords,
        "size": shown.size,
    }


@dataclass(frozen=True)
class Download:
    filename: str
    media_type: str
    size: int | None
    sha256: str | None
    key: str
    blobs: BlobStore

    def chunks(self) -> AsyncIterator[bytes]:
        return self.blobs.open(self.key)


async def open_file(
    uow: UnitOfWork,
    actor: Principal | None,
    model_id: str,
    *,
    version: str | None,
    part: str | None,
) -> Download:
    """The model file (or `part`: `reference_points` or a companion's href) of a version."""
    model = await _visible_model(uow, actor, model_id)
    shown = await _pick_version(uow, actor, model, version)
    checksum: str | None
    name: str | None
    if part in {None, "model"}:
        key, name, checksum = shown.file_key, shown.file_name, shown.checksum
    elif part == "reference_points" and shown.reference_points_key:
        key, name, checksum = shown.reference_points_key, shown.reference_points_name, None
    else:
        companion = next((c for c in shown.companions if c.get("href") == part), None)
        if companion is None:
            raise NotFound(f"Version {shown.version} has no file {part!r}")
        key, name, checksum = companion["key"], companion["href"], companion["checksum"]
    info = await uow.blobs.stat(key)
    if info is None:
        raise NotFound(f"The bytes of {name} are missing from the blob store")
    digest = checksum.removeprefix("sha256:") if checksum else key.rsplit("/", 1)[-1]
    return Download(
        filename=name or "file.json",
        media_type="application/json",
        size=info.size,
        sha256=digest,
        key=key,
        blobs=uow.blobs,
    )


# --- changing ----------------------------------------------------------------------------------


async def update_metadata(
    uow: UnitOfWork, actor: Principal, model_id: str, update: MetadataUpdate, *, base_url: str
) -> ModelEntry:
    """Owner or admin; raises NotFound, PermissionDenied, InvalidInput (domain, file links)."""
    model = await _visible_model(uow, actor, model_id, for_update=True)
    if model.owner != actor.username and not actor.is_admin:
        raise PermissionDenied("Only the model's owner or an admin changes its metadata")
    if update.domain is not None:
        domains = validation_config(uow).domains
        if update.domain not in domains:
            raise InvalidInput(f"unknown domain {update.domain!r}; one of: {', '.join(domains)}")
        model.domain = update.domain
    if update.name is not None and update.name.casefold() != model.name_key:
        other = await _store(uow).find_concept(update.name.casefold(), model.collaboration_key)
        if other is not None:
            raise Conflict(f"A model named {update.name!r} of {model.collaboration!r} exists")
        model.name, model.name_key = update.name, update.name.casefold()
    elif update.name is not None:
        model.name = update.name
    if "doi" in update.model_fields_set:
        model.doi = update.doi
    if update.metadata is not None:
        model.meta = update.metadata.model_dump(mode="json")
    if update.links is not None:
        if any(link.rel in FILE_LINK_RELS for link in update.links):
            raise InvalidInput("patch-of / hs3-twin links name files: submit a new version")
        kept = [link for link in model.links if link.get("rel") in FILE_LINK_RELS]
        model.links = kept + [
            link.model_dump(mode="json", exclude_none=True) for link in update.links
        ]
    await _refresh_model(uow, model)
    return await render_entry(uow, actor, model.model_id, base_url=base_url, model=model)


async def _blob_keys(uow: UnitOfWork, model: RegistryModel) -> set[str]:
    store = _store(uow)
    versions = await store.versions(model.model_id)
    keys: set[str] = set()
    for version in versions:
        keys.add(version.file_key)
        if version.reference_points_key:
            keys.add(version.reference_points_key)
        keys.update(c["key"] for c in version.companions)
    for run in await store.runs_of_versions([v.id for v in versions]):
        keys.update(a["key"] for a in run.artefacts.values())
    return keys


async def delete_model(uow: UnitOfWork, actor: Principal, model_id: str) -> None:
    """Admin only; rows go in this transaction, unused blobs after it commits."""
    model = await _visible_model(uow, actor, model_id, for_update=True)
    if not actor.is_admin:
        raise PermissionDenied("Deleting a model needs the admin role")
    keys = await _blob_keys(uow, model)
    await _store(uow).remove_model(model)

    async def release() -> None:
        async def drop(other: UnitOfWork) -> None:
            store = _store(other)
            for key in sorted(keys):
                if not await store.blob_referenced(key):
                    await other.blobs.delete(key)

        await uow.run_apart(drop)

    uow.after_commit(release)


async def start_validation(
    uow: UnitOfWork, actor: Principal, model_id: str, *, version: str | None
) -> RunStarted:
    """A new pipeline run (owner, reviewer, admin); raises NotFound, PermissionDenied."""
    model = await _visible_model(uow, actor, model_id)
    if model.owner != actor.username and not actor.has_role("reviewer"):
        raise PermissionDenied("Only the owner, a reviewer or an admin starts a validation run")
    shown = await _pick_version(uow, actor, model, version)
    return await _queue_run(uow, shown, trigger="manual")


async def review_model(
    uow: UnitOfWork,
    actor: Principal,
    model_id: str,
    *,
    decision: str,
    reason: str,
    version: str | None,
    base_url: str,
) -> ModelEntry:
    """Approve or reject the version awaiting review (reviewer/admin). Approval publishes it
    and sends `model.published` to every webhook after commit. Raises NotFound,
    PermissionDenied, Conflict (not awaiting review)."""
    model = await _visible_model(uow, actor, model_id, for_update=True)
    if not actor.has_role("reviewer"):
        raise PermissionDenied("Reviewing needs the reviewer or admin role")
    shown = await _pick_version(uow, actor, model, version)
    if shown.validation_status != REVIEWABLE:
        raise Conflict(
            f"Version {shown.version} is {shown.validation_status}; only a version that is "
            f"{REVIEWABLE} can be reviewed"
        )
    now = utcnow()
    await _store(uow).add_review(
        Review(
            version_id=shown.id, decision=decision, reason=reason, reviewer=actor.username, at=now
        )
    )
    shown.validation_status = "approved" if decision == "approve" else "rejected"
    shown.last_updated = now
    await _refresh_model(uow, model)
    entry = await render_entry(uow, actor, model.model_id, base_url=base_url, model=model)
    if decision == "approve":
        await _publish(uow, model, shown, base_url=base_url)
    return entry


async def _publish(
    uow: UnitOfWork, model: RegistryModel, version: RegistryModelVersion, *, base_url: str
) -> None:
    body = {
        "event": PUBLISHED,
        "delivery_id": "",
        "model_id": model.model_id,
        "name": model.name,
        "collaboration": model.collaboration,
        "version": version.version,
        "checksum": version.checksum,
        "url": f"{base_url}/api/models/{model.model_id}",
        "file_location": _file_url(base_url, model.model_id, version.version),
        "published_at": utcnow().isoformat(),
    }
    for webhook in await _store(uow).webhooks():
        if PUBLISHED not in webhook.events:
            continue
        payload = dict(body, delivery_id=str(uuid.uuid4()))
        await enqueue(uow, DELIVER_JOB, {"webhook_id": webhook.id, "body": payload}, max_attempts=8)


# --- runs, reports, artefacts ------------------------------------------------------------------


async def list_runs(uow: UnitOfWork, actor: Principal | None, model_id: str) -> list[RunInfo]:
    model = await _visible_model(uow, actor, model_id)
    versions = _visible_versions(actor, model, await _store(uow).versions(model.model_id))
    names = {v.id: v.version for v in versions}
    runs = await _store(uow).runs_of_versions(list(names))
    return [
        RunInfo(
            run_id=run.id,
            version=names[run.version_id],
            trigger=run.trigger,
            status=run.status,
            created_at=run.created_at,
            started_at=run.started_at,
            finished_at=run.finished_at,
            engines=run.engines,
            artefacts=sorted(run.artefacts),
        )
        for run in runs
    ]


async def _finished_run(
    uow: UnitOfWork, actor: Principal | None, model_id: str, version: str | None
) -> tuple[RegistryModel, RegistryModelVersion, ValidationRun]:
    model = await _visible_model(uow, actor, model_id)
    shown = await _pick_version(uow, actor, model, version)
    run = await _store(uow).latest_run(shown.id, finished=True)
    if run is None or run.report is None:
        raise NotFound(f"Version {shown.version} of model {model_id} has no finished run yet")
    return model, shown, run


async def report(
    uow: UnitOfWork, actor: Principal | None, model_id: str, *, version: str | None
) -> dict[str, Any]:
    """The latest finished run's report (a `RunReport` with one entry) plus the run's facts."""
    _, shown, run = await _finished_run(uow, actor, model_id, version)
    return {
        "run_id": run.id,
        "version": shown.version,
        "status": run.status,
        "engines": run.engines,
        "report": run.report,
    }


async def report_markdown(
    uow: UnitOfWork, actor: Principal | None, model_id: str, *, version: str | None
) -> str:
    _, _, run = await _finished_run(uow, actor, model_id, version)
    return markdown(RunReport.model_validate(run.report))


async def badge(uow: UnitOfWork, actor: Principal | None, model_id: str) -> str:
    """An SVG badge of the shown version's latest finished run."""
    model = await _visible_model(uow, actor, model_id)
    shown = await _pick_version(uow, actor, model, None)
    run = await _store(uow).latest_run(shown.id, finished=True)
    label = f"{model.name} {shown.version}"[:60]
    if run is None or run.report is None:
        return badge_svg(
            RunReport(started_at=utcnow(), duration_ms=0, root="", tool_version="", entries=[]),
            label=label,
        )
    return badge_svg(RunReport.model_validate(run.report), label=label)


async def list_artefacts(
    uow: UnitOfWork, actor: Principal | None, model_id: str, *, version: str | None, base_url: str
) -> list[Artefact]:
    model, shown, run = await _finished_run(uow, actor, model_id, version)
    return [
        Artefact(
            name=name,
            media_type=item["media_type"],
            size=item["size"],
            url=f"{base_url}/api/models/{model.model_id}/visualize/{quote(name)}"
            f"?version={quote(shown.version)}",
        )
        for name, item in sorted(run.artefacts.items())
    ]


async def open_artefact(
    uow: UnitOfWork, actor: Principal | None, model_id: str, name: str, *, version: str | None
) -> Download:
    _, _, run = await _finished_run(uow, actor, model_id, version)
    item = run.artefacts.get(name)
    if item is None:
        raise NotFound(f"No artefact {name!r} in the latest run")
    return Download(
        filename=name,
        media_type=item["media_type"],
        size=item["size"],
        sha256=item["key"].rsplit("/", 1)[-1],
        key=item["key"],
        blobs=uow.blobs,
    )


# --- re-validation -----------------------------------------------------------------------------


async def revalidate_all(uow: UnitOfWork, actor: Principal, *, trigger: str) -> list[RunStarted]:
    """A run for the published version of every approved model (admin); versions with a run
    queued or running already are skipped."""
    if not actor.is_admin:
        raise PermissionDenied("Re-validating the registry needs the admin role")
    return await _revalidate(uow, trigger=trigger, only_changed=None)


def installed_engines(names: Sequence[str]) -> dict[str, str]:
    """Installed versions of the named engine distributions (absent ones left out)."""
    found = {}
    for name in names:
        try:
            found[name] = importlib_metadata.version(name)
        except importlib_metadata.PackageNotFoundError:
            continue
    return found


async def revalidate_changed_engines(uow: UnitOfWork) -> list[RunStarted]:
    """Queue a run for every published version whose latest finished run recorded an engine
    version different from the installed one (the worker calls this when it starts)."""
    return await _revalidate(uow, trigger="engine-change", only_changed=installed_engines)


async def _revalidate(
    uow: UnitOfWork, *, trigger: str, only_changed: Any | None
) -> list[RunStarted]:
    store = _store(uow)
    started = []
    for model in await store.approved_models():
        if model.approved_version is None:
            continue
        version = await store.version(model.model_id, model.approved_version)
        if version is None or await store.pending_run(version.id) is not None:
            continue
        if only_changed is not None:
            last = await store.latest_run(version.id, finished=True)
            if last is None or not last.engines:
                continue
            installed = only_changed(list(last.engines))
            if all(installed.get(name) == recorded for name, recorded in last.engines.items()):
                continue
        started.append(await _queue_run(uow, version, trigger=trigger))
    return started


# --- webhooks ----------------------------------------------------------------------------------


def _require_admin(actor: Principal) -> None:
    if not actor.is_admin:
        raise PermissionDenied("Registry webhooks are managed by admins")


def _render_webhook(webhook: RegistryWebhook, *, secret: str | None = None) -> Webhook:
    return Webhook(
        id=webhook.id,
        url=webhook.url,
        events=webhook.events,
        created_by=webhook.created_by,
        created_at=webhook.created_at,
        secret=secret,
    )


async def create_webhook(uow: UnitOfWork, actor: Principal, body: WebhookCreate) -> Webhook:
    """Admin only; raises InvalidInput for a non-HTTP(S) or non-public URL."""
    _require_admin(actor)
    parts = urlsplit(body.url)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise InvalidInput("the webhook url must be an absolute http(s) URL")
    if not uow.settings.subscription_allow_private_callbacks and non_public_callback(body.url):
        raise InvalidInput(
            f"url {body.url} points to a loopback, private or link-local address; this server "
            "does not send webhooks there (setting subscription_allow_private_callbacks)"
        )
    secret = body.secret or secrets.token_urlsafe(32)
    webhook = await _store(uow).add_webhook(
        RegistryWebhook(
            id=str(uuid.uuid4()),
            url=body.url,
            secret=secret,
            events=[PUBLISHED],
            created_by=actor.username,
            created_at=utcnow(),
        )
    )
    return _render_webhook(webhook, secret=secret)


async def list_webhooks(uow: UnitOfWork, actor: Principal) -> list[Webhook]:
    _require_admin(actor)
    return [_render_webhook(w) for w in await _store(uow).webhooks()]


async def delete_webhook(uow: UnitOfWork, actor: Principal, webhook_id: str) -> None:
    _require_admin(actor)
    webhook = await _store(uow).webhook(webhook_id)
    if webhook is None:
        raise NotFound(f"Webhook {webhook_id} not found")
    await _store(uow).remove_webhook(webhook)


def sign(secret: str, body: bytes) -> str:
    """`sha256=<hex HMAC-SHA256 of the body>`, the value of `X-Pyshepard-Signature`."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


async def webhook_for_delivery(uow: UnitOfWork, webhook_id: str) -> RegistryWebhook | None:
    return await _store(uow).webhook(webhook_id)


# --- pipeline bookkeeping (called by tasks.py) -------------------------------------------------


@dataclass(frozen=True)
class RunMaterial:
    """What the validation job needs to rebuild the entry folder."""

    run_id: str
    model_id: str
    version: str
    entry: dict[str, Any]
    files: dict[str, str]  # file name in the folder -> blob key


async def begin_run(uow: UnitOfWork, run_id: str) -> RunMaterial | None:
    """Mark the run running and its version validating; None when the run is gone."""
    store = _store(uow)
    run = await store.run(run_id)
    if run is None:
        return None
    version = await store.version_by_id(run.version_id)
    model = await store.get_model(version.model_id) if version else None
    if version is None or model is None:
        return None
    now = utcnow()
    run.status, run.started_at = "running", now
    if version.validation_status not in SETTLED:
        version.validation_status = ValidationStatus.VALIDATING.value
        version.last_updated = now
    await _refresh_model(uow, model)
    entry: dict[str, Any] = dict(version.entry)
    entry.update(
        model_id=model.model_id,
        version=version.version,
        file_location=version.file_name,
        checksum=version.checksum,
        validation_status=ValidationStatus.SUBMITTED.value,
        submission_date=version.submission_date.date().isoformat(),
        last_updated=version.last_updated.date().isoformat(),
    )
    files = {version.file_name: version.file_key}
    if version.reference_points_key and version.reference_points_name:
        entry["reference_points"] = version.reference_points_name
        files[version.reference_points_name] = version.reference_points_key
    for companion in version.companions:
        files[companion["href"]] = companion["key"]
    return RunMaterial(
        run_id=run.id,
        model_id=model.model_id,
        version=version.version,
        entry=entry,
        files=files,
    )


@dataclass(frozen=True)
class StoredArtefact:
    name: str
    key: str
    media_type: str
    size: int


async def finish_run(
    uow: UnitOfWork,
    run_id: str,
    *,
    run_report: RunReport,
    artefacts: Sequence[StoredArtefact],
) -> str | None:
    """Record the report and outcome; a version under validation becomes awaiting_review or
    failed (settled versions keep their status). Returns the run's status."""
    store = _store(uow)
    run = await store.run(run_id)
    if run is None:
        return None
    version = await store.version_by_id(run.version_id)
    model = await store.get_model(version.model_id) if version else None
    if version is None or model is None:
        return None
    entry = run_report.entries[0] if run_report.entries else None
    passed = entry is not None and entry.status == "passed"
    now = utcnow()
    run.status = "passed" if passed else "failed"
    run.finished_at = now
    run.engines = dict(entry.engines) if entry else {}
    run.report = run_report.model_dump(mode="json")
    run.artefacts = {
        a.name: {"key": a.key, "media_type": a.media_type, "size": a.size} for a in artefacts
    }
    if entry is not None and entry.enriched is not None:
        enriched: Entry = entry.enriched
        version.summary = enriched.summary.model_dump(mode="json") if enriched.summary else None
        version.format = enriched.format or version.format
        version.canonical_checksum = enriched.canonical_checksum
        version.keywords = list(enriched.metadata.search_keywords)
    if version.validation_status not in SETTLED:
        version.validation_status = (
            ValidationStatus.AWAITING_REVIEW.value if passed else ValidationStatus.FAILED.value
        )
    version.last_updated = now
    await _refresh_model(uow, model)
    return run.status
