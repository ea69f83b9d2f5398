"""Wire schemas of users, plus the bean-validation style string checks the auth domains share."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, Field
from pydantic_core import PydanticCustomError

from pyshepard.auth.users.service import UserProfile
from pyshepard.core.uuids import UUID_PATTERN, is_valid_uuid


def _not_blank(value: str) -> str:
    if not value.strip():
        raise PydanticCustomError("not_blank", "must not be blank")
    return value


def _uuid(value: str) -> str:
    """Upstream's `@UUID` (Hibernate's defaults): lower case only, versions 1-5."""
    if not is_valid_uuid(value):
        raise PydanticCustomError("uuid", "must be a valid UUID")
    return value


# `@NotBlank` (message as Hibernate Validator words it); the contract shows pattern `\S`
NotBlankStr = Annotated[
    str, AfterValidator(_not_blank), Field(json_schema_extra={"pattern": r"\S"})
]
UuidStr = Annotated[str, AfterValidator(_uuid), Field(json_schema_extra={"pattern": UUID_PATTERN})]


def read_only(*, timestamp: bool = False) -> Any:
    """A read-only wire field: always sent, ignored on input."""
    extra: dict[str, Any] = {"readOnly": True}
    if timestamp:
        extra |= {"format": "date-time", "example": "2024-08-15T11:18:44.632+00:00"}
    return Field(default=None, json_schema_extra=extra)


class User(BaseModel):
    username: str = Field(json_schema_extra={"readOnly": True})
    firstName: str | None = None  # noqa: N815 - wire name
    lastName: str | None = None  # noqa: N815
    email: str | None = None
    subscriptionIds: list[int] = Field(json_schema_extra={"readOnly": True})  # noqa: N815
    apiKeyIds: list[str] = Field(json_schema_extra={"readOnly": True})  # noqa: N815

    @classmethod
    def of(cls, profile: UserProfile) -> User:
        user = profile.user
        return cls(
            username=user.username,
            firstName=user.first_name,
            lastName=user.last_name,
            email=user.email,
            subscriptionIds=profile.subscription_ids,
            apiKeyIds=profile.api_key_ids,
        )
