"""The access rules (BEHAVIOUR §3), shared by single-entity checks and list filters."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Action(StrEnum):
    READ = "read"
    WRITE = "write"
    MANAGE = "manage"


class PermissionType(StrEnum):
    PUBLIC = "Public"
    PUBLIC_READABLE = "PublicReadable"
    PRIVATE = "Private"


READER, WRITER, MANAGER = "reader", "writer", "manager"


@dataclass(frozen=True)
class AccessFacts:
    """What the permissions table says about one user and one entity."""

    has_permissions: bool
    is_owner: bool
    permission_type: str
    user_roles: frozenset[str]  # reader/writer/manager lists the user is on
    group_roles: frozenset[str]  # reader/writer via a group the user belongs to

    @property
    def is_manager(self) -> bool:
        return not self.has_permissions or MANAGER in self.user_roles

    @property
    def is_writer(self) -> bool:
        return (
            not self.has_permissions
            or self.permission_type == PermissionType.PUBLIC
            or WRITER in self.user_roles
            or WRITER in self.group_roles
        )

    @property
    def is_reader(self) -> bool:
        return (
            not self.has_permissions
            or self.permission_type in (PermissionType.PUBLIC, PermissionType.PUBLIC_READABLE)
            or READER in self.user_roles
            or READER in self.group_roles
        )

    def allows(self, action: Action) -> bool:
        if not self.has_permissions or self.is_owner:
            return True  # upstream: entities without a Permissions node are open to everyone
        manager = MANAGER in self.user_roles
        if action is Action.MANAGE:
            return manager
        writer = (
            manager
            or WRITER in self.user_roles
            or WRITER in self.group_roles
            or self.permission_type == PermissionType.PUBLIC
        )
        if action is Action.WRITE:
            return writer
        return (
            writer
            or READER in self.user_roles
            or READER in self.group_roles
            or self.permission_type == PermissionType.PUBLIC_READABLE
        )
