"""Timeseries containers, their channels and points (upstream's TimeseriesService,
TimeseriesCsvService and the container service). Rules live in `rules.py`; SQL in `store.py`."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import anyio
import orjson

from pyshepard.auth.permissions.policy import Action
from pyshepard.core.db import UnitOfWork
from pyshepard.core.errors import DomainError, InvalidBody, NotFound, not_found
from pyshepard.core.identity import Principal
from pyshepard.data.containers import service as containers
from pyshepard.data.containers.models import Container
from pyshepard.data.containers.schemas import (
    KIND_NAMES,
    ContainerAttributes,
    ContainerType,
    container_fields,
)
from pyshepard.data.timeseries import csvio, rules
from pyshepard.data.timeseries.ingest import parse_batch
from pyshepard.data.timeseries.models import Channel
from pyshepard.data.timeseries.rules import BAD_VALUES, ChannelKey, PointQuery
from pyshepard.data.timeseries.schemas import (
    CsvFormat,
    DataPointValueType,
    Timeseries,
    TimeseriesContainer,
    TimeseriesEntity,
)
from pyshepard.data.timeseries.store import TimeseriesStore

KIND = ContainerType.TIMESERIES


def _store(uow: UnitOfWork) -> TimeseriesStore:
    return TimeseriesStore(uow.session)


def render_container(container: Container) -> TimeseriesContainer:
    return TimeseriesContainer(**container_fields(container))


def key_of(channel: Channel) -> ChannelKey:
    return ChannelKey(
        channel.measurement, channel.device, channel.location, channel.symbolic_name, channel.field
    )


def render_channel(channel: Channel) -> TimeseriesEntity:
    return TimeseriesEntity(
        id=channel.id,
        containerId=channel.container_id,
        valueType=DataPointValueType(channel.value_type),
        **key_of(channel).wire(),
    )


# -- containers --------------------------------------------------------------------------------


async def create_container(
    uow: UnitOfWork, actor: Principal, body: TimeseriesContainer
) -> TimeseriesContainer:
    """A new Private container owned by `actor`."""
    return render_container(await containers.create_container(uow, actor, KIND, body.name))


async def list_containers(
    uow: UnitOfWork,
    actor: Principal,
    *,
    name: str | None = None,
    page: int | None = None,
    size: int | None = None,
    order_by: ContainerAttributes | None = None,
    order_desc: bool = False,
) -> list[TimeseriesContainer]:
    """Readable timeseries containers, filtered and paged in SQL."""
    rows = await containers.list_containers(
        uow,
        actor,
        KIND,
        name=name,
        page=page,
        size=size,
        order_by=order_by,
        order_desc=order_desc,
    )
    return [render_container(row) for row in rows]


async def load_container(
    uow: UnitOfWork, actor: Principal, container_id: int, action: Action = Action.READ
) -> Container:
    """Raises NotFound, PermissionDenied."""
    return await containers.load_container(uow, actor, container_id, KIND, action)


async def check_container(
    uow: UnitOfWork, actor: Principal, container_id: int, action: Action = Action.READ
) -> None:
    """As `load_container` for callers that need only the verdict: one round trip."""
    await containers.check_access(uow, actor, container_id, KIND, action)


async def get_container(
    uow: UnitOfWork, actor: Principal, container_id: int
) -> TimeseriesContainer:
    """Raises NotFound, PermissionDenied (Read)."""
    return render_container(await load_container(uow, actor, container_id))


async def delete_container(uow: UnitOfWork, actor: Principal, container_id: int) -> None:
    """Owner only; its channels and points go with it. Raises NotFound, PermissionDenied."""
    await containers.delete_container(uow, actor, container_id, KIND)
    await _store(uow).delete_container(container_id)


# -- channels ----------------------------------------------------------------------------------


async def list_channels(
    uow: UnitOfWork, actor: Principal, container_id: int, filters: ChannelKey
) -> list[TimeseriesEntity]:
    """Channels of the container; empty filter parts match everything (exact match otherwise).
    Raises NotFound, PermissionDenied."""
    await check_container(uow, actor, container_id)
    wanted = filters.wire()
    result = []
    for channel in await _store(uow).channels(container_id):
        entity = render_channel(channel)
        if all(not value or getattr(entity, name) == value for name, value in wanted.items()):
            result.append(entity)
    return result


async def list_available(uow: UnitOfWork, actor: Principal, container_id: int) -> list[Timeseries]:
    """The deprecated `available` list: the 5-tuples, or [] when the container is missing or
    unreadable (upstream swallows those errors)."""
    try:
        await check_container(uow, actor, container_id)
    except DomainError as exc:
        if exc.status in (403, 404):
            return []
        raise
    return [
        Timeseries(**key_of(channel).wire()) for channel in await _store(uow).channels(container_id)
    ]


async def get_channel(
    uow: UnitOfWork, actor: Principal, container_id: int, channel_id: int
) -> TimeseriesEntity:
    """Raises NotFound (container, or a channel not in it), PermissionDenied."""
    await check_container(uow, actor, container_id)
    channel = await _store(uow).get(container_id, channel_id)
    if channel is None:
        raise NotFound(
            f"ID ERROR - Timeseries with id {channel_id} in container {container_id} "
            "is null or deleted"
        )
    return render_channel(channel)


async def find_channel(uow: UnitOfWork, container_id: int, key: ChannelKey) -> Channel | None:
    """The channel, without an access check (callers checked the container)."""
    try:
        rules.validate_key(key)
    except InvalidBody:
        return None  # a name no channel can have
    return await _store(uow).find(container_id, key)


# -- points ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _PointChecks:
    """Upstream's saveDataPoints checks: the first value's type names a new channel's type;
    every value must have the channel's type; timestamps are unique."""

    key: ChannelKey
    timestamps: list[int]
    values: list[Any]

    def before_lookup(self) -> str:
        incoming = rules.value_type(self.values[0])
        if incoming is None:
            raise InvalidBody(BAD_VALUES)
        rules.validate_key(self.key)
        return incoming

    def admit(self, channel_type: str) -> None:
        rules.check_values(self.values, channel_type)
        rules.check_unique(self.timestamps)


async def save_points(
    uow: UnitOfWork, actor: Principal, container_id: int, body: bytes
) -> Timeseries:
    """Store a `TimeseriesWithDataPoints` request: all points or none.
    Raises InvalidBody/ConstraintViolation, NotFound, PermissionDenied (Write)."""
    batch = parse_batch(body)
    access = containers.access_precondition(actor, container_id, KIND, Action.WRITE)
    points = (batch.timestamps, batch.values)
    checks = _PointChecks(batch.key, *points)
    channel = await _store(uow).save(access, container_id, batch.key, points, checks)
    if channel is None:
        raise _deleted_meanwhile(container_id)
    return Timeseries(**key_of(channel).wire())


def _deleted_meanwhile(container_id: int) -> NotFound:
    """A write that found its container but then waited for a delete of it to commit."""
    return not_found(KIND_NAMES[KIND], container_id)


async def import_csv(uow: UnitOfWork, actor: Principal, container_id: int, data: bytes) -> None:
    """Import a ROW-format CSV file in one transaction: every channel's points or none.
    Raises InvalidBody, NotFound, PermissionDenied (Write)."""
    await check_container(uow, actor, container_id, Action.WRITE)
    grouped = await anyio.to_thread.run_sync(csvio.parse_csv, data)
    batches = [(key, points, _PointChecks(key, *points)) for key, points in grouped.items()]
    if not await _store(uow).save_all(container_id, batches):
        raise _deleted_meanwhile(container_id)


async def points_json(uow: UnitOfWork, channel: Channel | None, query: PointQuery) -> bytes:
    """The JSON array of a channel's points (raw or aggregated) for a cleared caller."""
    if channel is None:
        return b"[]"
    rules.check_query(query, channel.value_type)
    store = _store(uow)
    if query.function is None:
        return await store.read_json(channel, query.start, query.end)
    rows = await store.aggregate(channel, query)
    return orjson.dumps([{"timestamp": ts, "value": value} for ts, value in rows])


async def points_rows(
    uow: UnitOfWork, channel: Channel | None, query: PointQuery
) -> Sequence[tuple[int, Any]]:
    """A channel's points (raw or aggregated) as (timestamp, value) rows."""
    if channel is None:
        return []
    rules.check_query(query, channel.value_type)
    store = _store(uow)
    if query.function is None:
        return await store.read(channel, query.start, query.end)
    return await store.aggregate(channel, query)


def with_points(key: ChannelKey, points: bytes) -> bytes:
    """A `TimeseriesWithDataPoints` JSON object around an encoded points array."""
    return b'{"timeseries":' + orjson.dumps(key.wire()) + b',"points":' + points + b"}"


async def get_points(
    uow: UnitOfWork, actor: Principal, container_id: int, key: ChannelKey, query: PointQuery
) -> bytes:
    """One channel's points as a `TimeseriesWithDataPoints` JSON body (points [] for an unknown
    channel, as upstream). Raises NotFound, PermissionDenied, InvalidInput (query options)."""
    await check_container(uow, actor, container_id)
    channel = await find_channel(uow, container_id, key)
    return with_points(key, await points_json(uow, channel, query))


async def export_csv(
    uow: UnitOfWork,
    actor: Principal,
    container_id: int,
    key: ChannelKey,
    query: PointQuery,
    *,
    csv_format: CsvFormat,
) -> bytes:
    """One channel's points as CSV. Raises NotFound, PermissionDenied, InvalidInput."""
    await check_container(uow, actor, container_id)
    channel = await find_channel(uow, container_id, key)
    return render_csv([(key, await points_rows(uow, channel, query))], csv_format)


def render_csv(series: Sequence[csvio.Series], csv_format: CsvFormat) -> bytes:
    return csvio.column_csv(series) if csv_format is CsvFormat.COLUMN else csvio.row_csv(series)


async def channel_metric(uow: UnitOfWork, channel: Channel, query: PointQuery) -> Any:
    """One aggregate over the window (the caller checked access and the function)."""
    if query.function is None:  # pragma: no cover - metrics always name a function
        raise ValueError("a function is required")
    return await _store(uow).metric(channel, query.start, query.end, query.function)


async def channels_of(
    uow: UnitOfWork, container_id: int, keys: Sequence[ChannelKey]
) -> dict[ChannelKey, Channel]:
    """Those of `keys` that name channels of the container (no access check)."""
    return await _store(uow).channels_by_key(container_id, keys)
