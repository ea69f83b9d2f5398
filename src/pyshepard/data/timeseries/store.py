"""Every query on channels and points. Bulk paths use the driver directly: COPY (asyncpg) on
PostgreSQL, multi-row INSERTs on SQLite (core/sqlite_bulk.py), both inside the request's
transaction."""

from __future__ import annotations

import dataclasses
import math
import sqlite3
from collections.abc import Sequence
from decimal import Decimal
from functools import partial
from itertools import repeat
from typing import Any, Protocol

import orjson
from sqlalchemy import bindparam, delete, select, text
from sqlalchemy.dialects.postgresql import insert as postgres_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from pyshepard.core.dialect import dialect_name, driver_in_transaction, sqlite_connection
from pyshepard.core.precondition import Precondition, SqliteStatement
from pyshepard.core.sqlite_bulk import insert_rows
from pyshepard.data.timeseries.aggregates import SQLITE_SQRT, aggregate_sql
from pyshepard.data.timeseries.models import POINT_TABLES, Channel
from pyshepard.data.timeseries.rules import ChannelKey, PointQuery, bucket_of
from pyshepard.data.timeseries.schemas import AggregateFunction, FillOption

# one request's (timestamps, values), unique timestamps
Points = tuple[list[int], list[Any]]
# int4 namespace of the per-channel advisory locks (pg_advisory_xact_lock(int4, int4))
_LOCK_CLASS = 0x7453
_PG_TYPES = {"Double": "float8", "Integer": "int8", "String": "text", "Boolean": "bool"}
# how PostgreSQL's COPY renders a value so that it already is JSON text
_PG_JSON_VALUE = {
    # integral doubles print as "3" below 1e15 (and "1e+15" from there): keep them doubles
    "Double": "CASE WHEN value = floor(value) AND abs(value) < 1e15 "
    "THEN value::text || '.0' ELSE value::text END",
    "Integer": "value",
    "Boolean": "CASE WHEN value THEN 'true' ELSE 'false' END",
    "String": "to_json(value)",
}
_KEY_COLUMNS = ("container_id", "measurement", "device", "location", "symbolic_name", "field")
_FLOAT_RESULTS = (AggregateFunction.MEAN, AggregateFunction.MEDIAN, AggregateFunction.STDDEV)


# built once: composing a statement costs more than running it on the ingest path
_FIND_CHANNEL = select(Channel).where(
    *(getattr(Channel, column) == bindparam(column) for column in _KEY_COLUMNS)
)
_FIND_CHANNEL_SQLITE = SqliteStatement.of(_FIND_CHANNEL)
_CHANNEL_COLUMNS = tuple(column.key for column in Channel.__table__.columns)
_ID, _VALUE_TYPE = _CHANNEL_COLUMNS.index("id"), _CHANNEL_COLUMNS.index("value_type")
_PG_LOCK = "SELECT pg_advisory_xact_lock($1, $2)"
# the channel and its advisory lock in one round trip
_PG_FIND_AND_LOCK = (
    f"SELECT {', '.join(_CHANNEL_COLUMNS)}, pg_advisory_xact_lock($7, id) FROM timeseries "  # noqa: S608 - column names are constants
    "WHERE container_id = $1 AND measurement = $2 AND device = $3 AND location = $4 "
    "AND symbolic_name = $5 AND field = $6"
)
_CREATE_CHANNEL_SQLITE = SqliteStatement.of(
    sqlite_insert(Channel)
    .values({column: bindparam(column) for column in (*_KEY_COLUMNS, "value_type")})
    .on_conflict_do_nothing(index_elements=list(_KEY_COLUMNS))
)


_SQLITE_OVERWRITE = " ON CONFLICT (timeseries_id, ts) DO UPDATE SET value = excluded.value"


def _save_on_sqlite(
    connection: sqlite3.Connection,
    access: Precondition | None,
    parameters: dict[str, Any],
    points: Points,
    checks: WriteChecks,
) -> tuple[Any, ...]:
    """`TimeseriesStore.save` on the SQLite connection's own thread; the channel's row."""
    if access is not None:
        access.check_on(connection)
    value_type = checks.before_lookup()
    found = _FIND_CHANNEL_SQLITE.rows(connection, parameters)
    if not found:
        _CREATE_CHANNEL_SQLITE.rows(connection, {**parameters, "value_type": value_type})
        found = _FIND_CHANNEL_SQLITE.rows(connection, parameters)
    row: tuple[Any, ...] = tuple(found[0])
    channel_id, channel_type = row[_ID], row[_VALUE_TYPE]
    checks.admit(channel_type)
    timestamps, values = points
    insert_rows(
        connection,
        f"INSERT INTO {POINT_TABLES[channel_type].name} (timeseries_id, ts, value)",
        ([channel_id] * len(timestamps), timestamps, values),
        _SQLITE_OVERWRITE,
    )
    return row


class WriteChecks(Protocol):
    """What the service checks while `TimeseriesStore.save` runs (they raise DomainErrors)."""

    def before_lookup(self) -> str:
        """Checks due before the channel is looked up; the value type a new channel gets."""
        ...

    def admit(self, channel_type: str) -> None:
        """Checks of the points against the channel's value type."""
        ...


def _table(channel: Channel) -> str:
    return POINT_TABLES[channel.value_type].name


def _points_from_pairs(encoded: bytes) -> bytes:
    """`[[t,v],...]` (numbers or booleans) → `[{"timestamp":t,"value":v},...]`, without
    touching the values: no comma occurs inside a JSON number or boolean."""
    if encoded == b"[]":
        return encoded
    body = (
        encoded[2:-2]
        .replace(b"],[", b"\x00")
        .replace(b",", b',"value":')
        .replace(b"\x00", b'},{"timestamp":')
    )
    return b'[{"timestamp":' + body + b"}]"


def _points_from_copy(data: bytes, *, strings: bool) -> bytes:
    """COPY text lines `t<TAB>json-value` → a JSON array of points."""
    if not data:
        return b"[]"
    if strings:
        # COPY doubles backslashes; JSON text has no raw tab or newline to escape otherwise
        data = data.replace(b"\\\\", b"\\")
    body = data[:-1].replace(b"\t", b',"value":').replace(b"\n", b'},{"timestamp":')
    return b'[{"timestamp":' + body + b"}]"


def _sqrt(value: float | None) -> float | None:
    return None if value is None else math.sqrt(value)


class TimeseriesStore:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    @property
    def postgres(self) -> bool:
        return dialect_name(self.session) == "postgresql"

    async def _driver(self) -> Any:
        """The driver connection of this session, inside the session's transaction."""
        return await driver_in_transaction(self.session)

    # -- channels ------------------------------------------------------------------------------

    async def save(
        self,
        access: Precondition | None,
        container_id: int,
        key: ChannelKey,
        points: Points,
        checks: WriteChecks,
    ) -> Channel | None:
        """One request's points for one channel, all or none: `access` (None: checked before),
        the channel (created on its first write), `checks`, then the points (a stored
        timestamp's value is overwritten). None: the container was deleted meanwhile, nothing
        was written. On SQLite this is one trip to the connection's thread instead of five."""
        parameters = {"container_id": container_id, **dataclasses.asdict(key)}
        if self.postgres:
            if access is not None:
                await access.check(self.session)
            value_type = checks.before_lookup()
            driver = await self._driver()
            # one writer per channel at a time: the later request wins, and a window no stored
            # point falls into can take the COPY path without conflict handling
            found = await driver.fetchrow(
                _PG_FIND_AND_LOCK, *(parameters[column] for column in _KEY_COLUMNS), _LOCK_CLASS
            )
            if found is None:
                channel = await self.find_or_create(container_id, key, value_type)
                await driver.execute(_PG_LOCK, _LOCK_CLASS, channel.id)
            else:
                channel = Channel(**{column: found[column] for column in _CHANNEL_COLUMNS})
            checks.admit(channel.value_type)
            return channel if await self._write_postgres(driver, channel, *points) else None
        connection = await sqlite_connection(self.session)
        row = await connection.run(
            partial(
                _save_on_sqlite, access=access, parameters=parameters, points=points, checks=checks
            )
        )
        return Channel(**dict(zip(_CHANNEL_COLUMNS, row, strict=True)))

    async def save_all(
        self, container_id: int, batches: Sequence[tuple[ChannelKey, Points, WriteChecks]]
    ) -> bool:
        """Several channels' points in one transaction (a CSV import); the container's access
        was checked before. False: the container was deleted meanwhile. On PostgreSQL every
        channel is found or created first, in key order, and only then locked, in id order:
        two imports naming the same channels in different orders wait for each other instead
        of deadlocking."""
        if not self.postgres:
            for key, points, checks in batches:
                await self.save(None, container_id, key, points, checks)
            return True
        value_types = [checks.before_lookup() for _, _, checks in batches]
        channels: dict[ChannelKey, Channel] = {}
        for (key, _, _), value_type in sorted(
            zip(batches, value_types, strict=True), key=lambda pair: dataclasses.astuple(pair[0][0])
        ):
            channels[key] = await self.find_or_create(container_id, key, value_type)
        for key, _, checks in batches:
            checks.admit(channels[key].value_type)
        driver = await self._driver()
        for channel in sorted(channels.values(), key=lambda channel: channel.id):
            await driver.execute(_PG_LOCK, _LOCK_CLASS, channel.id)
        for key, points, _ in batches:
            if not await self._write_postgres(driver, channels[key], *points):
                return False
        return True

    async def find(self, container_id: int, key: ChannelKey) -> Channel | None:
        parameters = {"container_id": container_id, **dataclasses.asdict(key)}
        return (await self.session.scalars(_FIND_CHANNEL, parameters)).one_or_none()

    async def find_or_create(self, container_id: int, key: ChannelKey, value_type: str) -> Channel:
        """The channel; created with `value_type` unless a concurrent writer made it first."""
        insert = postgres_insert if self.postgres else sqlite_insert
        statement = (
            insert(Channel)
            .values(
                container_id=container_id,
                measurement=key.measurement,
                device=key.device,
                location=key.location,
                symbolic_name=key.symbolic_name,
                field=key.field,
                value_type=value_type,
            )
            .on_conflict_do_nothing(index_elements=list(_KEY_COLUMNS))
        )
        await self.session.execute(statement)
        channel = await self.find(container_id, key)
        if channel is None:  # pragma: no cover - the insert or a committed conflict made it
            raise RuntimeError("channel vanished after its insert")
        return channel

    async def channels(self, container_id: int) -> Sequence[Channel]:
        statement = select(Channel).where(Channel.container_id == container_id).order_by(Channel.id)
        return (await self.session.scalars(statement)).all()

    async def channels_by_key(
        self, container_id: int, keys: Sequence[ChannelKey]
    ) -> dict[ChannelKey, Channel]:
        found = {}
        for channel in await self.channels(container_id):
            key = ChannelKey(
                channel.measurement,
                channel.device,
                channel.location,
                channel.symbolic_name,
                channel.field,
            )
            if key in keys:
                found[key] = channel
        return found

    async def get(self, container_id: int, channel_id: int) -> Channel | None:
        channel = await self.session.get(Channel, channel_id)
        return channel if channel is not None and channel.container_id == container_id else None

    async def delete_container(self, container_id: int) -> None:
        """Every channel of the container and all their points. Writes in flight are done by
        now: on PostgreSQL they share-lock the container row, which the delete's UPDATE waited
        for (data/containers/store.py); SQLite's writers are serialised by BEGIN IMMEDIATE."""
        ids = select(Channel.id).where(Channel.container_id == container_id)
        for table in POINT_TABLES.values():
            await self.session.execute(delete(table).where(table.c.timeseries_id.in_(ids)))
        await self.session.execute(delete(Channel).where(Channel.container_id == container_id))

    # -- points --------------------------------------------------------------------------------

    @staticmethod
    async def _write_postgres(
        driver: Any, channel: Channel, timestamps: list[int], values: list[Any]
    ) -> bool:
        """Insert points, overwriting those whose timestamps exist (the later write wins), with
        the channel's advisory lock held; False if the channel is gone. `timestamps` must be
        unique."""
        table = _table(channel)
        # a statement of its own: its snapshot includes what writers before the lock committed
        live, overlaps = await driver.fetchrow(
            "SELECT EXISTS (SELECT 1 FROM timeseries WHERE id = $1), "  # noqa: S608 - table names are constants
            f"EXISTS (SELECT 1 FROM {table} WHERE timeseries_id = $1 AND ts >= $2 AND ts <= $3)",
            channel.id,
            min(timestamps),
            max(timestamps),
        )
        if not live:  # deleted with its container while this write waited for the lock
            return False
        if overlaps:
            await driver.execute(
                f"INSERT INTO {table} (timeseries_id, ts, value) "  # noqa: S608
                f"SELECT $1, t, v FROM unnest($2::int8[], $3::{_PG_TYPES[channel.value_type]}[]) "
                "AS u(t, v) ON CONFLICT (timeseries_id, ts) DO UPDATE SET value = EXCLUDED.value",
                channel.id,
                timestamps,
                values,
            )
        else:
            await driver.copy_records_to_table(
                table,
                records=zip(repeat(channel.id), timestamps, values, strict=False),
                columns=("timeseries_id", "ts", "value"),
            )
        return True

    async def read_json(self, channel: Channel, start: int, end: int) -> bytes:
        """The points of [start, end] in time order, as a JSON array of {timestamp, value}."""
        driver = await self._driver()
        table = _table(channel)
        if self.postgres:
            chunks: list[bytes] = []

            async def collect(chunk: bytes) -> None:
                chunks.append(chunk)

            await driver.copy_from_query(
                f"SELECT ts, {_PG_JSON_VALUE[channel.value_type]} FROM {table} "  # noqa: S608
                "WHERE timeseries_id = $1 AND ts >= $2 AND ts <= $3 ORDER BY ts",
                channel.id,
                start,
                end,
                output=collect,
            )
            return _points_from_copy(b"".join(chunks), strings=channel.value_type == "String")
        rows = await self._sqlite_rows(driver, table, channel.id, start, end)
        if channel.value_type == "String":
            return orjson.dumps([{"timestamp": t, "value": v} for t, v in rows])
        if channel.value_type == "Boolean":
            rows = [(t, bool(v)) for t, v in rows]
        return _points_from_pairs(orjson.dumps(rows))

    async def read(self, channel: Channel, start: int, end: int) -> list[tuple[int, Any]]:
        """The points of [start, end] in time order."""
        driver = await self._driver()
        table = _table(channel)
        if self.postgres:
            records = await driver.fetch(
                f"SELECT ts, value FROM {table} "  # noqa: S608
                "WHERE timeseries_id = $1 AND ts >= $2 AND ts <= $3 ORDER BY ts",
                channel.id,
                start,
                end,
            )
            return [(record[0], record[1]) for record in records]
        rows = await self._sqlite_rows(driver, table, channel.id, start, end)
        if channel.value_type == "Boolean":
            return [(t, bool(v)) for t, v in rows]
        return rows

    @staticmethod
    async def _sqlite_rows(
        driver: Any, table: str, channel_id: int, start: int, end: int
    ) -> list[tuple[int, Any]]:
        async with driver.execute(
            f"SELECT ts, value FROM {table} "  # noqa: S608
            "WHERE timeseries_id = ? AND ts >= ? AND ts <= ? ORDER BY ts",
            (channel_id, start, end),
        ) as cursor:
            rows: list[tuple[int, Any]] = await cursor.fetchall()
        return rows

    async def aggregate(self, channel: Channel, query: PointQuery) -> list[tuple[int, Any]]:
        """`query.function` per bucket, gap-filled as asked, computed by the database."""
        if query.function is None:  # pragma: no cover - callers read raw points instead
            raise ValueError("an aggregate function is required")
        dialect = dialect_name(self.session)
        sql = aggregate_sql(dialect, _table(channel), query.function, fill=query.fill)
        params = {"tid": channel.id, "start": query.start, "end": query.end, "width": query.width}
        if query.filled:
            if query.end < query.start:
                return []
            params["first"] = bucket_of(query.start, query.width)
            params["last"] = bucket_of(query.end, query.width)
        await self._register_sqrt(query.function)
        rows = (await self.session.execute(text(sql), params)).all()
        convert = self._converter(channel.value_type, query.function, query.fill)
        return [(row[0], convert(row[1])) for row in rows]

    async def metric(
        self, channel: Channel, start: int, end: int, function: AggregateFunction
    ) -> Any:
        """`function` over the whole window; COUNT of nothing is 0, anything else None."""
        sql = aggregate_sql(dialect_name(self.session), _table(channel), function, single=True)
        params = {"tid": channel.id, "start": start, "end": end, "width": 1}
        await self._register_sqrt(function)
        rows = (await self.session.execute(text(sql), params)).all()
        if not rows:
            return 0 if function is AggregateFunction.COUNT else None
        return self._converter(channel.value_type, function, None)(rows[0][1])

    async def _register_sqrt(self, function: AggregateFunction) -> None:
        if function is AggregateFunction.STDDEV and not self.postgres:
            driver = await self._driver()
            await driver.create_function(SQLITE_SQRT, 1, _sqrt, deterministic=True)

    def _converter(
        self, value_type: str, function: AggregateFunction, fill: FillOption | None
    ) -> Any:
        """Turn a database result into the wire value upstream sends for it."""
        integral = function is AggregateFunction.COUNT or (
            value_type == "Integer" and function not in _FLOAT_RESULTS
        )
        boolean = value_type == "Boolean" and function is not AggregateFunction.COUNT

        def convert(value: Any) -> Any:
            if value is None:
                return None
            if boolean:
                return bool(value)
            if integral:
                # interpolated buckets of integer aggregates are rounded, as interpolate() does
                return round(value) if fill is FillOption.LINEAR else int(value)
            if isinstance(value, Decimal):
                return float(value)
            return value

        return convert
