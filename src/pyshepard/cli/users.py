"""`pyshepard user`: local accounts."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

import typer

from pyshepard.auth.users import service as users
from pyshepard.cli.common import load_settings, prepare, print_table, run

app = typer.Typer(help="Local user accounts.", no_args_is_help=True)


class Role(StrEnum):
    admin = "admin"
    reviewer = "reviewer"


@app.command("create")
def create(
    username: Annotated[str, typer.Argument(help="Login name; the `sub` of API keys.")],
    *,
    first_name: Annotated[str | None, typer.Option(help="Given name.")] = None,
    last_name: Annotated[str | None, typer.Option(help="Family name.")] = None,
    email: Annotated[str | None, typer.Option(help="E-mail address.")] = None,
    password: Annotated[
        str | None, typer.Option(help="Password for the web UI (API access uses keys).")
    ] = None,
    role: Annotated[
        list[Role] | None, typer.Option(help="Platform role; repeat for several.")
    ] = None,
) -> None:
    """Create a user (re-creates a deleted one under the same name)."""
    settings = load_settings()
    prepare(settings)
    roles = sorted({r.value for r in role or []})
    run(
        settings,
        lambda uow: users.create_user(
            uow,
            username,
            first_name=first_name,
            last_name=last_name,
            email=email,
            password=password,
            roles=roles,
        ),
    )
    typer.echo(f"created user {username}" + (f" with roles {', '.join(roles)}" if roles else ""))


@app.command("list")
def list_command() -> None:
    """List users that are not deleted."""
    settings = load_settings()
    prepare(settings)
    found = run(settings, users.list_users)
    rows = [
        (
            user.username,
            " ".join(part for part in (user.first_name, user.last_name) if part),
            user.email or "",
            ",".join(user.roles),
        )
        for user in found
    ]
    print_table(("USERNAME", "NAME", "EMAIL", "ROLES"), rows)


@app.command("delete")
def delete(username: Annotated[str, typer.Argument(help="The user to delete.")]) -> None:
    """Soft-delete a user: their tokens stop working at once and their API keys are revoked for
    good (they stay revoked if the name is created again)."""
    settings = load_settings()
    prepare(settings)
    run(settings, lambda uow: users.delete_user(uow, username))
    typer.echo(f"deleted user {username}")
