"""Reading a `TimeseriesWithDataPoints` body fast: msgspec structs for the well-formed shape,
then whole-list checks in C where possible (a 100 000-point request never becomes 100 000
Pydantic models). Any other shape takes the general path, which names what is wrong."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Annotated, Any

import msgspec
import orjson

from pyshepard.core.errors import ConstraintViolation, InvalidBody
from pyshepard.data.timeseries.rules import BAD_VALUES, INT64_MAX, INT64_MIN, ChannelKey

_TUPLE = (
    ("measurement", "measurement"),
    ("device", "device"),
    ("location", "location"),
    ("symbolicName", "symbolic_name"),
    ("field", "field"),
)
_DIGITS = re.compile(r"-?\d+")


@dataclass(frozen=True)
class Batch:
    """One request's points for one channel, in request order."""

    key: ChannelKey
    timestamps: list[int]
    values: list[Any]


def _violation(field: str, message: str) -> ConstraintViolation:
    return ConstraintViolation([{"field": f"createTimeseries.payload.{field}", "message": message}])


def _tuple_text(value: Any) -> str:
    """Jackson turns JSON scalars into the String properties; anything else is no name."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    return ""


# JSON values cannot form reference cycles: 100 000 points need not be tracked by the GC.
# Timestamps of the usual shape (int64 integers) are checked while decoding; any other shape
# (null, strings, integral floats, out of range) fails here and takes the general path.
class _Point(msgspec.Struct, gc=False):
    timestamp: Annotated[int, msgspec.Meta(ge=INT64_MIN, le=INT64_MAX)] = 0
    value: Any = None


class _Request(msgspec.Struct):
    timeseries: dict[str, Any]
    points: list[_Point]


_DECODER = msgspec.json.Decoder(_Request)


def parse_batch(body: bytes) -> Batch:
    """Raises InvalidBody (malformed JSON, bad timestamps) or ConstraintViolation (missing parts).
    Values and the 5-tuple are checked later, against the channel, as upstream does."""
    try:
        request = _DECODER.decode(body)
    except msgspec.MsgspecError:
        return _parse_any_shape(body)
    points = request.points
    if not points:
        raise _violation("points", "must not be empty")
    timestamps = [point.timestamp for point in points]
    values = [point.value for point in points]
    return Batch(_key(request.timeseries), timestamps, values)


def _parse_any_shape(body: bytes) -> Batch:
    try:
        document = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise InvalidBody(f"Malformed JSON body: {exc}") from None
    if not isinstance(document, dict):
        raise InvalidBody("The body must be a JSON object {timeseries, points}")
    timeseries = document.get("timeseries")
    points = document.get("points")
    if not isinstance(timeseries, dict):
        raise _violation("timeseries", "must not be null")
    if not isinstance(points, list) or not points:
        raise _violation("points", "must not be empty")
    try:
        timestamps = [point.get("timestamp") for point in points]
        values = [point.get("value") for point in points]
    except AttributeError:
        raise InvalidBody(BAD_VALUES) from None
    return _batch(timeseries, timestamps, values)


def _key(timeseries: dict[str, Any]) -> ChannelKey:
    return ChannelKey(**{name: _tuple_text(timeseries.get(wire)) for wire, name in _TUPLE})


def _batch(timeseries: dict[str, Any], timestamps: list[Any], values: list[Any]) -> Batch:
    if set(map(type, timestamps)) != {int}:
        timestamps = [_timestamp(raw) for raw in timestamps]
    if min(timestamps) < INT64_MIN or max(timestamps) > INT64_MAX:
        raise InvalidBody("Timestamps must fit into a signed 64-bit integer (nanoseconds)")
    return Batch(_key(timeseries), timestamps, values)


def _timestamp(raw: Any) -> int:
    """As Jackson reads a `long`: null → 0, integral numbers and numeric strings accepted."""
    if raw is None:
        return 0
    if type(raw) is int:
        return raw
    if type(raw) is float and raw.is_integer():
        return int(raw)
    if type(raw) is str and _DIGITS.fullmatch(raw):
        return int(raw)
    raise InvalidBody(
        f"Invalid timestamp {json.dumps(raw)}: timestamps are integers, "
        "nanoseconds since the Unix epoch"
    )
