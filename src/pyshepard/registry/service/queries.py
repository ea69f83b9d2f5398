"""Reading the registry: list, search, filter, versions, metadata and file downloads."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from pyshepard.core.db import UnitOfWork
from pyshepard.core.errors import InvalidInput, NotFound, PermissionDenied
from pyshepard.core.identity import Principal
from pyshepard.registry.entry import ValidationStatus
from pyshepard.registry.models import RegistryModel
from pyshepard.registry.schemas import ModelEntry, VersionInfo
from pyshepard.registry.service.common import (
    MAX_PAGE_SIZE,
    MAX_SEARCH_TERMS,
    SEARCH_CANDIDATES,
    Download,
    pick_version,
    semver_key,
    store_of,
    version_links,
    visible_model,
    visible_versions,
)
from pyshepard.registry.service.rendering import render_entries
from pyshepard.registry.store import Visibility


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
    rows, total = await store_of(uow).list_models(
        visibility, status=status, offset=offset, limit=limit
    )
    return await render_entries(uow, actor, rows, base_url=base_url), total


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
    candidates = await store_of(uow).search_candidates(
        Visibility(actor), terms, limit=SEARCH_CANDIDATES
    )
    ranked = sorted(
        ((score, model) for model in candidates if (score := _score(model, terms)) > 0),
        key=lambda pair: (-pair[0], pair[1].name.casefold(), pair[1].model_id),
    )
    page_models = [model for _, model in ranked[offset : offset + limit]]
    return await render_entries(uow, actor, page_models, base_url=base_url)


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
    rows = await store_of(uow).filter_models(
        Visibility(actor), domain=domain, collaboration=collaboration, offset=0, limit=100_000
    )
    if tag is not None:
        wanted = tag.casefold()
        rows = [r for r in rows if wanted in {t.casefold() for t in (r.meta or {}).get("tags", [])}]
    return await render_entries(uow, actor, rows[offset : offset + limit], base_url=base_url)


async def list_versions(
    uow: UnitOfWork, actor: Principal | None, model_id: str
) -> list[VersionInfo]:
    model = await visible_model(uow, actor, model_id)
    versions = visible_versions(actor, model, await store_of(uow).versions(model.model_id))
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
    model = await visible_model(uow, actor, model_id)
    shown = await pick_version(uow, actor, model, version)
    return {
        "model_id": model.model_id,
        "name": model.name,
        "version": shown.version,
        "doi": model.doi,
        "domain": model.domain,
        "collaboration": model.collaboration,
        "metadata": model.meta,
        "links": version_links(model, shown),
        "format": shown.format,
        "checksum": shown.checksum,
        "canonical_checksum": shown.canonical_checksum,
        "summary": shown.summary,
        "keywords": shown.keywords,
        "size": shown.size,
    }


async def open_file(
    uow: UnitOfWork,
    actor: Principal | None,
    model_id: str,
    *,
    version: str | None,
    part: str | None,
) -> Download:
    """The model file (or `part`: `reference_points` or a companion's href) of a version."""
    model = await visible_model(uow, actor, model_id)
    shown = await pick_version(uow, actor, model, version)
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
