"""Wire models named and shaped like upstream's timeseries classes."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, WithJsonSchema

from pyshepard.context.references.schemas import BasicReference, Long
from pyshepard.data.containers.schemas import BasicContainerFields


class AggregateFunction(StrEnum):
    MEAN = "MEAN"
    MEDIAN = "MEDIAN"
    COUNT = "COUNT"
    SUM = "SUM"
    MIN = "MIN"
    MAX = "MAX"
    LAST = "LAST"
    FIRST = "FIRST"
    INTEGRAL = "INTEGRAL"
    MODE = "MODE"
    SPREAD = "SPREAD"
    STDDEV = "STDDEV"


class FillOption(StrEnum):
    LINEAR = "LINEAR"
    NONE = "NONE"
    NULL = "NULL"
    PREVIOUS = "PREVIOUS"


class CsvFormat(StrEnum):
    ROW = "ROW"
    COLUMN = "COLUMN"


class DataPointValueType(StrEnum):
    Boolean = "Boolean"
    Integer = "Integer"
    Double = "Double"
    String = "String"


class TimeseriesContainer(BasicContainerFields):
    pass


_TUPLE_FIELD = Annotated[str, WithJsonSchema({"type": "string", "pattern": r"\S"})]


class Timeseries(BaseModel):
    """A channel's 5-tuple. Blank or forbidden characters are refused by the service with
    upstream's message, not here (upstream does not cascade validation into it either)."""

    model_config = ConfigDict(extra="ignore")

    measurement: _TUPLE_FIELD
    device: _TUPLE_FIELD
    location: _TUPLE_FIELD
    symbolicName: _TUPLE_FIELD  # noqa: N815 - wire name
    field: _TUPLE_FIELD


class TimeseriesEntity(BaseModel):
    """A stored channel (upstream's `TimeseriesIO`, published as `TimeseriesEntity`)."""

    id: int = Field(json_schema_extra={"format": "int32"})
    containerId: int = Field(json_schema_extra={"format": "int64"})  # noqa: N815 - wire name
    valueType: DataPointValueType  # noqa: N815
    measurement: _TUPLE_FIELD
    device: _TUPLE_FIELD
    location: _TUPLE_FIELD
    symbolicName: _TUPLE_FIELD  # noqa: N815
    field: _TUPLE_FIELD


class TimeseriesDataPoint(BaseModel):
    timestamp: int = Field(
        json_schema_extra={"format": "int64"}, description="Time in nanoseconds since unix epoch."
    )
    value: Any = Field(default=None, description="A string, an int, a double or a boolean")


class TimeseriesWithDataPoints(BaseModel):
    """Documents the payload bodies; the hot paths parse and render them without this model."""

    timeseries: Timeseries
    points: Annotated[list[TimeseriesDataPoint], Field(min_length=1)]


class MetricsIO(BaseModel):
    function: AggregateFunction
    value: Any = None


TimeseriesList = Annotated[list[Timeseries], Field(min_length=1)]


class TimeseriesReference(BasicReference):
    start: Long
    end: Long
    timeseries: TimeseriesList
    timeseriesContainerId: Long  # noqa: N815 - wire name
