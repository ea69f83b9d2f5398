"""Validation runs: start one, their history, reports, badges, artefacts, re-validation."""

from __future__ import annotations

from collections.abc import Sequence
from importlib import metadata as importlib_metadata
from typing import Any
from urllib.parse import quote

from pyshepard.core.clock import utcnow
from pyshepard.core.db import UnitOfWork
from pyshepard.core.errors import NotFound, PermissionDenied
from pyshepard.core.identity import Principal
from pyshepard.registry.models import RegistryModel, RegistryModelVersion, ValidationRun
from pyshepard.registry.report import badge_svg, markdown
from pyshepard.registry.schemas import Artefact, RunInfo, RunStarted
from pyshepard.registry.service.common import (
    Download,
    pick_version,
    queue_run,
    store_of,
    visible_model,
    visible_versions,
)
from pyshepard.registry.validation.results import RunReport


async def start_validation(
    uow: UnitOfWork, actor: Principal, model_id: str, *, version: str | None
) -> RunStarted:
    """A new pipeline run (owner, reviewer, admin); raises NotFound, PermissionDenied."""
    model = await visible_model(uow, actor, model_id)
    if model.owner != actor.username and not actor.has_role("reviewer"):
        raise PermissionDenied("Only the owner, a reviewer or an admin starts a validation run")
    shown = await pick_version(uow, actor, model, version)
    return await queue_run(uow, shown, trigger="manual")


# --- runs, reports, artefacts ------------------------------------------------------------------


async def list_runs(uow: UnitOfWork, actor: Principal | None, model_id: str) -> list[RunInfo]:
    model = await visible_model(uow, actor, model_id)
    versions = visible_versions(actor, model, await store_of(uow).versions(model.model_id))
    names = {v.id: v.version for v in versions}
    runs = await store_of(uow).runs_of_versions(list(names))
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
    model = await visible_model(uow, actor, model_id)
    shown = await pick_version(uow, actor, model, version)
    run = await store_of(uow).latest_run(shown.id, finished=True)
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
    model = await visible_model(uow, actor, model_id)
    shown = await pick_version(uow, actor, model, None)
    run = await store_of(uow).latest_run(shown.id, finished=True)
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
    store = store_of(uow)
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
        started.append(await queue_run(uow, version, trigger=trigger))
    return started
