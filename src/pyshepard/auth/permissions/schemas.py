from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from pyshepard.auth.permissions.policy import PermissionType

# `long[]` upstream: a value beyond int64 is a bad body (400), not a driver overflow
GroupId = Annotated[int, Field(ge=-(2**63), le=2**63 - 1)]


class Permissions(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    entityId: int | None = Field(default=None, json_schema_extra={"readOnly": True})  # noqa: N815 - wire name
    owner: str | None = None
    permissionType: PermissionType | None = None  # noqa: N815
    reader: list[str]
    writer: list[str]
    readerGroupIds: list[GroupId] = Field(default_factory=list)  # noqa: N815
    writerGroupIds: list[GroupId] = Field(default_factory=list)  # noqa: N815
    manager: list[str]


class Roles(BaseModel):
    owner: bool
    manager: bool
    writer: bool
    reader: bool
