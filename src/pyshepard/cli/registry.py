"""`pyshepard registry ...`: the model registry from the command line (no server needed)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from pyshepard.registry.report import write_reports
from pyshepard.registry.validation.config import ValidationConfig
from pyshepard.registry.validation.layout import ENTRY_FILE
from pyshepard.registry.validation.results import EntryReport
from pyshepard.registry.validation.runner import validate_path

registry_app = typer.Typer(
    name="registry",
    help="DEMOS model registry: validate entries offline.",
    no_args_is_help=True,
)


@registry_app.callback()
def registry() -> None:
    """DEMOS model registry: validate entries offline."""


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
