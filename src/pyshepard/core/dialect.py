"""The one place domains learn which database they talk to (branch only inside store.py)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession


def dialect_name(session: AsyncSession) -> str:
    """`"postgresql"` or `"sqlite"`."""
    return session.get_bind().dialect.name


def is_postgres(session: AsyncSession) -> bool:
    return dialect_name(session) == "postgresql"
