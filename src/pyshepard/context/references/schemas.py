"""Wire shapes of references, named and shaped like upstream's `*ReferenceIO` classes.

One class per kind serves as request and response body, as upstream's do: read-only
fields (id, audit trail, dataObjectId, type) are rendered on output and ignored on input.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, Field, WithJsonSchema
from pydantic_core import PydanticCustomError

from pyshepard.context.collections.schemas import Int64, Name, Text, read_only


def _not_blank(value: Any) -> Any:
    if value is None or (isinstance(value, str) and not value.strip()):
        raise PydanticCustomError("not_blank", "must not be blank")
    return value


# `@NotBlank String uri` upstream; unlike `name` its column has no length limit
Uri = Annotated[
    Text, BeforeValidator(_not_blank), WithJsonSchema({"type": "string", "pattern": r"\S"})
]
Long = Annotated[Int64, WithJsonSchema({"type": "integer", "format": "int64"})]


class BasicReferenceAttributes(StrEnum):
    """`orderBy` values of the generic reference list."""

    createdAt = "createdAt"  # noqa: N815 - wire value
    updatedAt = "updatedAt"  # noqa: N815
    name = "name"
    type = "type"


class BasicReference(BaseModel):
    """Any reference, seen through the generic `/references` endpoints."""

    id: int | None = read_only(format="int64")
    createdAt: str | None = read_only(format="date-time")  # noqa: N815 - wire name
    createdBy: str | None = read_only()  # noqa: N815
    updatedAt: str | None = read_only(format="date-time")  # noqa: N815
    updatedBy: str | None = read_only()  # noqa: N815
    name: Name = Field(default=None, validate_default=True)
    dataObjectId: int | None = read_only(format="int64")  # noqa: N815
    # upstream's class name: URIReference, CollectionReference, DataObjectReference, ...
    type: str | None = read_only()


class URIReference(BasicReference):
    uri: Uri = Field(default=None, validate_default=True)
    relationship: Text | None = None


class CollectionReference(BasicReference):
    referencedCollectionId: Long  # noqa: N815 - wire name
    relationship: Text | None = None


class DataObjectReference(BasicReference):
    referencedDataObjectId: Long  # noqa: N815 - wire name
    relationship: Text | None = None
