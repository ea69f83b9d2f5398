"""Who is calling: built by the auth layer, passed to every service."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Principal:
    username: str
    roles: frozenset[str] = field(default_factory=frozenset)
    group_ids: frozenset[int] = field(default_factory=frozenset)
    via: str = "apikey"  # "apikey" | "oidc" | "session" | "system"

    @property
    def is_admin(self) -> bool:
        return "admin" in self.roles

    def has_role(self, role: str) -> bool:
        return role in self.roles or self.is_admin
