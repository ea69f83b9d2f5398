from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel

from pyshepard.auth.groups.service import GroupView
from pyshepard.auth.users.schemas import NotBlankStr, read_only
from pyshepard.core.clock import to_wire


class UserGroupAttributes(StrEnum):
    createdAt = "createdAt"  # noqa: N815 - wire names
    updatedAt = "updatedAt"  # noqa: N815
    name = "name"


class UserGroup(BaseModel):
    """BasicEntity + usernames. Read-only fields are ignored on input; unknown users dropped."""

    id: int | None = read_only()
    createdAt: str | None = read_only(timestamp=True)  # noqa: N815
    createdBy: str | None = read_only()  # noqa: N815
    updatedAt: str | None = read_only(timestamp=True)  # noqa: N815
    updatedBy: str | None = read_only()  # noqa: N815
    name: NotBlankStr
    usernames: list[str | None]

    @classmethod
    def of(cls, view: GroupView) -> UserGroup:
        group = view.group
        return cls(
            id=group.id,
            createdAt=to_wire(group.created_at),
            createdBy=group.created_by,
            updatedAt=to_wire(group.updated_at),
            updatedBy=group.updated_by,
            name=group.name,
            usernames=list(view.usernames),
        )
