"""Changing a model: metadata, deletion (admin), review and publication."""

from __future__ import annotations

import uuid

from pyshepard.core.clock import utcnow
from pyshepard.core.db import UnitOfWork
from pyshepard.core.errors import Conflict, InvalidInput, PermissionDenied
from pyshepard.core.identity import Principal
from pyshepard.core.jobs import enqueue
from pyshepard.registry.entry import FILE_LINK_RELS
from pyshepard.registry.models import RegistryModel, RegistryModelVersion, Review
from pyshepard.registry.schemas import MetadataUpdate, ModelEntry
from pyshepard.registry.service.common import (
    DELIVER_JOB,
    PUBLISHED,
    REVIEWABLE,
    drop_unused_blobs,
    file_url,
    pick_version,
    refresh_model,
    store_of,
    validation_config,
    visible_model,
)
from pyshepard.registry.service.rendering import render_entry

# --- changing ----------------------------------------------------------------------------------


async def update_metadata(
    uow: UnitOfWork, actor: Principal, model_id: str, update: MetadataUpdate, *, base_url: str
) -> ModelEntry:
    """Owner or admin; raises NotFound, PermissionDenied, InvalidInput (domain, file links)."""
    model = await visible_model(uow, actor, model_id, for_update=True)
    if model.owner != actor.username and not actor.is_admin:
        raise PermissionDenied("Only the model's owner or an admin changes its metadata")
    if update.domain is not None:
        domains = validation_config(uow).domains
        if update.domain not in domains:
            raise InvalidInput(f"unknown domain {update.domain!r}; one of: {', '.join(domains)}")
        model.domain = update.domain
    if update.name is not None and update.name.casefold() != model.name_key:
        other = await store_of(uow).find_concept(update.name.casefold(), model.collaboration_key)
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
    await refresh_model(uow, model)
    return await render_entry(uow, actor, model.model_id, base_url=base_url, model=model)


async def _blob_keys(uow: UnitOfWork, model: RegistryModel) -> set[str]:
    store = store_of(uow)
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
    model = await visible_model(uow, actor, model_id, for_update=True)
    if not actor.is_admin:
        raise PermissionDenied("Deleting a model needs the admin role")
    keys = await _blob_keys(uow, model)
    await store_of(uow).remove_model(model)

    async def release() -> None:
        await uow.run_apart(lambda other: drop_unused_blobs(other, sorted(keys)))

    uow.after_commit(release)


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
    model = await visible_model(uow, actor, model_id, for_update=True)
    if not actor.has_role("reviewer"):
        raise PermissionDenied("Reviewing needs the reviewer or admin role")
    shown = await pick_version(uow, actor, model, version)
    if shown.validation_status != REVIEWABLE:
        raise Conflict(
            f"Version {shown.version} is {shown.validation_status}; only a version that is "
            f"{REVIEWABLE} can be reviewed"
        )
    now = utcnow()
    await store_of(uow).add_review(
        Review(
            version_id=shown.id, decision=decision, reason=reason, reviewer=actor.username, at=now
        )
    )
    shown.validation_status = "approved" if decision == "approve" else "rejected"
    shown.last_updated = now
    await refresh_model(uow, model)
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
        "file_location": file_url(base_url, model.model_id, version.version),
        "published_at": utcnow().isoformat(),
    }
    for webhook in await store_of(uow).webhooks():
        if PUBLISHED not in webhook.events:
            continue
        payload = dict(body, delivery_id=str(uuid.uuid4()))
        await enqueue(uow, DELIVER_JOB, {"webhook_id": webhook.id, "body": payload}, max_attempts=8)
