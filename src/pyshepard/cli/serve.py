"""`pyshepard serve`: the API server, zero configuration (SQLite + a local blob folder)."""

from __future__ import annotations

from typing import Annotated

import typer
import uvicorn

from pyshepard import __version__
from pyshepard.app import create_app
from pyshepard.cli.common import display_blob_url, display_url, load_settings, prepare
from pyshepard.core.config import Settings


def banner(settings: Settings, host: str, port: int) -> str:
    shown = "localhost" if host in {"0.0.0.0", "::"} else host  # noqa: S104 - display only
    root = f"http://{shown}:{port}"
    return "\n".join(
        [
            f"pyshepard {__version__}",
            f"  data:       {settings.data_dir}",
            f"  database:   {display_url(settings.resolved_database_url)}",
            f"  blobs:      {display_blob_url(settings.resolved_blob_url)}",
            f"  API:        {root}/shepard/api",
            f"  Swagger UI: {root}/shepard/doc/swagger-ui",
            f"  OpenAPI:    {root}/shepard/doc/openapi.json",
            f"  health:     {root}/shepard/api/healthz",
            "Get an API key (in another terminal, same PYSHEPARD_* environment):",
            "  pyshepard user create alice",
            "  pyshepard apikey create alice",
            f'  curl -H "X-API-KEY: <key>" {root}/shepard/api/collections',
        ]
    )


def serve(
    host: Annotated[
        str | None, typer.Option(help="Interface to bind [default: PYSHEPARD_HOST or 127.0.0.1].")
    ] = None,
    port: Annotated[
        int | None, typer.Option(help="Port to listen on [default: PYSHEPARD_PORT or 8080].")
    ] = None,
    reload: Annotated[
        bool, typer.Option(help="Restart when the code changes (development).")
    ] = False,
    log_level: Annotated[str, typer.Option(help="uvicorn log level.")] = "info",
    workers: Annotated[
        int, typer.Option(min=1, help="Server processes sharing the port (uses more cores).")
    ] = 1,
) -> None:
    """Migrate the database to the newest schema, then serve the API."""
    settings = load_settings()
    host = host or settings.host
    port = port if port is not None else settings.port
    prepare(settings)
    typer.echo(banner(settings, host, port))
    if reload or workers > 1:
        # the reloader and each worker process import the app themselves, reading the same
        # PYSHEPARD_* environment
        uvicorn.run(
            "pyshepard.app:create_app",
            factory=True,
            host=host,
            port=port,
            reload=reload,
            workers=None if reload else workers,
            log_level=log_level,
        )
        return
    uvicorn.run(create_app(settings), host=host, port=port, log_level=log_level)
