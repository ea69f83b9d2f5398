"""Permissions of collections, containers and user groups (upstream's Permissions node)."""

from __future__ import annotations

from sqlalchemy import BigInteger, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from pyshepard.core.db import Base


class Permission(Base):
    __tablename__ = "permissions"

    entity_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    owner: Mapped[str | None] = mapped_column(String(255), index=True)
    permission_type: Mapped[str] = mapped_column(String(32), default="Private")


class PermissionGrant(Base):
    """A user listed as reader, writer or manager of an entity."""

    __tablename__ = "permission_grants"

    entity_id: Mapped[int] = mapped_column(
        ForeignKey("permissions.entity_id", ondelete="CASCADE"), primary_key=True
    )
    role: Mapped[str] = mapped_column(String(16), primary_key=True)
    username: Mapped[str] = mapped_column(String(255), primary_key=True, index=True)


class PermissionGroupGrant(Base):
    """A user group listed as reader or writer of an entity."""

    __tablename__ = "permission_group_grants"

    entity_id: Mapped[int] = mapped_column(
        ForeignKey("permissions.entity_id", ondelete="CASCADE"), primary_key=True
    )
    role: Mapped[str] = mapped_column(String(16), primary_key=True)
    group_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, index=True)
