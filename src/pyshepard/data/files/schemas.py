"""Wire models named and shaped like upstream's FileContainer, ShepardFile and FileReference."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, Field, WithJsonSchema

from pyshepard.context.collections.schemas import Text, read_only
from pyshepard.context.references.schemas import BasicReference, Long
from pyshepard.data.containers.schemas import BasicContainerFields


class FileContainer(BasicContainerFields):
    oid: str | None = read_only()
    # collections that name this container as their default (null in lists, as upstream)
    defaultCollectionIdList: list[int] | None = read_only()  # noqa: N815 - wire name


class ShepardFile(BaseModel):
    oid: str | None = read_only()
    createdAt: str | None = read_only(format="date-time")  # noqa: N815 - wire name
    filename: str | None = read_only()
    md5: str | None = read_only()


FileOids = Annotated[
    list[Text],
    Field(min_length=1),
    WithJsonSchema({"type": "array", "minItems": 1, "items": {"type": "string"}}),
]


class FileReference(BasicReference):
    fileOids: FileOids  # noqa: N815 - wire name
    fileContainerId: Long  # noqa: N815
