"""Wire models of upstream's `SemanticRepository` and `SemanticAnnotation` schemas."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, BeforeValidator, Field, WithJsonSchema
from pydantic_core import PydanticCustomError

from pyshepard.auth.users.schemas import read_only
from pyshepard.context.collections.schemas import Int64, Name, Text

# characters SPARQL's IRIREF production excludes (and all controls/space): an IRI holding one
# could end the `<...>` of the label query early and inject query text
_IRI_FORBIDDEN = frozenset('<>"{}|^`\\')


class SemanticRepositoryType(StrEnum):
    SPARQL = "SPARQL"
    JSKOS = "JSKOS"
    SKOSMOS = "SKOSMOS"


class SemanticRepositoryAttributes(StrEnum):
    """`orderBy` values of the repository list."""

    createdAt = "createdAt"  # noqa: N815 - wire value
    updatedAt = "updatedAt"  # noqa: N815
    name = "name"


def _not_blank(value: Any) -> Any:
    if value is None or (isinstance(value, str) and not value.strip()):
        raise PydanticCustomError("not_blank", "must not be blank")
    return value


def _iri(value: str) -> str:
    if any(char in _IRI_FORBIDDEN or ord(char) <= 0x20 for char in value):
        raise PydanticCustomError(
            "iri", 'must be an IRI without spaces, control characters or any of <>"{}|^`\\'
        )
    return value


NotBlankText = Annotated[
    Text, BeforeValidator(_not_blank), WithJsonSchema({"type": "string", "pattern": r"\S"})
]
Iri = Annotated[
    Text,
    BeforeValidator(_not_blank),
    AfterValidator(_iri),
    WithJsonSchema({"type": "string", "pattern": r"\S"}),
]


class SemanticRepository(BaseModel):
    """BasicEntity + type + endpoint. Read-only fields are ignored on input."""

    id: int | None = Field(default=None, json_schema_extra={"readOnly": True, "format": "int64"})
    createdAt: str | None = read_only(timestamp=True)  # noqa: N815 - wire name
    createdBy: str | None = read_only()  # noqa: N815
    updatedAt: str | None = read_only(timestamp=True)  # noqa: N815
    updatedBy: str | None = read_only()  # noqa: N815
    name: Name = Field(default=None, validate_default=True)
    type: SemanticRepositoryType
    endpoint: NotBlankText = Field(default=None, validate_default=True)


class SemanticAnnotation(BaseModel):
    """The IRIs and repositories are written by clients; the names are looked up by the server.
    `name` is upstream's deprecated `<propertyName>::<valueName>`."""

    id: int | None = Field(default=None, json_schema_extra={"readOnly": True, "format": "int64"})
    name: str | None = Field(default=None, json_schema_extra={"readOnly": True, "deprecated": True})
    propertyName: str | None = read_only()  # noqa: N815 - wire name
    propertyIRI: Iri = Field(default=None, validate_default=True)  # noqa: N815
    valueName: str | None = read_only()  # noqa: N815
    valueIRI: Iri = Field(default=None, validate_default=True)  # noqa: N815
    propertyRepositoryId: Int64  # noqa: N815
    valueRepositoryId: Int64  # noqa: N815
