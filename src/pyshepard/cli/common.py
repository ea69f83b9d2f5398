"""What every command needs: settings, a database for one command, errors as exit codes."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Sequence
from typing import NoReturn, TypeVar

import anyio
import typer
from sqlalchemy import make_url

from pyshepard.core.blobs import open_blob_store
from pyshepard.core.config import Settings
from pyshepard.core.db import Database, UnitOfWork, create_engine
from pyshepard.core.errors import DomainError
from pyshepard.core.identity import Principal
from pyshepard.core.migrate import upgrade

T = TypeVar("T")

# the actor of admin commands: whoever may run the CLI may administer the server
SYSTEM = Principal(username="system", via="system")


def load_settings() -> Settings:
    """Settings from the environment; the data directory exists afterwards."""
    settings = Settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    return settings


def display_url(database_url: str) -> str:
    """The database URL without its password, for messages."""
    return make_url(database_url).render_as_string(hide_password=True)


_CREDENTIAL_PARAMETER = re.compile(r"(?i)([?&](?:secret_key|access_key)=)[^&]*")


def display_blob_url(blob_url: str) -> str:
    """The blob store URL with its S3 credentials masked, for messages."""
    return _CREDENTIAL_PARAMETER.sub(r"\1***", blob_url)


def prepare(settings: Settings) -> None:
    """Bring the schema to the newest revision (idempotent, so every command may call it)."""
    upgrade(settings.resolved_database_url)


def fail(message: str) -> NoReturn:
    typer.echo(f"Error: {message}", err=True)
    raise typer.Exit(1)


def run(settings: Settings, work: Callable[[UnitOfWork], Awaitable[T]]) -> T:
    """Run one service call in its own unit of work; domain errors become exit code 1."""

    async def main() -> T:
        database = Database(
            settings=settings,
            engine=create_engine(settings.resolved_database_url),
            blobs=open_blob_store(settings.resolved_blob_url),
        )
        try:
            result: T = await database.run(work)
            return result
        finally:
            await database.dispose()

    try:
        return anyio.run(main)
    except DomainError as exc:
        fail(exc.message)


def print_table(header: tuple[str, ...], rows: Sequence[tuple[str, ...]]) -> None:
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    for row in [header, *rows]:
        cells = (cell.ljust(width) for cell, width in zip(row, widths, strict=True))
        typer.echo("  ".join(cells).rstrip())
