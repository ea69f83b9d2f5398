"""Every query on spatial points. Bulk paths use the driver directly (COPY on PostgreSQL;
multi-row INSERTs in one trip to the connection's thread on SQLite) inside the request's
transaction; reads render JSON from driver rows.

Tables (migration 0006, hand-written per dialect): `spatial_points` (PostgreSQL: hash
partitions by container, `position geometry(PointZ)` generated from x, y, z, SP-GiST 3-D and
n-D GiST indexes, GIN on metadata; SQLite: rowid table + one R*Tree per container, made here
with its first points) and `spatial_extents` (per-container count and bounding box, for kNN
radii). A container has points iff it has an extent row (and, on SQLite, its R*Tree)."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator, Sequence
from functools import partial
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from pyshepard.core.dialect import dialect_name, driver_in_transaction, sqlite_connection
from pyshepard.core.sqlite_bulk import insert_rows
from pyshepard.data.spatial import sql
from pyshepard.data.spatial.ingest import Points
from pyshepard.data.spatial.query import Extent, Nearest, SpatialQuery
from pyshepard.data.spatial.sql import PROBE_CAP

_COLUMNS = ("container_id", "ts", "x", "y", "z", "measurements", "metadata")
_EXTENT_UPSERT = """
INSERT INTO spatial_extents (container_id, points, min_x, min_y, min_z, max_x, max_y, max_z)
VALUES ({p}) ON CONFLICT (container_id) DO UPDATE SET
  points = spatial_extents.points + excluded.points,
  min_x = {lo}(spatial_extents.min_x, excluded.min_x),
  min_y = {lo}(spatial_extents.min_y, excluded.min_y),
  min_z = {lo}(spatial_extents.min_z, excluded.min_z),
  max_x = {hi}(spatial_extents.max_x, excluded.max_x),
  max_y = {hi}(spatial_extents.max_y, excluded.max_y),
  max_z = {hi}(spatial_extents.max_z, excluded.max_z)
"""
_PG_UPSERT = _EXTENT_UPSERT.format(p="$1, $2, $3, $4, $5, $6, $7, $8", lo="least", hi="greatest")
_SQLITE_UPSERT = _EXTENT_UPSERT.format(p="?, ?, ?, ?, ?, ?, ?, ?", lo="min", hi="max")


def _columns(container_id: int, points: Points) -> tuple[Sequence[Any], ...]:
    """The rows of `points` column by column, in `_COLUMNS` order."""
    return (
        [container_id] * len(points),
        points.timestamps,
        points.xs,
        points.ys,
        points.zs,
        points.measurements,
        points.metadata,
    )


def _insert_on_sqlite(
    connection: sqlite3.Connection, points: Points, extent: tuple[Any, ...]
) -> None:
    """`SpatialStore.insert` on the SQLite connection's own thread, in one trip."""
    container_id = extent[0]
    # the write lock is ours (BEGIN IMMEDIATE): new rowids follow the current largest
    (before,) = connection.execute("SELECT coalesce(max(id), 0) FROM spatial_points").fetchone()
    insert_rows(
        connection,
        f"INSERT INTO spatial_points ({', '.join(_COLUMNS)})",
        _columns(container_id, points),
    )
    tree = sql.rtree_name(container_id)
    connection.execute(
        f"CREATE VIRTUAL TABLE IF NOT EXISTS {tree} "
        "USING rtree(id, min_x, max_x, min_y, max_y, min_z, max_z)"
    )
    connection.execute(
        f"INSERT INTO {tree} SELECT id, x, x, y, y, z, z FROM spatial_points "  # noqa: S608 - integer table name
        "WHERE id > ? AND container_id = ?",
        (before, container_id),
    )
    connection.execute(_SQLITE_UPSERT, extent)


CHUNK = 5_000  # rows per fetch (and per piece of a streamed response)


def _objects(rows: Sequence[Sequence[Any]]) -> str:
    """`{timestamp, x, y, z, measurements, metadata},…` from (ts, x, y, z, json, json) rows."""
    return ",".join(
        f'{{"timestamp":{ts},"x":{x!r},"y":{y!r},"z":{z!r},"measurements":{measurements},'
        f'"metadata":{"null" if metadata is None else metadata}}}'
        for ts, x, y, z, measurements, metadata in rows
    )


def render(rows: Sequence[Sequence[Any]]) -> bytes:
    """The JSON array of the points of (ts, x, y, z, json, json) rows."""
    return f"[{_objects(rows)}]".encode()


class SpatialStore:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    @property
    def postgres(self) -> bool:
        return dialect_name(self.session) == "postgresql"

    async def _driver(self) -> Any:
        """The driver connection of this session, inside the session's transaction."""
        return await driver_in_transaction(self.session)

    async def _fetch(self, statement: str, params: Sequence[Any]) -> list[Any]:
        driver = await self._driver()
        if self.postgres:
            return list(await driver.fetch(statement, *params))
        async with driver.execute(statement, params) as cursor:
            return list(await cursor.fetchall())

    # -- writes --------------------------------------------------------------------------------

    async def insert(self, container_id: int, points: Points) -> None:
        """Append the points (ids grow in request order) and widen the container's extent."""
        if not len(points):
            return
        low, high = points.bounds
        extent = (container_id, len(points), *low, *high)
        if not self.postgres:
            connection = await sqlite_connection(self.session)
            await connection.run(partial(_insert_on_sqlite, points=points, extent=extent))
            return
        driver = await self._driver()
        records = zip(*_columns(container_id, points), strict=True)
        await driver.copy_records_to_table("spatial_points", records=records, columns=_COLUMNS)
        await driver.execute(_PG_UPSERT, *extent)

    async def delete_container(self, container_id: int) -> None:
        """Every point of the container, its extent and (SQLite) its R*Tree."""
        if not self.postgres:
            await self.session.execute(text(f"DROP TABLE IF EXISTS {sql.rtree_name(container_id)}"))
        for table in ("spatial_points", "spatial_extents"):
            await self.session.execute(
                text(f"DELETE FROM {table} WHERE container_id = :id"),  # noqa: S608 - constant names
                {"id": container_id},
            )

    # -- reads ---------------------------------------------------------------------------------

    async def extent(self, container_id: int) -> Extent | None:
        placeholder = "$1" if self.postgres else "?"
        rows = await self._fetch(
            "SELECT points, min_x, min_y, min_z, max_x, max_y, max_z FROM spatial_extents "  # noqa: S608 - a placeholder, no value
            f"WHERE container_id = {placeholder}",
            (container_id,),
        )
        if not rows or not rows[0][0]:
            return None
        row = rows[0]
        return Extent(int(row[0]), (row[1], row[2], row[3]), (row[4], row[5], row[6]))

    async def _chunks(self, statement: str, params: Sequence[Any]) -> AsyncIterator[Sequence[Any]]:
        """The rows of a statement, CHUNK at a time (a server-side cursor on PostgreSQL)."""
        driver = await self._driver()
        if self.postgres:
            batch: list[Any] = []
            async for record in driver.cursor(statement, *params, prefetch=CHUNK):
                batch.append(record)
                if len(batch) == CHUNK:
                    yield batch
                    batch = []
            if batch:
                yield batch
            return
        async with driver.execute(statement, params) as cursor:
            while rows := await cursor.fetchmany(CHUNK):
                yield rows

    async def stream_json(self, container_id: int, query: SpatialQuery) -> AsyncIterator[bytes]:
        """The matching points as pieces of one JSON array: insertion order, or nearest first
        for kNN. Never holds more than CHUNK rows (plus one piece of output)."""
        if isinstance(query.geometry, Nearest):
            yield render(await self._nearest(container_id, query, query.geometry))
            return
        statement, params = sql.select_points(container_id, query, self.postgres)
        opening = "["
        try:
            async for rows in self._chunks(statement, params):
                yield (opening + _objects(rows)).encode()
                opening = ","
        except sqlite3.OperationalError as exc:
            # SQLite, a container without points: it has no R*Tree yet (the statement failed
            # on its own, before any row)
            if query.geometry is None or sql.rtree_name(container_id) not in str(exc):
                raise
        yield b"[]" if opening == "[" else b"]"

    async def select_json(self, container_id: int, query: SpatialQuery) -> bytes:
        """`stream_json` in one piece."""
        return b"".join([piece async for piece in self.stream_json(container_id, query)])

    async def _distances(
        self, container_id: int, query: SpatialQuery, nearest: Nearest, radius: float
    ) -> list[float]:
        statement, params = sql.within(
            container_id,
            query,
            nearest,
            radius * radius,
            postgres=self.postgres,
            rows=False,
            limit=max(PROBE_CAP, nearest.k),
        )
        return [row[0] for row in await self._fetch(statement, params)]

    async def _nearest(self, container_id: int, query: SpatialQuery, nearest: Nearest) -> list[Any]:
        """Exact k nearest (ties by id): probe a sphere sized from the container's density
        (usually the answer at once); otherwise, once some radius is known to hold k matches,
        one exact query inside it finishes."""
        extent = await self.extent(container_id) if nearest.k > 0 else None
        if extent is None:
            return []
        k, cap = nearest.k, max(PROBE_CAP, nearest.k)
        reach = extent.reach(nearest.point)
        radius = min(extent.radius_for(nearest.point, 3 * k + 16), reach)
        if k <= PROBE_CAP:
            statement, params = sql.nearest_in_probe(
                container_id, query, nearest, radius * radius, postgres=self.postgres
            )
            rows = await self._fetch(statement, params)
            if rows:
                return rows
        bound: float | None = None  # a squared radius known to hold k matches (or all of them)
        while bound is None:
            found = await self._distances(container_id, query, nearest, radius)
            if len(found) >= k:
                bound = sorted(found)[k - 1]
            elif len(found) < cap and radius >= reach:
                bound = reach * reach
            elif self.postgres:
                # sparse matches: the n-D GiST's distance order finds k of them in one scan
                statement, params = sql.nearest_by_index(container_id, query, nearest)
                ranked = [row[0] for row in await self._fetch(statement, params)]
                bound = max(ranked) if len(ranked) >= k else reach * reach
            else:
                radius = min(max(radius * 2.0, reach / 1024.0), reach)
        statement, params = sql.within(
            container_id, query, nearest, bound, postgres=self.postgres, rows=True, limit=k
        )
        return await self._fetch(statement, params)
