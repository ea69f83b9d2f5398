"""`pyshepard registry revalidate`: server-side re-validation, straight on the database (like
`pyshepard user`); a running worker (embedded or `pyshepard worker`) executes the runs."""

from __future__ import annotations

from typing import Annotated

import typer

from pyshepard.cli.common import load_settings, prepare, print_table, run
from pyshepard.core.identity import Principal
from pyshepard.registry import service

# whoever may run the CLI against the database administers the registry
REGISTRY_ADMIN = Principal(username="system", roles=frozenset({"admin"}), via="system")


def revalidate(
    *,
    changed_engines: Annotated[
        bool,
        typer.Option(
            "--changed-engines",
            help="Only models last validated with other engine versions than the installed "
            "ones (what the worker checks at start).",
        ),
    ] = False,
) -> None:
    """Queue a validation run for the published version of every approved model."""
    settings = load_settings()
    prepare(settings)
    if changed_engines:
        started = run(settings, service.revalidate_changed_engines)
    else:
        started = run(
            settings,
            lambda uow: service.revalidate_all(uow, REGISTRY_ADMIN, trigger="scheduled"),
        )
    rows = [(s.model_id or "", s.version or "", s.run_id, s.status) for s in started]
    if rows:
        print_table(("model_id", "version", "run_id", "status"), rows)
    typer.echo(f"queued {len(rows)} validation run(s)")
