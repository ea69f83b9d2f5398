"""Wire models of upstream's `Collection` schema and the list query shared with data objects."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, BeforeValidator, Field, WithJsonSchema
from pydantic_core import PydanticCustomError

ATTRIBUTE_DELIMITER = "||"
NAME_LENGTH = 1024  # the name column of every entity table


class DataObjectAttributes(StrEnum):
    """`orderBy` values of the collection and data-object lists (upstream's enum name)."""

    createdAt = "createdAt"  # noqa: N815 - wire value
    updatedAt = "updatedAt"  # noqa: N815
    name = "name"


class BasicCollectionAttributes(StrEnum):
    """`orderBy` of `POST /search/collections` (default createdAt, descending)."""

    updatedAt = "updatedAt"  # noqa: N815 - wire value
    createdAt = "createdAt"  # noqa: N815
    createdBy = "createdBy"  # noqa: N815
    id = "id"
    name = "name"


def _not_blank(value: Any) -> Any:
    if value is None or (isinstance(value, str) and not value.strip()):
        raise PydanticCustomError("not_blank", "must not be blank")
    return value


def _no_delimiter_in_keys(value: dict[str, str] | None) -> dict[str, str]:
    if value is None:
        return {}
    if any(ATTRIBUTE_DELIMITER in key for key in value):
        raise PydanticCustomError(
            "no_delimiter", "Attribute keys must not contain special character combination: `||`"
        )
    return value


def _storable(value: str) -> str:
    """Both databases store valid UTF-8 only, and PostgreSQL text holds no NUL characters."""
    if "\x00" in value:
        raise PydanticCustomError("nul_character", "must not contain NUL characters")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise PydanticCustomError("unpaired_surrogate", "must be valid Unicode text") from None
    return value


def _fits_name_column(value: str) -> str:
    if len(value) > NAME_LENGTH:
        raise PydanticCustomError("name_too_long", f"size must be between 1 and {NAME_LENGTH}")
    return value


def read_only(**schema: Any) -> Any:
    """A server-set property: ignored on input, always present in responses."""
    return Field(default=None, json_schema_extra={"readOnly": True, **schema})


# `@NotBlank String name` upstream: missing, null and whitespace-only are all "must not be blank"
Text = Annotated[str, AfterValidator(_storable)]
Name = Annotated[
    Text,
    BeforeValidator(_not_blank),
    AfterValidator(_fits_name_column),
    WithJsonSchema({"type": "string", "pattern": r"\S"}),
]
Attributes = Annotated[
    dict[Text, Text] | None,
    AfterValidator(_no_delimiter_in_keys),
    WithJsonSchema({"type": "object", "additionalProperties": {"type": "string"}}),
]
# int64, as upstream's Long: larger values are a 400, not a database overflow
Int64 = Annotated[
    int, Field(ge=-(2**63), le=2**63 - 1), WithJsonSchema({"type": "integer", "format": "int64"})
]
IdList = Annotated[
    list[Int64] | None,
    WithJsonSchema({"type": "array", "items": {"type": "integer", "format": "int64"}}),
]


class BasicEntityFields(BaseModel):
    """BasicEntity + AbstractDataObject properties shared by Collection and DataObject."""

    id: int | None = read_only(format="int64")
    createdAt: str | None = read_only(format="date-time")  # noqa: N815 - wire name
    createdBy: str | None = read_only()  # noqa: N815
    updatedAt: str | None = read_only(format="date-time")  # noqa: N815
    updatedBy: str | None = read_only()  # noqa: N815
    name: Name = Field(default=None, validate_default=True)
    description: Text | None = None
    attributes: Attributes = Field(default_factory=dict, validate_default=True)


class Collection(BasicEntityFields):
    dataObjectIds: IdList = read_only()  # noqa: N815
    incomingIds: IdList = read_only()  # noqa: N815
    defaultFileContainerId: Int64 | None = None  # noqa: N815


@dataclass(frozen=True)
class ListQuery:
    """`name`, `page`+`size` (applied only when both are given), `orderBy`, `orderDesc`."""

    name: str | None = None
    page: int | None = None
    size: int | None = None
    order_by: DataObjectAttributes | None = None
    order_desc: bool = False

    @property
    def window(self) -> tuple[int, int] | None:
        """(offset, limit) when both page and size were given."""
        if self.page is None or self.size is None:
            return None
        return self.page * self.size, self.size
