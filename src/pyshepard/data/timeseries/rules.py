"""Upstream's timeseries rules that need no database: the 5-tuple check, value types, query
options (`TimeseriesValidator`, `ObjectTypeEvaluator`, `TimeseriesDataPointRepository`)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from pyshepard.core.errors import InvalidBody, InvalidInput
from pyshepard.data.timeseries.schemas import AggregateFunction, FillOption, Timeseries

INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
_FORBIDDEN = re.compile(r"[ .,/]")
_TUPLE_MESSAGE = (
    "{} is not allowed to be empty or contain one of those characters: 'Space, Comma, Point, Slash'"
)
# the channel's unique index holds all five strings; PostgreSQL caps an index entry near 2.7 kB
MAX_TUPLE_FIELD_BYTES = 400
DUPLICATE_TIMESTAMPS = (
    "You provided the same timestamp value multiple times. Please make sure that there are only "
    "unique timestamps in a timeseries payload request!"
)
BAD_VALUES = "Some of the values provided in the JSON Body are incorrect"
MAX_FILLED_BUCKETS = 1_000_000

_PYTHON_TYPES: dict[type, str] = {bool: "Boolean", int: "Integer", float: "Double", str: "String"}


@dataclass(frozen=True)
class ChannelKey:
    """The 5-tuple that names a channel inside a container."""

    measurement: str
    device: str
    location: str
    symbolic_name: str
    field: str

    @classmethod
    def of(cls, timeseries: Timeseries) -> ChannelKey:
        return cls(
            timeseries.measurement,
            timeseries.device,
            timeseries.location,
            timeseries.symbolicName,
            timeseries.field,
        )

    def wire(self) -> dict[str, str]:
        return {
            "measurement": self.measurement,
            "device": self.device,
            "location": self.location,
            "symbolicName": self.symbolic_name,
            "field": self.field,
        }

    def csv_order(self) -> tuple[str, str, str, str, str]:
        """The order of the ROW export's columns: DEVICE, FIELD, LOCATION, MEASUREMENT, ..."""
        return (self.device, self.field, self.location, self.measurement, self.symbolic_name)


def validate_key(key: ChannelKey) -> None:
    """Upstream's TimeseriesValidator, in its order; raises InvalidBody."""
    for name, value in (
        ("device", key.device),
        ("field", key.field),
        ("location", key.location),
        ("measurement", key.measurement),
        ("symbolicName", key.symbolic_name),
    ):
        if not isinstance(value, str) or not value or _FORBIDDEN.search(value):
            raise InvalidBody(_TUPLE_MESSAGE.format(name))
        if "\x00" in value:
            raise InvalidBody(f"{name} must not contain NUL characters")
        try:
            size = len(value.encode("utf-8"))
        except UnicodeEncodeError:
            raise InvalidBody(f"{name} must be valid Unicode text") from None
        if size > MAX_TUPLE_FIELD_BYTES:
            raise InvalidBody(f"{name} must not be longer than {MAX_TUPLE_FIELD_BYTES} bytes")


def value_type(value: Any) -> str | None:
    """Boolean | Integer | Double | String, or None for anything else (null, objects,
    integers beyond int64)."""
    name = _PYTHON_TYPES.get(type(value))
    if name == "Integer" and not INT64_MIN <= value <= INT64_MAX:
        return None
    return name


def check_values(values: list[Any], channel_type: str) -> None:
    """Every value has the channel's type; raises InvalidBody like upstream (first offender)."""
    expected = next(kind for kind, name in _PYTHON_TYPES.items() if name == channel_type)
    if set(map(type, values)) == {expected}:
        if expected is int and not (min(values) >= INT64_MIN and max(values) <= INT64_MAX):
            raise InvalidBody(BAD_VALUES)
        if expected is str and any("\x00" in value for value in values):
            raise InvalidBody("String values must not contain NUL characters")
        return
    for value in values:
        kind = value_type(value)
        if kind is None:
            raise InvalidBody(BAD_VALUES)
        if kind != channel_type:
            raise InvalidBody(
                f"Timeseries already exists for data type {channel_type} but new data points "
                f"are of type {kind}"
            )


def check_unique(timestamps: list[int]) -> None:
    if len(set(timestamps)) != len(timestamps):
        raise InvalidBody(DUPLICATE_TIMESTAMPS)


@dataclass(frozen=True)
class PointQuery:
    """A time window [start, end] (ns, inclusive) and how to aggregate it."""

    start: int
    end: int
    function: AggregateFunction | None = None
    group_by: int | None = None
    fill: FillOption | None = None

    @property
    def width(self) -> int:
        """Bucket size: `group_by`, else the window's length, as upstream's time_bucket."""
        if self.group_by is not None:
            return self.group_by
        return max(self.end - self.start, 1)

    @property
    def filled(self) -> bool:
        return self.fill is not None and self.fill is not FillOption.NONE


def check_query(query: PointQuery, channel_type: str) -> None:
    """Upstream's assertions on a query of an existing channel, in upstream's order."""
    textual = channel_type in ("Boolean", "String")
    if query.function is AggregateFunction.INTEGRAL:
        raise InvalidInput("Aggregation function 'integral' is currently not implemented.")
    if textual and query.function not in (
        None,
        AggregateFunction.COUNT,
        AggregateFunction.FIRST,
        AggregateFunction.LAST,
    ):
        raise InvalidInput(
            "Cannot execute aggregation functions on data points of type boolean or string."
        )
    if textual and query.fill is not None:
        raise InvalidInput(
            "Cannot use gap filling options on data points of type boolean or string."
        )
    if query.group_by is None and query.fill is not None:
        raise InvalidInput("Cannot use gap filling option when no grouping interval is specified.")
    if query.function is None and (query.fill is not None or query.group_by is not None):
        raise InvalidInput(
            "Cannot use gap filling option or grouping of data when no aggregation function is "
            "specified."
        )
    if query.group_by is not None and query.group_by <= 0:
        raise InvalidInput("group_by must be greater than 0")
    if query.filled and query.end >= query.start:
        buckets = (
            bucket_of(query.end, query.width) // query.width
            - bucket_of(query.start, query.width) // query.width
        )
        if buckets >= MAX_FILLED_BUCKETS:
            raise InvalidInput(
                f"Gap filling would produce {buckets + 1} buckets; at most "
                f"{MAX_FILLED_BUCKETS} are allowed. Use a larger group_by."
            )


def bucket_of(timestamp: int, width: int) -> int:
    """The start of the bucket holding `timestamp` (floor, as time_bucket)."""
    return timestamp // width * width
