"""The `pyshepard` command."""

from __future__ import annotations

import typer

from pyshepard import __version__
from pyshepard.cli import apikeys, db, users
from pyshepard.cli.registry_server import revalidate
from pyshepard.cli.serve import serve
from pyshepard.cli.worker import worker


def _registry_app() -> typer.Typer | None:
    try:
        from pyshepard.cli.registry import registry_app  # noqa: PLC0415 - optional extra
    except ImportError:  # the `registry` extra (pyhf, numpy, ...) is not installed
        return None
    return registry_app


app = typer.Typer(
    name="pyshepard",
    help="pyshepard: research-data server, wire-compatible with shepard 5.4.0. "
    "Configuration comes from PYSHEPARD_* environment variables (see README).",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.command("serve")(serve)
app.command("worker")(worker)
app.add_typer(db.app, name="db")
app.add_typer(users.app, name="user")
app.add_typer(apikeys.app, name="apikey")
registry = _registry_app()
if registry is not None:
    registry.command("revalidate")(revalidate)
    app.add_typer(registry, name="registry")


def _version(value: bool) -> None:
    if value:
        typer.echo(__version__)
        raise typer.Exit


@app.callback()
def main(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    """Research-data server, wire-compatible with shepard 5.4.0."""
