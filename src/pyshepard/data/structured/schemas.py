"""Wire models named and shaped like upstream's structured-data classes."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, WithJsonSchema

from pyshepard.context.collections.schemas import Text, read_only
from pyshepard.context.references.schemas import BasicReference, Long
from pyshepard.data.containers.schemas import BasicContainerFields


class StructuredDataContainer(BasicContainerFields):
    oid: str | None = read_only()


class StructuredData(BaseModel):
    model_config = ConfigDict(extra="ignore")

    oid: str | None = read_only()
    createdAt: str | None = read_only(format="date-time", nullable=True)  # noqa: N815 - wire name
    name: Text | None = Field(default=None, json_schema_extra={"nullable": True})


class StructuredDataPayload(BaseModel):
    """A document's metadata and its body, the JSON document serialised as a string."""

    model_config = ConfigDict(extra="ignore")

    structuredData: StructuredData | None = None  # noqa: N815 - wire name
    # `@Size(min = 2)` upstream; null only in responses, for documents that are gone
    payload: Annotated[str | None, Field(min_length=2)] = None


StructuredDataOids = Annotated[
    list[Text],
    Field(min_length=1),
    WithJsonSchema({"type": "array", "minItems": 1, "items": {"type": "string"}}),
]


class StructuredDataReference(BasicReference):
    structuredDataOids: StructuredDataOids  # noqa: N815 - wire name
    structuredDataContainerId: Long  # noqa: N815
