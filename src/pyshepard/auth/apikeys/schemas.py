from __future__ import annotations

from pydantic import BaseModel

from pyshepard.auth.apikeys.models import ApiKey as ApiKeyRow
from pyshepard.auth.users.schemas import NotBlankStr, read_only
from pyshepard.core.clock import to_wire


class ApiKey(BaseModel):
    """Read-only fields are ignored on input."""

    uid: str | None = read_only()
    name: NotBlankStr
    createdAt: str | None = read_only(timestamp=True)  # noqa: N815 - wire name
    belongsTo: str | None = read_only()  # noqa: N815

    @classmethod
    def of(cls, key: ApiKeyRow) -> ApiKey:
        return cls(
            uid=key.uid, name=key.name, createdAt=to_wire(key.created_at), belongsTo=key.belongs_to
        )


class ApiKeyWithJWT(ApiKey):
    """Returned once, on creation: `jwt` is the key itself and is never shown again."""

    jwt: str | None = read_only()
