"""Reading a `POST …/payload` body fast: orjson, one pass over the points, Jackson's rules
(x, y, z required, measurements not empty, timestamp defaults to the server time)."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import orjson

from pyshepard.core.errors import ConstraintViolation, InvalidBody
from pyshepard.data.spatial.query import COORDINATE_LIMIT

INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
_DIGITS = re.compile(r"-?\d+")
_NUMBER = re.compile(r"[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?")
# a run of digits a 64-bit integer may not hold (-2**63 - 1 has 19; a long fraction or a
# smaller number of 19 digits is merely read twice)
_WIDE_INTEGER = re.compile(rb"\d{19}")
_FIELD = "createSpatialDataPoints.dataPoints[{index}].{name}"
MAX_VIOLATIONS = 100


@dataclass
class Points:
    """Column-wise points of one request, in request order; JSON documents as text."""

    timestamps: list[int] = field(default_factory=list)
    xs: list[float] = field(default_factory=list)
    ys: list[float] = field(default_factory=list)
    zs: list[float] = field(default_factory=list)
    measurements: list[str] = field(default_factory=list)
    metadata: list[str | None] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.timestamps)

    @cached_property
    def bounds(self) -> tuple[tuple[float, float, float], tuple[float, float, float]]:
        """The points' bounding box (at least one point)."""
        return (min(self.xs), min(self.ys), min(self.zs)), (
            max(self.xs),
            max(self.ys),
            max(self.zs),
        )

    def check_range(self) -> None:
        """Raises InvalidBody for a coordinate outside ±COORDINATE_LIMIT."""
        if not self.timestamps:
            return
        low, high = self.bounds
        if min(low) >= -COORDINATE_LIMIT and max(high) <= COORDINATE_LIMIT:
            return
        for index, coordinates in enumerate(zip(self.xs, self.ys, self.zs, strict=True)):
            for value in coordinates:
                if abs(value) > COORDINATE_LIMIT:
                    raise InvalidBody(
                        f"Invalid coordinate {value!r} (point {index}): coordinates must lie "
                        f"within ±{COORDINATE_LIMIT:g}"
                    )


def _coordinate(raw: Any) -> float | None:
    """As Jackson reads a `Double`: numbers and numeric strings; None when null."""
    if raw is None:
        return None
    kind = type(raw)
    if kind is float or kind is int or (kind is str and _NUMBER.fullmatch(raw.strip())):
        value = float(raw)
    else:
        raise InvalidBody(f"Invalid coordinate {json.dumps(raw)}: a number is expected")
    if not math.isfinite(value):
        raise InvalidBody(f"Invalid coordinate {raw}: coordinates must be finite numbers")
    return value


def _timestamp(raw: Any, now: int) -> int:
    """As Jackson reads a `Long`; an absent timestamp is the server time."""
    if raw is None:
        return now
    kind = type(raw)
    if (
        kind is int
        or (kind is float and raw.is_integer())
        or (kind is str and _DIGITS.fullmatch(raw))
    ):
        value = int(raw)
    else:
        raise InvalidBody(
            f"Invalid timestamp {json.dumps(raw)}: timestamps are integers, "
            "nanoseconds since the Unix epoch"
        )
    if not INT64_MIN <= value <= INT64_MAX:
        raise InvalidBody("Timestamps must fit into a signed 64-bit integer (nanoseconds)")
    return value


def _has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(key) or _has_nul(item) for key, item in value.items())
    if isinstance(value, list):
        return any(_has_nul(item) for item in value)
    return False


def _violation(index: int, name: str, message: str) -> dict[str, str]:
    return {"field": _FIELD.format(index=index, name=name), "message": message}


def _point(index: int, point: Any, violations: list[dict[str, str]]) -> tuple[Any, ...] | None:
    """(x, y, z, measurements, metadata) of one point, or None after noting violations."""
    if type(point) is not dict:
        raise InvalidBody(f"Point {index} is not a JSON object")
    x, y, z = (_coordinate(point.get(name)) for name in ("x", "y", "z"))
    measurements = point.get("measurements")
    metadata = point.get("metadata")
    if measurements is not None and type(measurements) is not dict:
        raise InvalidBody(f"Point {index}: measurements must be a JSON object")
    if metadata is not None and type(metadata) is not dict:
        raise InvalidBody(f"Point {index}: metadata must be a JSON object")
    before = len(violations)
    for name, value in (("x", x), ("y", y), ("z", z)):
        if value is None:
            violations.append(_violation(index, name, "must not be null"))
    if not measurements:
        violations.append(_violation(index, "measurements", "must not be empty"))
    return None if len(violations) > before else (x, y, z, measurements, metadata)


def _exact_dumps(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()


def _load(body: bytes) -> tuple[Any, Callable[[Any], bytes]]:
    """The body and the encoder of its measurements and metadata. orjson reads integers beyond
    64 bits as floats, losing digits; a body that may hold one is read again by the standard
    library, which keeps every integer exact (as upstream's Jackson BigInteger does)."""
    try:
        document = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise InvalidBody(f"Malformed JSON body: {exc}") from None
    if _WIDE_INTEGER.search(body) is None:
        return document, orjson.dumps
    return json.loads(body), _exact_dumps


def parse_points(body: bytes, now: int) -> Points:
    """Raises InvalidBody (not a JSON array of objects, unreadable values) or
    ConstraintViolation (missing coordinates, empty measurements), storing nothing."""
    document, dumps = _load(body)
    if not isinstance(document, list):
        raise InvalidBody("The body must be a JSON array of SpatialDataPoint objects")
    check_nul = b"\\u0000" in body
    points = Points()
    violations: list[dict[str, str]] = []
    timestamps, xs, ys, zs = points.timestamps, points.xs, points.ys, points.zs
    all_measurements, all_metadata = points.measurements, points.metadata
    for index, raw in enumerate(document):
        # the fast path: what well-behaved clients send (orjson never yields NaN or infinity)
        if (
            type(raw) is dict
            and type(x := raw.get("x")) is float
            and type(y := raw.get("y")) is float
            and type(z := raw.get("z")) is float
            and type(measurements := raw.get("measurements")) is dict
            and measurements
            and ((metadata := raw.get("metadata")) is None or type(metadata) is dict)
            and type(timestamp := raw.get("timestamp")) is int
            and INT64_MIN <= timestamp <= INT64_MAX
            and not check_nul
        ):
            timestamps.append(timestamp)
        else:
            parsed = _point(index, raw, violations)
            if parsed is None:
                if len(violations) >= MAX_VIOLATIONS:
                    break
                continue
            x, y, z, measurements, metadata = parsed
            if check_nul and (_has_nul(measurements) or _has_nul(metadata)):
                raise InvalidBody(f"Point {index}: text must not contain NUL characters")
            timestamps.append(_timestamp(raw.get("timestamp"), now))
        xs.append(x)
        ys.append(y)
        zs.append(z)
        all_measurements.append(dumps(measurements).decode())
        all_metadata.append(None if metadata is None else dumps(metadata).decode())
    if violations:
        raise ConstraintViolation(violations[:MAX_VIOLATIONS])
    points.check_range()
    return points
