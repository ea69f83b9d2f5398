"""`pyshepard apikey`: API keys for scripts (`X-API-KEY` header)."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

import typer

from pyshepard.auth.apikeys import service as apikeys
from pyshepard.cli.common import SYSTEM, load_settings, prepare, print_table, run
from pyshepard.core.clock import to_wire, utcnow
from pyshepard.core.config import Settings

app = typer.Typer(help="API keys (sent as the X-API-KEY header).", no_args_is_help=True)


def issuer(settings: Settings) -> str:
    """Upstream puts the server's base URI into `iss`."""
    return settings.base_url or f"http://{settings.host}:{settings.port}"


@app.command("create")
def create(
    username: Annotated[str, typer.Argument(help="Owner of the key.")],
    name: Annotated[str, typer.Option(help="A label to recognise the key by.")] = "cli",
    expires_days: Annotated[
        int | None, typer.Option(min=1, help="Days until the key stops working (default: never).")
    ] = None,
) -> None:
    """Mint a key and print it, and nothing else, to stdout (it is shown only once)."""
    settings = load_settings()
    prepare(settings)
    expires_at = utcnow() + timedelta(days=expires_days) if expires_days else None
    issued = run(
        settings,
        lambda uow: apikeys.create_api_key(
            uow, SYSTEM, username, name=name, issuer=issuer(settings), expires_at=expires_at
        ),
    )
    typer.echo(issued.jws)


@app.command("list")
def list_command(username: Annotated[str, typer.Argument(help="Owner of the keys.")]) -> None:
    """List a user's keys (the keys themselves are never shown again)."""
    settings = load_settings()
    prepare(settings)
    keys = run(settings, lambda uow: apikeys.list_api_keys(uow, SYSTEM, username))
    rows = [
        (
            key.uid,
            key.name,
            to_wire(key.created_at) or "",
            to_wire(key.expires_at) or "never",
        )
        for key in keys
    ]
    print_table(("UID", "NAME", "CREATED", "EXPIRES"), rows)


@app.command("revoke")
def revoke(
    username: Annotated[str, typer.Argument(help="Owner of the key.")],
    uid: Annotated[str, typer.Argument(help="The key's UID (see `apikey list`).")],
) -> None:
    """Delete a key; it stops working at once."""
    settings = load_settings()
    prepare(settings)
    run(settings, lambda uow: apikeys.delete_api_key(uow, SYSTEM, username, uid))
    typer.echo(f"revoked key {uid} of {username}")
