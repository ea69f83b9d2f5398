from __future__ import annotations

import re
from enum import StrEnum
from typing import Annotated

from pydantic import AfterValidator, BaseModel, Field
from pydantic_core import PydanticCustomError

from pyshepard.auth.users.schemas import NotBlankStr, read_only
from pyshepard.core.clock import to_wire
from pyshepard.subscriptions.models import NO_CALLBACK
from pyshepard.subscriptions.models import Subscription as SubscriptionRow

# upstream's @Pattern on callbackURL (matched against the whole value, as Java does)
CALLBACK_PATTERN = (
    r"https?:\/\/(www\.)?[-a-zA-Z0-9@:%._\+~#=]{1,256}\.[a-zA-Z0-9()]{1,6}\b"
    r"([-a-zA-Z0-9()@:%_\+.~#?&//=]*)"
)


def _callback(value: str | None) -> str | None:
    if value is not None and re.fullmatch(CALLBACK_PATTERN, value) is None:
        raise PydanticCustomError(
            "string_pattern_mismatch",
            "String should match pattern '{pattern}'",
            {"pattern": CALLBACK_PATTERN},
        )
    return value


CallbackUrl = Annotated[
    str | None, AfterValidator(_callback), Field(json_schema_extra={"pattern": CALLBACK_PATTERN})
]


class RequestMethod(StrEnum):
    GET = "GET"
    HEAD = "HEAD"
    POST = "POST"
    PUT = "PUT"
    PATCH = "PATCH"
    DELETE = "DELETE"
    OPTIONS = "OPTIONS"
    TRACE = "TRACE"


class Subscription(BaseModel):
    """`subscribedURL` is a regular expression matched against the absolute request URL."""

    id: int | None = read_only()
    name: NotBlankStr
    callbackURL: CallbackUrl = None  # noqa: N815 - wire name
    subscribedURL: NotBlankStr  # noqa: N815
    requestMethod: RequestMethod  # noqa: N815
    createdBy: str | None = read_only()  # noqa: N815
    createdAt: str | None = read_only(timestamp=True)  # noqa: N815

    @classmethod
    def of(cls, row: SubscriptionRow) -> Subscription:
        return cls(
            id=row.id,
            name=row.name,
            callbackURL=row.callback_url if row.callback_url != NO_CALLBACK else None,
            subscribedURL=row.subscribed_url,
            requestMethod=RequestMethod(row.request_method),
            createdBy=row.created_by,
            createdAt=to_wire(row.created_at),
        )
