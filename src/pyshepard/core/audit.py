"""Columns every shepard entity carries (BasicEntity): id, audit trail, soft delete."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, String, false
from sqlalchemy.orm import Mapped, mapped_column

from pyshepard.core.db import BigId, UTCDateTime


class EntityColumns:
    """Mixin for BasicEntity tables. `id` comes from the shared entity id sequence."""

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=False)
    name: Mapped[str] = mapped_column(String(1024))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_by: Mapped[str | None] = mapped_column(String(255))
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    updated_by: Mapped[str | None] = mapped_column(String(255), default=None)
    deleted: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=false(), index=True
    )
