"""The spatial query: geometry, metadata containment, measurement conditions, time window,
limit and skip; parsed from upstream's query-parameter strings and checked with upstream's
messages. Pure functions, no database."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import orjson
from pydantic import TypeAdapter, ValidationError

from pyshepard.core.errors import InvalidInput
from pyshepard.data.spatial.errors import BadRequest
from pyshepard.data.spatial.schemas import (
    AbstractGeometryFilter,
    AxisAlignedBoundingBox,
    BoundingSphere,
    FilterCondition,
    KNearestNeighbor,
    Operator,
)

Vector = tuple[float, float, float]
# Coordinates (stored, and the centres that distances are measured from) stay within ±1e38:
# SQLite's R*Tree keeps float32 bounds (beyond ±3.4e38 every value is ±inf, and a box query
# misses the point), and PostgreSQL raises on a float8 overflow where squared distances of
# larger values would overflow. A sphere's radius is clamped to what can reach any point.
COORDINATE_LIMIT = 1e38
_RADIUS_LIMIT = 4 * COORDINATE_LIMIT
INVALID_GEOMETRY = "Invalid geometryFilter param"
INVALID_METADATA = "Invalid metadata filter param"
INVALID_MEASUREMENTS = "Invalid measurements filter param"


@dataclass(frozen=True)
class Box:
    low: Vector
    high: Vector


@dataclass(frozen=True)
class Sphere:
    center: Vector
    radius: float

    @property
    def bounds(self) -> Box:
        c, r = self.center, self.radius
        return Box((c[0] - r, c[1] - r, c[2] - r), (c[0] + r, c[1] + r, c[2] + r))


@dataclass(frozen=True)
class OrientedBox:
    """Inside when |(p - center)·axes[i]| ≤ half[i] for the three unit axes."""

    center: Vector
    axes: tuple[Vector, Vector, Vector]
    half: Vector

    @property
    def bounds(self) -> Box:
        reach = tuple(
            sum(abs(axis[dim]) * half for axis, half in zip(self.axes, self.half, strict=True))
            for dim in range(3)
        )
        c = self.center
        return Box(
            (c[0] - reach[0], c[1] - reach[1], c[2] - reach[2]),
            (c[0] + reach[0], c[1] + reach[1], c[2] + reach[2]),
        )


@dataclass(frozen=True)
class Nearest:
    point: Vector
    k: int


Geometry = Box | Sphere | OrientedBox | Nearest


@dataclass(frozen=True)
class Condition:
    """`measurements` value at `path` is a number and compares to `value` by `operator`."""

    path: tuple[str, ...]
    operator: Operator
    value: float


@dataclass(frozen=True)
class SpatialQuery:
    geometry: Geometry | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    measurements: tuple[Condition, ...] = ()
    start: int | None = None
    end: int | None = None
    limit: int | None = None
    skip: int | None = None


_GEOMETRY = TypeAdapter(AbstractGeometryFilter)
_CONDITIONS = TypeAdapter(list[FilterCondition])


def _finite(*values: float) -> bool:
    return all(math.isfinite(value) for value in values)


def _check_centre(point: Vector, names: str) -> None:
    if any(abs(value) > COORDINATE_LIMIT for value in point):
        raise ValueError(f"{names} must lie within ±{COORDINATE_LIMIT:g}")


def _rotation(roll: float, pitch: float, yaw: float) -> tuple[Vector, Vector, Vector]:
    """The columns of Rz(yaw)·Ry(pitch)·Rx(roll) (angles in degrees): the box's local axes."""
    cr, sr = math.cos(math.radians(roll)), math.sin(math.radians(roll))
    cp, sp = math.cos(math.radians(pitch)), math.sin(math.radians(pitch))
    cy, sy = math.cos(math.radians(yaw)), math.sin(math.radians(yaw))
    x_axis = (cy * cp, sy * cp, -sp)
    y_axis = (cy * sp * sr - sy * cr, sy * sp * sr + cy * cr, cp * sr)
    z_axis = (cy * sp * cr + sy * sr, sy * sp * cr - cy * sr, cp * cr)
    return x_axis, y_axis, z_axis


def to_geometry(shape: AbstractGeometryFilter) -> Geometry:
    """The shape as a query geometry; raises ValueError with the reason it is invalid."""
    value = shape.root
    if isinstance(value, AxisAlignedBoundingBox):
        low, high = (value.minX, value.minY, value.minZ), (value.maxX, value.maxY, value.maxZ)
        if not _finite(*low, *high):
            raise ValueError("coordinates must be finite numbers")
        if any(a > b for a, b in zip(low, high, strict=True)):
            raise ValueError("minX, minY, minZ must not exceed maxX, maxY, maxZ")
        return Box(low, high)
    if isinstance(value, BoundingSphere):
        center = (value.centerX, value.centerY, value.centerZ)
        if not _finite(*center, value.radius):
            raise ValueError("centre and radius must be finite numbers")
        if value.radius < 0:
            raise ValueError("radius must not be negative")
        _check_centre(center, "centerX, centerY, centerZ")
        return Sphere(center, min(value.radius, _RADIUS_LIMIT))
    if isinstance(value, KNearestNeighbor):
        point = (value.x, value.y, value.z)
        if not _finite(*point):
            raise ValueError("x, y, z must be finite numbers")
        if value.k < 0:
            raise ValueError("k must not be negative")
        _check_centre(point, "x, y, z")
        return Nearest(point, value.k)
    center = (value.centerX, value.centerY, value.centerZ)
    sizes = (value.width, value.height, value.depth)
    if not _finite(*center, *sizes, value.roll, value.pitch, value.yaw):
        raise ValueError("centre, angles and sizes must be finite numbers")
    if min(sizes) < 0:
        raise ValueError("width, height and depth must not be negative")
    _check_centre(center, "centerX, centerY, centerZ")
    half = (sizes[0] / 2, sizes[1] / 2, sizes[2] / 2)
    return OrientedBox(center, _rotation(value.roll, value.pitch, value.yaw), half)


def _reason(error: ValidationError) -> str:
    first = error.errors()[0]
    where = ".".join(str(part) for part in first["loc"] if part not in ("root",))
    return f"{where}: {first['msg']}" if where else str(first["msg"])


def _loads(text: str, message: str) -> Any:
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError as exc:
        raise BadRequest(f"{message}: {exc}") from None


def parse_geometry(text: str | None) -> AbstractGeometryFilter | None:
    """The `geometryFilter` parameter; raises BadRequest (unparsable or invalid), as upstream."""
    if text is None:
        return None
    document = _loads(text, INVALID_GEOMETRY)
    try:
        shape = _GEOMETRY.validate_python(document)
        to_geometry(shape)
    except ValidationError as exc:
        raise BadRequest(f"{INVALID_GEOMETRY}: {_reason(exc)}") from None
    except ValueError as exc:
        raise BadRequest(f"{INVALID_GEOMETRY}: {exc}") from None
    return shape


def parse_metadata(text: str | None) -> dict[str, Any]:
    """The `metadataFilter` parameter: a JSON object; raises BadRequest."""
    if text is None:
        return {}
    document = _loads(text, INVALID_METADATA)
    if not isinstance(document, dict):
        raise BadRequest(f"{INVALID_METADATA}: a JSON object is expected")
    check_storable(document, INVALID_METADATA)
    return document


def parse_measurements(text: str | None) -> list[FilterCondition]:
    """The `measurementsFilter` parameter: a JSON array of FilterCondition; raises BadRequest."""
    if text is None:
        return []
    document = _loads(text, INVALID_MEASUREMENTS)
    try:
        conditions = _CONDITIONS.validate_python(document)
    except ValidationError as exc:
        raise BadRequest(f"{INVALID_MEASUREMENTS}: {_reason(exc)}") from None
    for condition in conditions:
        if not math.isfinite(condition.value):
            raise BadRequest(f"{INVALID_MEASUREMENTS}: value must be a finite number")
        check_storable(condition.key, INVALID_MEASUREMENTS)
    return conditions


def check_storable(document: Any, message: str) -> None:
    """PostgreSQL's jsonb holds no NUL characters; both databases need valid UTF-8."""
    text = orjson.dumps(document).decode()
    if "\\u0000" in text:
        raise BadRequest(f"{message}: text must not contain NUL characters")


def condition_of(condition: FilterCondition) -> Condition:
    path = tuple(part.strip() for part in condition.key.split(","))
    return Condition(path, condition.operator, condition.value)


def problems(
    shape: AbstractGeometryFilter | None,
    *,
    start: int | None,
    end: int | None,
    limit: int | None,
    skip: int | None,
) -> list[str]:
    """Upstream's `SpatialDataQueryParams.validate()` messages, in its order."""
    errors = []
    if shape is not None:
        try:
            to_geometry(shape)
        except ValueError:
            errors.append(INVALID_GEOMETRY)
    nearest = shape is not None and isinstance(shape.root, KNearestNeighbor)
    if nearest:
        if skip is not None:
            errors.append("Skip parameter is not accepted with KNN")
        if limit is not None:
            errors.append("Limit parameter is not accepted with KNN")
    if skip is not None and skip <= 0 and not nearest:
        errors.append("Skip parameter must be greater than 0")
    if start is not None and end is not None and start > end:
        errors.append("startTime should be less than or equals endTime")
    return errors


def build(
    shape: AbstractGeometryFilter | None,
    metadata: dict[str, Any],
    conditions: list[FilterCondition],
    *,
    start: int | None,
    end: int | None,
    limit: int | None,
    skip: int | None,
    prefix: str = "The following errors occurred: ",
) -> SpatialQuery:
    """The checked query; raises InvalidInput with upstream's message list."""
    errors = problems(shape, start=start, end=end, limit=limit, skip=skip)
    if errors:
        raise InvalidInput(prefix + ", ".join(errors))
    return SpatialQuery(
        geometry=to_geometry(shape) if shape is not None else None,
        metadata=metadata,
        measurements=tuple(condition_of(condition) for condition in conditions),
        start=start,
        end=end,
        limit=limit,
        skip=skip,
    )


# -- nearest-neighbour search radius -------------------------------------------------------------

_UNIT_BALL = {1: 2.0, 2: math.pi, 3: 4.0 / 3.0 * math.pi}


@dataclass(frozen=True)
class Extent:
    """How many points a container holds and their bounding box."""

    points: int
    low: Vector
    high: Vector

    def gap(self, point: Vector) -> float:
        """Distance from `point` to the box (0 inside)."""
        return math.dist(
            point,
            tuple(
                min(max(p, lo), hi) for p, lo, hi in zip(point, self.low, self.high, strict=True)
            ),
        )

    def reach(self, point: Vector) -> float:
        """Distance from `point` to the farthest corner (padded against rounding): every point
        lies within it."""
        far = tuple(
            lo if abs(p - lo) > abs(p - hi) else hi
            for p, lo, hi in zip(point, self.low, self.high, strict=True)
        )
        return math.dist(point, far) * (1.0 + 1e-9) + 1e-9

    def radius_for(self, point: Vector, wanted: int) -> float:
        """A radius around `point` expected to hold `wanted` points if they were spread evenly
        over the box (in as many dimensions as the box really has)."""
        sizes = [hi - lo for lo, hi in zip(self.low, self.high, strict=True) if hi > lo]
        if not sizes:
            return self.gap(point)
        # (wanted / (ball * points / volume)) ** (1 / d) in logarithms: the volume of a wide
        # box overflows a float, that of a thin one underflows
        log_volume = sum(math.log(size) for size in sizes)
        log_ball = math.log(wanted / (_UNIT_BALL[len(sizes)] * self.points))
        return self.gap(point) + math.exp((log_ball + log_volume) / len(sizes))
