"""Wire models shared by the four container kinds (upstream BasicContainer and friends)."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, WithJsonSchema
from pydantic_core import PydanticCustomError

from pyshepard.context.collections.schemas import Name, read_only


class ContainerType(StrEnum):
    FILE = "FILE"
    TIMESERIES = "TIMESERIES"
    STRUCTUREDDATA = "STRUCTUREDDATA"
    SPATIALDATA = "SPATIALDATA"
    BASIC = "BASIC"


class BasicContainerAttributes(StrEnum):
    """`orderBy` of `/search/containers`."""

    createdAt = "createdAt"  # noqa: N815 - wire value
    createdBy = "createdBy"  # noqa: N815
    type = "type"
    id = "id"
    name = "name"


class ContainerAttributes(StrEnum):
    """`orderBy` of the container lists."""

    createdAt = "createdAt"  # noqa: N815 - wire value
    updatedAt = "updatedAt"  # noqa: N815
    name = "name"


_QUERY_EXAMPLE = '{"property":"name","value":"","operator":"contains"}'


def _not_blank_query(value: str) -> str:
    if not value.strip():
        raise PydanticCustomError("not_blank", "must not be blank")
    return value


# human names used in upstream's "ID ERROR - <Kind> with id N is null or deleted" messages
KIND_NAMES = {
    ContainerType.FILE: "File Container",
    ContainerType.TIMESERIES: "Timeseries Container",
    ContainerType.STRUCTUREDDATA: "Structured Data Container",
    ContainerType.SPATIALDATA: "Spatial data container",  # sic, upstream's spelling
}


class BasicContainerFields(BaseModel):
    """BasicEntity + type; the concrete container schemas subclass this."""

    model_config = ConfigDict(extra="ignore")

    id: int | None = read_only(format="int64")
    createdAt: str | None = read_only(format="date-time")  # noqa: N815 - wire name
    createdBy: str | None = read_only()  # noqa: N815
    updatedAt: str | None = read_only(format="date-time")  # noqa: N815
    updatedBy: str | None = read_only()  # noqa: N815
    # `@NotBlank` upstream: missing, null and blank names are a 400 "must not be blank"
    name: Name = Field(default=None, validate_default=True)
    type: ContainerType | None = read_only()


class BasicContainer(BasicContainerFields):
    """Any container, as `/search/containers` lists them."""


class ContainerSearchParams(BaseModel):
    query: Annotated[
        str,
        AfterValidator(_not_blank_query),
        WithJsonSchema({"type": "string", "pattern": r"\S", "example": _QUERY_EXAMPLE}),
    ]
    queryType: ContainerType  # noqa: N815 - wire name


class ContainerSearchBody(BaseModel):
    searchParams: ContainerSearchParams  # noqa: N815 - wire name


class ContainerSearchResult(BaseModel):
    searchParams: ContainerSearchParams  # noqa: N815 - wire name
    results: list[BasicContainer]
    totalResults: int  # noqa: N815


def container_fields(container: Any) -> dict[str, Any]:
    """The BasicContainer wire fields of a `Container` row."""
    from pyshepard.core.clock import to_wire  # noqa: PLC0415 - keep schemas import-light

    return {
        "id": container.id,
        "createdAt": to_wire(container.created_at),
        "createdBy": container.created_by,
        "updatedAt": to_wire(container.updated_at),
        "updatedBy": container.updated_by,
        "name": container.name,
        "type": ContainerType(container.type),
    }
