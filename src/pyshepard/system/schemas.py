from __future__ import annotations

from typing import Literal

from pydantic import BaseModel


class HealthCheck(BaseModel):
    name: str
    status: Literal["UP", "DOWN"]
    data: dict[str, str] | None = None


class Health(BaseModel):
    status: Literal["UP", "DOWN"]
    checks: list[HealthCheck]


class Version(BaseModel):
    version: str
