from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, ForeignKey, String, Text, false
from sqlalchemy.orm import Mapped, mapped_column

from pyshepard.core.db import Base, BigId, UTCDateTime


class LabJournalEntry(Base):
    """An HTML note on a data object; its id comes from the shared entity id sequence."""

    __tablename__ = "lab_journal_entries"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=False)
    data_object_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("data_objects.id", ondelete="CASCADE"), index=True
    )
    content: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_by: Mapped[str | None] = mapped_column(String(255))
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    updated_by: Mapped[str | None] = mapped_column(String(255), default=None)
    deleted: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
