from __future__ import annotations

from sqlalchemy import BigInteger, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from pyshepard.core.audit import EntityColumns
from pyshepard.core.db import Base


class UserGroup(EntityColumns, Base):
    __tablename__ = "user_groups"


class UserGroupMember(Base):
    __tablename__ = "user_group_members"

    group_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("user_groups.id", ondelete="CASCADE"), primary_key=True
    )
    username: Mapped[str] = mapped_column(
        String(255), ForeignKey("users.username", ondelete="CASCADE"), primary_key=True, index=True
    )
