from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from pyshepard.auth.permissions.policy import PermissionType


class Permissions(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    entityId: int | None = Field(default=None, json_schema_extra={"readOnly": True})  # noqa: N815 - wire name
    owner: str | None = None
    permissionType: PermissionType | None = None  # noqa: N815
    reader: list[str]
    writer: list[str]
    readerGroupIds: list[int] = Field(default_factory=list)  # noqa: N815
    writerGroupIds: list[int] = Field(default_factory=list)  # noqa: N815
    manager: list[str]


class Roles(BaseModel):
    owner: bool
    manager: bool
    writer: bool
    reader: bool
