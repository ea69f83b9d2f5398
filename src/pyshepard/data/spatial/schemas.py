"""Wire models named and shaped like upstream's spatial-data classes (`SpatialDataPointIO`,
`FilterCondition`, the geometry filters, `SpatialDataReferenceIO`)."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, RootModel, WithJsonSchema

from pyshepard.context.collections.schemas import Int64
from pyshepard.context.references.schemas import BasicReference, Long
from pyshepard.data.containers.schemas import BasicContainerFields

INT32_MAX = 2**31 - 1
NonNegativeLong = Annotated[
    int, Field(ge=0, le=2**63 - 1), WithJsonSchema({"type": "integer", "format": "int64"})
]
NonNegativeInt = Annotated[
    int, Field(ge=0, le=INT32_MAX), WithJsonSchema({"type": "integer", "format": "int32"})
]


class SpatialDataContainer(BasicContainerFields):
    """No fields beyond BasicContainer, as upstream."""


class SpatialDataPoint(BaseModel):
    """One point; the POST body is read by `ingest.py` (fast path), this documents it."""

    timestamp: Int64 | None = Field(
        default=None,
        description="Time in nanoseconds since unix epoch. If no value is provided, the current "
        "server time is used.",
    )
    x: float = Field(description="X Coordinate")
    y: float = Field(description="Y Coordinate")
    z: float = Field(description="Z Coordinate")
    measurements: dict[str, Any] = Field(description="measurement")
    metadata: dict[str, Any] | None = Field(description="Data point meta data")


class Operator(StrEnum):
    EQUALS = "EQUALS"
    GREATER_THAN = "GREATER_THAN"
    LESS_THAN = "LESS_THAN"


class FilterCondition(BaseModel):
    """`key` is a comma-separated path into `measurements`, e.g. `temperature,val`."""

    model_config = ConfigDict(extra="ignore")

    key: str
    operator: Operator
    value: float


class GeometryFilterType(StrEnum):
    K_NEAREST_NEIGHBOR = "K_NEAREST_NEIGHBOR"
    BOUNDING_SPHERE = "BOUNDING_SPHERE"
    AXIS_ALIGNED_BOUNDING_BOX = "AXIS_ALIGNED_BOUNDING_BOX"
    ORIENTED_BOUNDING_BOX = "ORIENTED_BOUNDING_BOX"


class _Filter(BaseModel):
    # as upstream's Java primitives: an absent coordinate is 0
    model_config = ConfigDict(extra="ignore")


class AxisAlignedBoundingBox(_Filter):
    """Points with min ≤ coordinate ≤ max on every axis."""

    type: Literal[GeometryFilterType.AXIS_ALIGNED_BOUNDING_BOX]
    minX: float = 0.0  # noqa: N815 - wire names
    minY: float = 0.0  # noqa: N815
    minZ: float = 0.0  # noqa: N815
    maxX: float = 0.0  # noqa: N815
    maxY: float = 0.0  # noqa: N815
    maxZ: float = 0.0  # noqa: N815


class BoundingSphere(_Filter):
    """Points at Euclidean distance ≤ radius from the centre."""

    type: Literal[GeometryFilterType.BOUNDING_SPHERE]
    radius: float = 0.0
    centerX: float = 0.0  # noqa: N815 - wire names
    centerY: float = 0.0  # noqa: N815
    centerZ: float = 0.0  # noqa: N815


class KNearestNeighbor(_Filter):
    """The k points nearest to (x, y, z), nearest first."""

    type: Literal[GeometryFilterType.K_NEAREST_NEIGHBOR]
    k: int = 0
    x: float = 0.0
    y: float = 0.0
    z: float = 0.0


class OrientedBoundingBox(_Filter):
    """A box of width x height x depth (along its local x, y, z axes) centred on
    (centerX, centerY, centerZ) and rotated by roll (about x), pitch (about y) and yaw (about
    z), in degrees, applied as R = Rz(yaw)·Ry(pitch)·Rx(roll)."""

    type: Literal[GeometryFilterType.ORIENTED_BOUNDING_BOX]
    centerX: float = 0.0  # noqa: N815 - wire names
    centerY: float = 0.0  # noqa: N815
    centerZ: float = 0.0  # noqa: N815
    roll: float = 0.0
    pitch: float = 0.0
    yaw: float = 0.0
    width: float = 0.0
    height: float = 0.0
    depth: float = 0.0


GeometryFilter = Annotated[
    AxisAlignedBoundingBox | BoundingSphere | KNearestNeighbor | OrientedBoundingBox,
    Field(discriminator="type"),
]


class AbstractGeometryFilter(RootModel[GeometryFilter]):
    """abstract geometry filter: one of the four shapes, told apart by `type`."""


class SpatialDataReference(BasicReference):
    """A saved query on one spatial-data container."""

    spatialDataContainerId: Long  # noqa: N815 - wire names
    geometryFilter: AbstractGeometryFilter | None = None  # noqa: N815
    measurementsFilter: list[FilterCondition] | None = None  # noqa: N815
    startTime: NonNegativeLong | None = None  # noqa: N815
    endTime: NonNegativeLong | None = None  # noqa: N815
    metadataFilter: dict[str, Any] | None = None  # noqa: N815
    limit: NonNegativeInt | None = None
    skip: NonNegativeInt | None = None
