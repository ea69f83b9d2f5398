from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from pyshepard.core.db import Base, UTCDateTime

# the callback_url column is NOT NULL; upstream allows a subscription without callback, stored
# as ""
NO_CALLBACK = ""


class Subscription(Base):
    __tablename__ = "subscriptions"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    name: Mapped[str] = mapped_column(String(1024))
    callback_url: Mapped[str] = mapped_column(Text)
    subscribed_url: Mapped[str] = mapped_column(Text)
    request_method: Mapped[str] = mapped_column(String(16), index=True)
    created_by: Mapped[str] = mapped_column(
        String(255), ForeignKey("users.username", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
