"""Timeseries references: a data object's link to some channels of one container over a time
window [start, end], with payload, CSV export and metrics (upstream's TimeseriesReferenceService
and TimeseriesReferenceMetricsService)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pyshepard.auth.permissions.policy import Action
from pyshepard.context.references.models import Reference
from pyshepard.context.references.service import common
from pyshepard.context.references.store import ReferenceQuery
from pyshepard.core.db import UnitOfWork
from pyshepard.core.errors import InvalidInput, NotFound
from pyshepard.core.identity import Principal
from pyshepard.data.timeseries import rules, service
from pyshepard.data.timeseries.errors import PayloadNotFound
from pyshepard.data.timeseries.rules import ChannelKey, PointQuery
from pyshepard.data.timeseries.schemas import (
    AggregateFunction,
    CsvFormat,
    FillOption,
    MetricsIO,
    Timeseries,
    TimeseriesReference,
)

KIND = common.ReferenceKind("TimeseriesReference", "Timeseries Reference")
ALL_METRICS = (
    AggregateFunction.COUNT,
    AggregateFunction.MAX,
    AggregateFunction.MIN,
    AggregateFunction.STDDEV,
    AggregateFunction.MEAN,
    AggregateFunction.MEDIAN,
    AggregateFunction.FIRST,
    AggregateFunction.LAST,
)
_ANY_TYPE = (AggregateFunction.COUNT, AggregateFunction.FIRST, AggregateFunction.LAST)


def _keys(reference: Reference) -> list[ChannelKey]:
    return [
        ChannelKey(
            entry["measurement"],
            entry["device"],
            entry["location"],
            entry["symbolicName"],
            entry["field"],
        )
        for entry in reference.details.get("timeseries", [])
    ]


def render_reference(reference: Reference) -> TimeseriesReference:
    container_id = reference.container_id
    return TimeseriesReference(
        **common.basic_fields(reference),
        start=reference.details.get("start", 0),
        end=reference.details.get("end", 0),
        timeseries=[Timeseries(**key.wire()) for key in _keys(reference)],
        timeseriesContainerId=-1 if container_id is None else container_id,
    )


async def list_references(
    uow: UnitOfWork,
    actor: Principal,
    collection_id: int,
    data_object_id: int,
    *,
    version_uid: str | None = None,
) -> list[TimeseriesReference]:
    """Raises NotFound, PermissionDenied (Read on the collection)."""
    rows = await common.list_references(
        uow,
        actor,
        collection_id,
        data_object_id,
        ReferenceQuery(kind=KIND.type),
        version_uid=version_uid,
    )
    return [render_reference(row) for row in rows]


async def _load(
    uow: UnitOfWork,
    actor: Principal,
    collection_id: int,
    data_object_id: int,
    reference_id: int,
    *,
    version_uid: str | None = None,
) -> Reference:
    return await common.load_reference(
        uow,
        actor,
        KIND,
        collection_id=collection_id,
        data_object_id=data_object_id,
        reference_id=reference_id,
        version_uid=version_uid,
    )


async def get_reference(
    uow: UnitOfWork,
    actor: Principal,
    collection_id: int,
    data_object_id: int,
    reference_id: int,
    *,
    version_uid: str | None = None,
) -> TimeseriesReference:
    """Raises NotFound, PermissionDenied."""
    reference = await _load(
        uow, actor, collection_id, data_object_id, reference_id, version_uid=version_uid
    )
    return render_reference(reference)


async def create_reference(
    uow: UnitOfWork,
    actor: Principal,
    collection_id: int,
    data_object_id: int,
    body: TimeseriesReference,
) -> TimeseriesReference:
    """Raises NotFound, PermissionDenied (Write on the collection, Read on the container),
    InvalidInput (container missing or of another kind), InvalidBody (a bad 5-tuple)."""
    data_object = await common.open_data_object(
        uow, actor, collection_id, data_object_id, Action.WRITE
    )
    container_id = body.timeseriesContainerId
    try:
        await service.check_container(uow, actor, container_id)
    except NotFound as exc:
        raise InvalidInput(exc.message) from None
    keys = [ChannelKey.of(timeseries) for timeseries in body.timeseries]
    for key in keys:
        rules.validate_key(key)
    reference = common.new_reference(actor, data_object, KIND, body.name)
    reference.container_id = container_id
    reference.details = {
        "start": body.start,
        "end": body.end,
        "timeseries": [key.wire() for key in keys],
    }
    return render_reference(await common.insert(uow, reference))


async def delete_reference(
    uow: UnitOfWork, actor: Principal, collection_id: int, data_object_id: int, reference_id: int
) -> None:
    """Raises NotFound, PermissionDenied (Write on the collection)."""
    await common.delete_reference(
        uow,
        actor,
        KIND,
        collection_id=collection_id,
        data_object_id=data_object_id,
        reference_id=reference_id,
    )


async def _container(uow: UnitOfWork, actor: Principal, reference: Reference, *, gone: str) -> int:
    """The referenced container's id once the caller may read it; `gone` if it was deleted."""
    container_id = reference.container_id
    if container_id is None:
        raise PayloadNotFound(gone)
    try:
        await service.check_container(uow, actor, container_id)
    except NotFound:
        raise PayloadNotFound(gone) from None
    return container_id


def _matching(keys: Sequence[ChannelKey], filters: ChannelFilters) -> list[ChannelKey]:
    return [key for key in keys if filters.match(key)]


class ChannelFilters:
    """The payload/export filters: for each part of the 5-tuple, a set (empty = any)."""

    def __init__(
        self,
        *,
        measurement: Sequence[str] = (),
        device: Sequence[str] = (),
        location: Sequence[str] = (),
        symbolic_name: Sequence[str] = (),
        field: Sequence[str] = (),
    ) -> None:
        self.parts = (set(measurement), set(device), set(location), set(symbolic_name), set(field))

    def match(self, key: ChannelKey) -> bool:
        values = (key.measurement, key.device, key.location, key.symbolic_name, key.field)
        return all(
            not wanted or value in wanted for wanted, value in zip(self.parts, values, strict=True)
        )


def _query(
    reference: Reference,
    function: AggregateFunction | None,
    group_by: int | None,
    fill: FillOption | None,
) -> PointQuery:
    return PointQuery(
        start=reference.details.get("start", 0),
        end=reference.details.get("end", 0),
        function=function,
        group_by=group_by,
        fill=fill,
    )


async def get_payload(
    uow: UnitOfWork,
    actor: Principal,
    collection_id: int,
    data_object_id: int,
    reference_id: int,
    *,
    filters: ChannelFilters,
    function: AggregateFunction | None = None,
    group_by: int | None = None,
    fill: FillOption | None = None,
) -> bytes:
    """A JSON array of TimeseriesWithDataPoints, one per referenced channel passing the
    filters, in the reference's order. Raises NotFound, PermissionDenied, InvalidInput."""
    reference = await _load(uow, actor, collection_id, data_object_id, reference_id)
    container_id = await _container(
        uow,
        actor,
        reference,
        gone=f"Referenced Timeseries Container from reference with id {reference_id} "
        "is null or has been deleted",
    )
    keys = _matching(_keys(reference), filters)
    channels = await service.channels_of(uow, container_id, keys)
    query = _query(reference, function, group_by, fill)
    parts = [
        service.with_points(key, await service.points_json(uow, channels.get(key), query))
        for key in keys
    ]
    return b"[" + b",".join(parts) + b"]"


async def export_payload(
    uow: UnitOfWork,
    actor: Principal,
    collection_id: int,
    data_object_id: int,
    reference_id: int,
    *,
    filters: ChannelFilters,
    csv_format: CsvFormat = CsvFormat.ROW,
    function: AggregateFunction | None = None,
    group_by: int | None = None,
    fill: FillOption | None = None,
) -> bytes:
    """The referenced channels as CSV, ordered like the ROW columns (device, field, location,
    measurement, symbolicName), so the output is deterministic. Raises like `get_payload`."""
    reference = await _load(uow, actor, collection_id, data_object_id, reference_id)
    container_id = await _container(
        uow,
        actor,
        reference,
        gone="The referenced TimeseriesContainer is null or deleted for Reference with id "
        f"{reference_id}",
    )
    keys = sorted(_matching(_keys(reference), filters), key=ChannelKey.csv_order)
    channels = await service.channels_of(uow, container_id, keys)
    query = _query(reference, function, group_by, fill)
    series = [(key, await service.points_rows(uow, channels.get(key), query)) for key in keys]
    return service.render_csv(series, csv_format)


async def get_metrics(
    uow: UnitOfWork,
    actor: Principal,
    collection_id: int,
    data_object_id: int,
    reference_id: int,
    *,
    key: ChannelKey,
    functions: Sequence[AggregateFunction] = ALL_METRICS,
    version_uid: str | None = None,
) -> list[MetricsIO]:
    """Aggregates of one channel of the referenced container over the reference's window
    ("N/A" for functions its value type has none of). Raises NotFound, PermissionDenied,
    InvalidInput (INTEGRAL)."""
    reference = await _load(
        uow, actor, collection_id, data_object_id, reference_id, version_uid=version_uid
    )
    container_id = await _container(
        uow,
        actor,
        reference,
        gone="Referenced TimeseriesContainer is not set or deleted in TimeseriesReference "
        f"with id {reference_id}",
    )
    channel = await service.find_channel(uow, container_id, key)
    if channel is None:
        raise PayloadNotFound(
            f"Timeseries ({key.measurement}, {key.device}, {key.location}, "
            f"{key.symbolic_name}, {key.field}) in the referenced TimeseriesContainer under "
            f"TimeseriesReference with id {reference_id}"
        )
    result = []
    for function in functions:
        value: Any
        if channel.value_type in ("Boolean", "String") and function not in _ANY_TYPE:
            value = "N/A"
        else:
            query = _query(reference, function, None, None)
            rules.check_query(query, channel.value_type)
            value = await service.channel_metric(uow, channel, query)
        result.append(MetricsIO(function=function, value=value))
    return result
