"""Shared pieces of the registry use cases: constants, visibility, version picking, the
concept's derived fields (latest/approved version, search text) and queueing a run."""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from pyshepard.core.blobs.base import BlobStore
from pyshepard.core.clock import utcnow
from pyshepard.core.db import UnitOfWork
from pyshepard.core.errors import Conflict, NotFound
from pyshepard.core.identity import Principal
from pyshepard.core.jobs import enqueue
from pyshepard.registry.entry import FILE_LINK_RELS, ValidationStatus
from pyshepard.registry.models import RegistryModel, RegistryModelVersion, ValidationRun
from pyshepard.registry.schemas import RunStarted
from pyshepard.registry.store import RegistryStore
from pyshepard.registry.validation.config import ValidationConfig

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


def store_of(uow: UnitOfWork) -> RegistryStore:
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


def newest(versions: Sequence[RegistryModelVersion]) -> RegistryModelVersion | None:
    return max(versions, key=lambda v: semver_key(v.version), default=None)


async def queue_run(uow: UnitOfWork, version: RegistryModelVersion, *, trigger: str) -> RunStarted:
    run = await store_of(uow).add_run(
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


async def refresh_model(uow: UnitOfWork, model: RegistryModel) -> None:
    """Recompute the concept's latest/approved version, status and search text."""
    versions = await store_of(uow).versions(model.model_id)
    latest = newest(versions)
    approved = newest([v for v in versions if v.validation_status == "approved"])
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


# --- blobs -------------------------------------------------------------------------------------


async def hold_blobs(uow: UnitOfWork, keys: Sequence[str]) -> None:
    """Lock the blobs a row about to be written uses, until this transaction ends, and make
    sure they still exist (a concurrent failed submission of the same bytes may have removed
    them since they were streamed). Raises Conflict."""
    store = store_of(uow)
    for key in sorted(set(keys)):
        await store.lock_blob(key)
        if await uow.blobs.stat(key) is None:
            raise Conflict(
                "An uploaded file was removed meanwhile by a concurrent failed submission of the "
                "same bytes; nothing was stored, submit again"
            )


async def drop_unused_blobs(uow: UnitOfWork, keys: Sequence[str]) -> list[str]:
    """Delete the blobs of `keys` that no version or run uses, each checked under its key lock
    (so a submission recording the same bytes either committed first or finds them gone).
    Returns the deleted keys."""
    store = store_of(uow)
    dropped = []
    for key in sorted(set(keys)):
        await store.lock_blob(key)
        if not await store.blob_referenced(key):
            await uow.blobs.delete(key)
            dropped.append(key)
    return dropped


# --- reading -----------------------------------------------------------------------------------


async def visible_model(
    uow: UnitOfWork, actor: Principal | None, model_id: str, *, for_update: bool = False
) -> RegistryModel:
    model = None
    try:
        uuid.UUID(model_id)
    except ValueError:
        pass
    else:
        model = await store_of(uow).get_model(model_id, for_update=for_update)
    if model is None or not _can_see(actor, model):
        raise NotFound(f"Model {model_id} not found")
    return model


def _can_see(actor: Principal | None, model: RegistryModel) -> bool:
    if model.approved_version is not None:
        return True
    return actor is not None and (actor.has_role("reviewer") or model.owner == actor.username)


def sees_unpublished(actor: Principal | None, model: RegistryModel) -> bool:
    return actor is not None and (actor.has_role("reviewer") or model.owner == actor.username)


def visible_versions(
    actor: Principal | None, model: RegistryModel, versions: Sequence[RegistryModelVersion]
) -> list[RegistryModelVersion]:
    if sees_unpublished(actor, model):
        return list(versions)
    return [v for v in versions if v.validation_status == "approved"]


async def pick_version(
    uow: UnitOfWork, actor: Principal | None, model: RegistryModel, version: str | None
) -> RegistryModelVersion:
    """The named (or else the shown) version the caller may see; raises NotFound."""
    return choose_version(actor, model, await store_of(uow).versions(model.model_id), version)


def choose_version(
    actor: Principal | None,
    model: RegistryModel,
    versions: Sequence[RegistryModelVersion],
    version: str | None,
) -> RegistryModelVersion:
    """`pick_version` over the model's versions loaded already; raises NotFound."""
    seen = visible_versions(actor, model, versions)
    if version is None:
        wanted = model.latest_version if sees_unpublished(actor, model) else model.approved_version
        chosen = next((v for v in seen if v.version == wanted), None)
    else:
        chosen = next((v for v in seen if v.version == version), None)
    if chosen is None:
        raise NotFound(f"Version {version or 'latest'} of model {model.model_id} not found")
    return chosen


def version_links(model: RegistryModel, version: RegistryModelVersion) -> list[dict[str, Any]]:
    """The concept's own links (DOIs, relations; editable with PUT) plus the file links
    (patch-of, hs3-twin) of this version, which name its companion files and differ by version."""
    concept = [link for link in model.links if link.get("rel") not in FILE_LINK_RELS]
    files = [link for link in version.entry.get("links", []) if link.get("rel") in FILE_LINK_RELS]
    return concept + files


def file_url(base_url: str, model_id: str, version: str, part: str | None = None) -> str:
    url = f"{base_url}/api/models/{model_id}/file?version={quote(version)}"
    return url + (f"&part={quote(part)}" if part else "")


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
