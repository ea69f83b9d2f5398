from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from pyshepard.core.db import Base, BigId, UTCDateTime


class StoredFile(Base):
    """One uploaded file of a file container; its bytes are the blob `blob_key` (sha256)."""

    __tablename__ = "files"
    __table_args__ = (Index("ix_files_container_id_id", "container_id", "id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    # upstream's ShepardFile.oid (a Mongo ObjectId there): 24 hex characters, unique
    oid: Mapped[str] = mapped_column(String(32), unique=True)
    container_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("containers.id", ondelete="CASCADE")
    )
    filename: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_by: Mapped[str | None] = mapped_column(String(255))
    size: Mapped[int] = mapped_column(BigInteger)
    md5: Mapped[str] = mapped_column(String(32))
    sha256: Mapped[str] = mapped_column(String(64))
    blob_key: Mapped[str] = mapped_column(String(255), index=True)
