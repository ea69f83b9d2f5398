"""Health and version of the running server."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import text

from pyshepard import SHEPARD_COMPAT_VERSION
from pyshepard.core.db import UnitOfWork


@dataclass(frozen=True)
class Check:
    name: str
    up: bool
    data: dict[str, str]


async def health(uow: UnitOfWork) -> list[Check]:
    """One check per backend: the database and the blob store."""
    try:
        await uow.session.execute(text("SELECT 1"))
        database = Check("Database connection health check", True, {"dialect": uow.dialect})
    except Exception as exc:
        database = Check("Database connection health check", False, {"error": type(exc).__name__})
    blobs_up = False
    try:
        blobs_up = await uow.blobs.healthy()
    except Exception:
        blobs_up = False
    return [database, Check("Blob store health check", blobs_up, {})]


def version() -> str:
    return SHEPARD_COMPAT_VERSION
