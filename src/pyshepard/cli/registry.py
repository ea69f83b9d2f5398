"""`pyshepard registry ...`: the model registry from the command line: offline validation, CI
workflow files, and sync/export/import against a server's `/api/models`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

import typer

from pyshepard.cli.common import print_table
from pyshepard.registry.remote.client import RegistryClient, RegistryError
from pyshepard.registry.remote.export import ExportRow, export_registry
from pyshepard.registry.remote.submit import (
    NotOneEntry,
    WaitTimeout,
    load_one,
    submit_entry,
    wait_for_validation,
)
from pyshepard.registry.remote.sync import FAILING, SyncRow, UnusableEntry, sync_path
from pyshepard.registry.report import write_reports
from pyshepard.registry.scaffold import ExistingFiles, init_ci
from pyshepard.registry.validation.config import ValidationConfig
from pyshepard.registry.validation.layout import ENTRY_FILE
from pyshepard.registry.validation.results import EntryReport
from pyshepard.registry.validation.runner import validate_path

registry_app = typer.Typer(
    name="registry",
    help="DEMOS model registry: validate entries offline, CI files, sync with a server.",
    no_args_is_help=True,
)


@registry_app.callback()
def registry() -> None:
    """DEMOS model registry: validate entries offline, CI files, sync with a server."""


SYMBOL = {"passed": "PASS", "failed": "FAIL", "skipped": "SKIP"}


def _print_entry(entry: EntryReport) -> None:
    label = f"{entry.entry}" + (f" ({entry.name} {entry.version or ''})" if entry.name else "")
    typer.echo(f"{SYMBOL[entry.status]}  {label.strip()}  [{entry.duration_ms / 1000:.1f} s]")
    for check in entry.failures():
        typer.echo(f"      {check.name}: {check.message[:400]}")


@registry_app.command("validate")
def validate(
    path: Annotated[
        Path,
        typer.Argument(
            help=f"A folder of entries (each a folder with an {ENTRY_FILE}), one entry folder, "
            f"or one {ENTRY_FILE}.",
            exists=True,
        ),
    ],
    *,
    jobs: Annotated[int, typer.Option("--jobs", "-j", min=1, help="Worker processes.")] = 1,
    report_dir: Annotated[
        Path, typer.Option(help="Where report.md, junit.xml, badge.svg and report.json go.")
    ] = Path("registry-report"),
    artifacts_dir: Annotated[
        Path | None,
        typer.Option(help="Where enriched entries and plots go (default: REPORT_DIR/entries)."),
    ] = None,
    max_bytes: Annotated[
        int | None, typer.Option(min=1, help="Largest model file accepted, in bytes.")
    ] = None,
    timeout: Annotated[
        float | None, typer.Option(min=0.1, help="Wall-time limit per worker task, seconds.")
    ] = None,
    memory_mb: Annotated[
        int | None, typer.Option(min=64, help="Address-space limit per worker, MiB.")
    ] = None,
    patch_fits: Annotated[
        int | None,
        typer.Option(min=-1, help="Patches per patchset that get an MLE fit (-1: all)."),
    ] = None,
    domain: Annotated[
        list[str] | None,
        typer.Option("--domain", help="Allowed domain (repeat); replaces the ErUM default list."),
    ] = None,
    cache_dir: Annotated[
        Path | None, typer.Option(help="Cache for compiled engines and plotting.")
    ] = None,
) -> None:
    """Run integrity, correctness and pre-processing checks on every entry under PATH.

    Prints one line per entry and writes the reports. Exit code: 0 all passed, 1 any check
    failed, 2 no entry found.
    """
    if path.is_file() and path.name != ENTRY_FILE:
        typer.echo(f"{path} is a file but not an {ENTRY_FILE}", err=True)
        raise typer.Exit(2)
    overrides = {
        "max_file_bytes": max_bytes,
        "task_timeout_s": timeout,
        "memory_limit_mb": memory_mb,
        "patch_fits": patch_fits,
        "domains": domain or None,
        "cache_dir": cache_dir,
    }
    config = ValidationConfig.model_validate({k: v for k, v in overrides.items() if v is not None})
    artifacts = artifacts_dir or report_dir / "entries"
    run = validate_path(path, config, jobs=jobs, artifacts_root=artifacts, progress=_print_entry)
    paths = write_reports(run, report_dir)
    passed = sum(1 for entry in run.entries if entry.status == "passed")
    typer.echo(
        f"{len(run.entries)} entries: {passed} passed, {len(run.entries) - passed} failed "
        f"in {run.duration_ms / 1000:.1f} s; report: {paths['markdown']}"
    )
    if not run.entries:
        typer.echo(f"no {ENTRY_FILE} found under {path}", err=True)
        raise typer.Exit(2)
    if not run.passed:
        raise typer.Exit(1)


@registry_app.command("init-ci")
def init_ci_command(
    directory: Annotated[
        Path, typer.Argument(help="The registry repository (default: the current folder).")
    ] = Path("."),
    *,
    provider: Annotated[
        Literal["github", "gitlab", "both"],
        typer.Option("--provider", help="Which CI system's files to write."),
    ] = "both",
    force: Annotated[bool, typer.Option("--force", help="Overwrite existing files.")] = False,
) -> None:
    """Write the shipped CI workflow files (validate on pull requests touching models/**, sync
    after merges) and a starter models/README.md into DIR. Refuses to overwrite without --force
    (exit 1, nothing written)."""
    try:
        written = init_ci(directory, provider=provider, force=force)
    except ExistingFiles as exc:
        typer.echo("refusing to overwrite (use --force):", err=True)
        for path in exc.paths:
            typer.echo(f"  {path}", err=True)
        raise typer.Exit(1) from None
    for item in written:
        typer.echo(f"{'note' if item.note else 'wrote'}  {item.path}  {item.note}".rstrip())


SERVER_OPTION = typer.Option(
    "--server", help="Base URL of the pyshepard server (its API is SERVER/api/models)."
)
API_KEY_OPTION = typer.Option(
    "--api-key", envvar="PYSHEPARD_API_KEY", help="API key (default: env PYSHEPARD_API_KEY)."
)


def _print_sync(rows: list[SyncRow]) -> None:
    print_table(
        ("ENTRY", "VERSION", "ACTION", "MODEL ID", "DETAIL"),
        [(r.entry, r.version, r.action.value, r.model_id, r.detail[:200]) for r in rows],
    )
    counts: dict[str, int] = {}
    for row in rows:
        counts[row.action.value] = counts.get(row.action.value, 0) + 1
    typer.echo(f"{len(rows)} entries: " + ", ".join(f"{n} {a}" for a, n in counts.items()))


def _sync(
    path: Path, server: str, api_key: str | None, *, include_all: bool, dry_run: bool
) -> None:
    if not api_key and not dry_run:
        typer.echo("an API key is needed (--api-key or env PYSHEPARD_API_KEY)", err=True)
        raise typer.Exit(2)
    with RegistryClient(server, api_key=api_key) as client:
        rows = sync_path(path, client, include_all=include_all, dry_run=dry_run)
    if not rows:
        typer.echo(f"no {ENTRY_FILE} found under {path}", err=True)
        raise typer.Exit(2)
    _print_sync(rows)
    if any(row.action in FAILING for row in rows):
        raise typer.Exit(1)


@registry_app.command("sync")
def sync_command(
    path: Annotated[Path, typer.Argument(help="A folder of entry folders.", exists=True)],
    *,
    server: Annotated[str, SERVER_OPTION],
    api_key: Annotated[str | None, API_KEY_OPTION] = None,
    include_all: Annotated[
        bool, typer.Option("--all", help="Every entry, not only `validation_status: approved`.")
    ] = False,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Compare with the server, submit nothing.")
    ] = False,
) -> None:
    """Submit every approved entry under PATH that the server lacks (same model and version);
    skip identical ones (same checksum); report conflicts (same version, other bytes). Prints a
    table. Exit code: 0 ok, 1 any error or conflict, 2 no entry found or no API key."""
    _sync(path, server, api_key, include_all=include_all, dry_run=dry_run)


# final statuses that mean the version will not be published as submitted
REFUSED = frozenset({"failed", "rejected"})


@registry_app.command("submit")
def submit_command(
    entry_dir: Annotated[
        Path,
        typer.Argument(help=f"One entry folder (or its {ENTRY_FILE}).", exists=True),
    ],
    *,
    server: Annotated[str, SERVER_OPTION],
    api_key: Annotated[str | None, API_KEY_OPTION] = None,
    wait: Annotated[
        bool,
        typer.Option(
            "--wait", help="Poll the server until validation leaves submitted/validating."
        ),
    ] = False,
    timeout: Annotated[
        float, typer.Option("--timeout", min=1, help="With --wait: give up after SECONDS.")
    ] = 900.0,
    interval: Annotated[
        float, typer.Option("--interval", min=0.1, help="With --wait: seconds between polls.")
    ] = 2.0,
) -> None:
    """Submit one entry folder (whatever its validation_status) as a new model or a new version
    of your model; prints model_id, version, status and the status URL. With --wait, polls
    `GET /api/models/{id}` and prints the final status and any failed checks. Exit code: 0
    submitted (with --wait: awaiting_review or approved), 1 error (the server's message), local
    files not matching entry.json, or validation failed/rejected, 2 no single entry or no API key,
    3 --wait timed out."""
    if not api_key:
        typer.echo("an API key is needed (--api-key or env PYSHEPARD_API_KEY)", err=True)
        raise typer.Exit(2)
    try:
        local = load_one(entry_dir)
    except NotOneEntry as exc:
        typer.echo(f"cannot submit {entry_dir}: {exc}", err=True)
        raise typer.Exit(2) from None
    except UnusableEntry as exc:
        typer.echo(f"cannot submit {entry_dir}: {exc}", err=True)
        raise typer.Exit(1) from None
    with RegistryClient(server, api_key=api_key) as client:
        try:
            submitted = submit_entry(client, local)
        except RegistryError as exc:
            typer.echo(f"submission failed: {exc.message}", err=True)
            raise typer.Exit(1) from None
        typer.echo(f"model_id: {submitted.model_id}")
        typer.echo(f"version: {submitted.version}")
        typer.echo(f"status: {submitted.status}")
        typer.echo(f"status URL: {submitted.status_url}")
        if not wait:
            return
        try:
            final = wait_for_validation(
                client, submitted.model_id, submitted.version, timeout=timeout, interval=interval
            )
        except WaitTimeout as exc:
            typer.echo(f"timed out: {exc}", err=True)
            raise typer.Exit(3) from None
        except RegistryError as exc:
            typer.echo(f"waiting failed: {exc.message}", err=True)
            raise typer.Exit(1) from None
    typer.echo(f"final status: {final.status}")
    for failure in final.failures:
        typer.echo(f"  {failure.get('name', '?')}: {str(failure.get('message', ''))[:400]}")
    if final.status in REFUSED:
        raise typer.Exit(1)


@registry_app.command("import")
def import_command(
    directory: Annotated[
        Path, typer.Argument(help="A folder written by `registry export`.", exists=True)
    ],
    *,
    server: Annotated[str, SERVER_OPTION],
    api_key: Annotated[str | None, API_KEY_OPTION] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Compare with the server, submit nothing.")
    ] = False,
) -> None:
    """Sync every entry in DIR, whatever its validation_status (= `sync --all`)."""
    _sync(directory, server, api_key, include_all=True, dry_run=dry_run)


@registry_app.command("export")
def export_command(
    directory: Annotated[Path, typer.Argument(help="Where the entry folders go.")],
    *,
    server: Annotated[str, SERVER_OPTION],
    api_key: Annotated[str | None, API_KEY_OPTION] = None,
) -> None:
    """Write every model and version the caller may read into DIR as entry folders
    (DIR/<collaboration>/<name>/<version>/: entry.json, model file, reference points,
    companions), ready to commit to git. Exit code 1 on any error."""
    rows: list[ExportRow] = []
    with RegistryClient(server, api_key=api_key) as client:
        try:
            rows = export_registry(client, directory)
        except RegistryError as exc:
            typer.echo(f"export failed: {exc.message}", err=True)
            raise typer.Exit(1) from None
    print_table(
        ("FOLDER", "VERSION", "STATUS", "MODEL ID", "DETAIL"),
        [(r.folder, r.version, r.status, r.model_id, r.detail[:200]) for r in rows],
    )
    failed = sum(1 for row in rows if row.status == "error")
    typer.echo(f"{len(rows)} versions exported to {directory}, {failed} errors")
    if failed:
        raise typer.Exit(1)
