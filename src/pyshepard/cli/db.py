"""`pyshepard db`: schema migrations (Alembic)."""

from __future__ import annotations

import sys
from typing import Annotated

import typer
from alembic import command

from pyshepard.cli.common import display_url, load_settings
from pyshepard.core.migrate import alembic_config, downgrade, upgrade

app = typer.Typer(help="Database schema migrations.", no_args_is_help=True)


@app.command("upgrade")
def upgrade_command(
    revision: Annotated[str, typer.Argument(help="Target revision.")] = "heads",
) -> None:
    """Migrate the database up to REVISION (default: the newest)."""
    settings = load_settings()
    upgrade(settings.resolved_database_url, revision)
    typer.echo(f"{display_url(settings.resolved_database_url)} is at {revision}")


@app.command("downgrade")
def downgrade_command(
    revision: Annotated[str, typer.Argument(help="Target revision, e.g. -1 or base.")],
) -> None:
    """Migrate the database down to REVISION."""
    settings = load_settings()
    downgrade(settings.resolved_database_url, revision)
    typer.echo(f"{display_url(settings.resolved_database_url)} is at {revision}")


@app.command("current")
def current_command() -> None:
    """Print the revision the database is at (nothing for an empty database)."""
    settings = load_settings()
    config = alembic_config(settings.resolved_database_url)
    config.stdout = sys.stdout  # alembic binds the interpreter's stdout at import time
    command.current(config)
