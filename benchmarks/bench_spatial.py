"""Spatial queries through HTTP against the raw database doing the same work.

    python benchmarks/bench_spatial.py [--database-url URL] [--points 2000000]

The server runs as a uvicorn subprocess on a fresh database (a temporary SQLite file, or a new
database created on the PostgreSQL server of --database-url and dropped afterwards). One
container is loaded with N points (default 200 000) uniformly spread over a 1000³ cube, in
random order, through the fastest path (PostgreSQL: COPY with the indexes dropped and rebuilt
afterwards; SQLite: multi-row INSERTs, then the container's R*Tree in one INSERT … SELECT). Then,
for query windows placed at random inside the cube, the median (p50) latency of: an
axis-aligned box holding ~500 points, a sphere holding ~500 points, kNN k=10, and the box with
a metadata filter (`{"isSuccess": true}`, ~250 points), each through HTTP and as the same SQL
statements run through the driver (ratio http/raw). The HTTP floor (an authenticated GET of
the container, no spatial work) is printed first, and each figure's excess over it. On
PostgreSQL the upstream-shaped single statements (n-D GiST `&&&`, `ST_3DDWithin`, `<<->>`)
are timed too, for context. HTTP ingest of 20 000-point requests is compared with the raw bulk
insert of the same rows.
"""

from __future__ import annotations

import argparse
import asyncio
import http.client
import importlib.util
import json
import math
import os
import random
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import uuid
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import orjson
from sqlalchemy import make_url

from pyshepard.auth.apikeys import service as apikeys
from pyshepard.auth.users import service as users
from pyshepard.core.blobs import open_blob_store
from pyshepard.core.config import Settings
from pyshepard.core.db import Database, UnitOfWork, create_engine
from pyshepard.core.identity import Principal
from pyshepard.core.migrate import MIGRATIONS_DIR, upgrade
from pyshepard.data.spatial import sql
from pyshepard.data.spatial.query import (
    Box,
    Extent,
    Nearest,
    SpatialQuery,
    Sphere,
)

API = "/shepard/api"
SIDE = 1000.0
HITS = 500
REPEAT = 31
UPSTREAM_MS = {"box": 380, "sphere": 795, "knn10": 53, "box+metadata": 265}  # on 7 M points
PROBE_CAP = 4096


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


async def _admin(server_url: str, statement: str) -> None:
    url = make_url(server_url).set(drivername="postgresql", database="postgres")
    connection = await asyncpg.connect(url.render_as_string(hide_password=False))
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


async def _provision(settings: Settings) -> str:
    db = Database(
        settings=settings,
        engine=create_engine(settings.resolved_database_url),
        blobs=open_blob_store(settings.resolved_blob_url),
    )

    async def work(uow: UnitOfWork) -> str:
        await users.create_user(uow, "bench")
        system = Principal(username="system", via="system")
        issued = await apikeys.create_api_key(
            uow, system, "bench", name="bench", issuer="http://127.0.0.1"
        )
        return issued.jws

    try:
        key: str = await db.run(work)
    finally:
        await db.dispose()
    return key


def _wait_until_up(base: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError("the server exited during start-up")
        try:
            if httpx.get(base + API + "/versionz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError("the server did not start")


class Http:
    """A thin keep-alive client, so the figures measure the server, not the client."""

    def __init__(self, port: int, api_key: str) -> None:
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=3600)
        self.headers = {"X-API-KEY": api_key, "Content-Type": "application/json"}

    def request(self, method: str, path: str, body: bytes | None = None) -> tuple[int, bytes]:
        self.connection.request(method, API + path, body=body, headers=self.headers)
        response = self.connection.getresponse()
        return response.status, response.read()


def _rows(rng: random.Random, start: int, count: int) -> list[tuple[Any, ...]]:
    """(ts, x, y, z, measurements, metadata) of points start..start+count."""
    rows = []
    for i in range(start, start + count):
        measurements = {"temperature": round(rng.uniform(15, 30), 3), "force": rng.random()}
        metadata = {"track": i % 20, "layer": i % 7, "isSuccess": i % 2 == 0}
        rows.append(
            (
                1_700_000_000_000_000_000 + i,
                rng.uniform(0, SIDE),
                rng.uniform(0, SIDE),
                rng.uniform(0, SIDE),
                orjson.dumps(measurements).decode(),
                orjson.dumps(metadata).decode(),
            )
        )
    return rows


def _body(rows: Sequence[tuple[Any, ...]]) -> bytes:
    return orjson.dumps(
        [
            {
                "timestamp": ts,
                "x": x,
                "y": y,
                "z": z,
                "measurements": orjson.loads(m),
                "metadata": orjson.loads(md),
            }
            for ts, x, y, z, m, md in rows
        ]
    )


def _index_ddl() -> list[str]:
    """The CREATE INDEX statements of migration 0006 (PostgreSQL)."""
    path = MIGRATIONS_DIR / "versions" / "0006_spatial.py"
    spec = importlib.util.spec_from_file_location("migration_0006", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return [statement for statement in module.POSTGRES if "CREATE INDEX" in statement]


class Raw:
    """The same database, driven directly: asyncpg on PostgreSQL, sqlite3 on SQLite."""

    def __init__(self, database_url: str) -> None:
        self.postgres = database_url.startswith("postgres")
        self.loop = asyncio.new_event_loop()
        if self.postgres:
            url = make_url(database_url).set(drivername="postgresql")
            dsn = url.render_as_string(hide_password=False)
            self.pg = self.loop.run_until_complete(asyncpg.connect(dsn))
        else:
            self.lite = sqlite3.connect(database_url.removeprefix("sqlite:///"))
            self.lite.execute("PRAGMA journal_mode=WAL")
            self.lite.execute("PRAGMA synchronous=NORMAL")

    def run(self, coroutine: Any) -> Any:
        return self.loop.run_until_complete(coroutine)

    def fetch(self, statement: str, params: Sequence[Any]) -> list[Any]:
        if self.postgres:
            return list(self.run(self.pg.fetch(statement, *params)))
        return self.lite.execute(statement, params).fetchall()

    def execute(self, statement: str) -> None:
        if self.postgres:
            self.run(self.pg.execute(statement))
        else:
            with self.lite:
                self.lite.execute(statement)

    def insert(self, container_id: int, rows: Sequence[tuple[Any, ...]]) -> None:
        """The bulk insert the server does for one request: points, then the extent."""
        records = [(container_id, *row) for row in rows]
        xs, ys, zs = ([row[i] for row in rows] for i in (1, 2, 3))
        extent = (container_id, len(rows), min(xs), min(ys), min(zs), max(xs), max(ys), max(zs))
        columns = ("container_id", "ts", "x", "y", "z", "measurements", "metadata")
        if self.postgres:

            async def copy() -> None:
                async with self.pg.transaction():
                    await self.pg.copy_records_to_table(
                        "spatial_points", records=records, columns=columns
                    )
                    await self.pg.execute(_upsert(postgres=True), *extent)

            self.run(copy())
            return
        tree = sql.rtree_name(container_id)
        with self.lite:
            (before,) = self.lite.execute(
                "SELECT coalesce(max(id), 0) FROM spatial_points"
            ).fetchone()
            # multi-row INSERTs of 1 000 rows: sqlite3's executemany binds and steps row by row,
            # which costs more than SQLite's own insert work
            for at in range(0, len(records), 1000):
                chunk = records[at : at + 1000]
                self.lite.execute(
                    "INSERT INTO spatial_points "
                    "(container_id, ts, x, y, z, measurements, metadata) "
                    "VALUES " + ",".join(["(?, ?, ?, ?, ?, ?, ?)"] * len(chunk)),
                    [value for record in chunk for value in record],
                )
            self.lite.execute(
                f"CREATE VIRTUAL TABLE IF NOT EXISTS {tree} "
                "USING rtree(id, min_x, max_x, min_y, max_y, min_z, max_z)"
            )
            self.lite.execute(
                f"INSERT INTO {tree} SELECT id, x, x, y, y, z, z FROM spatial_points "  # noqa: S608
                "WHERE id > ? AND container_id = ?",
                (before, container_id),
            )
            self.lite.execute(_upsert(postgres=False), extent)

    def close(self) -> None:
        if self.postgres:
            self.run(self.pg.close())
        else:
            self.lite.close()
        self.loop.close()


def _upsert(*, postgres: bool) -> str:
    from pyshepard.data.spatial import store  # noqa: PLC0415 - the server's own statement

    return store._PG_UPSERT if postgres else store._SQLITE_UPSERT


def _median_ms(work: Callable[[int], Any], repeat: int) -> float:
    timings = []
    for index in range(repeat):
        started = time.perf_counter()
        work(index)
        timings.append(time.perf_counter() - started)
    return statistics.median(timings) * 1000


def _interleaved_medians_ms(
    first: Callable[[int], Any], second: Callable[[int], Any], repeat: int
) -> tuple[float, float]:
    """Alternate the two (first, then second, for each query) so that a busy machine slows
    both alike; the medians in ms."""
    timings: tuple[list[float], list[float]] = ([], [])
    for index in range(repeat):
        for work, bucket in ((first, timings[0]), (second, timings[1])):
            started = time.perf_counter()
            work(index)
            bucket.append(time.perf_counter() - started)
    return statistics.median(timings[0]) * 1000, statistics.median(timings[1]) * 1000


def _line(label: str, http_ms: float, raw_ms: float, hits: float, floor_ms: float) -> None:
    print(
        f"{label:<14} http p50 {http_ms:8.2f} ms (floor +{http_ms - floor_ms:6.2f})   "
        f"raw p50 {raw_ms:8.2f} ms   ratio {http_ms / raw_ms:5.2f}   hits {hits:6.1f}   "
        f"upstream(7M) {UPSTREAM_MS[label]} ms, 10x target {UPSTREAM_MS[label] / 10:.1f} ms",
        flush=True,
    )


def raw_nearest(raw: Raw, container_id: int, nearest: Nearest, extent: Extent) -> list[Any]:
    """The kNN statements the server runs (SpatialStore._nearest), straight on the driver."""
    query = SpatialQuery(geometry=nearest)
    reach = extent.reach(nearest.point)
    radius = min(extent.radius_for(nearest.point, 3 * nearest.k + 16), reach)
    bound = None
    while bound is None:
        statement, params = sql.within(
            container_id,
            query,
            nearest,
            radius * radius,
            postgres=raw.postgres,
            rows=False,
            limit=PROBE_CAP,
        )
        found = [row[0] for row in raw.fetch(statement, params)]
        if len(found) >= nearest.k:
            bound = sorted(found)[nearest.k - 1]
        elif len(found) < PROBE_CAP and radius >= reach:
            bound = reach * reach
        elif raw.postgres:
            statement, params = sql.nearest_by_index(container_id, query, nearest)
            ranked = [row[0] for row in raw.fetch(statement, params)]
            bound = max(ranked) if len(ranked) >= nearest.k else reach * reach
        else:
            radius = min(max(radius * 2.0, reach / 1024.0), reach)
    statement, params = sql.within(
        container_id, query, nearest, bound, postgres=raw.postgres, rows=True, limit=nearest.k
    )
    return raw.fetch(statement, params)


class Bench:
    """One server, one raw connection, one random source."""

    def __init__(self, client: Http, raw: Raw, repeat: int) -> None:
        self.client = client
        self.raw = raw
        self.repeat = repeat
        self.rng = random.Random(4711)
        self.floor_ms = 0.0

    def container(self, name: str) -> int:
        status, body = self.client.request(
            "POST", "/spatialDataContainers", orjson.dumps({"name": name})
        )
        assert status == 201, body
        container_id: int = orjson.loads(body)["id"]
        return container_id

    def ingest(self, requests: int, batch: int = 20_000) -> None:
        """HTTP ingest against the raw bulk insert of the same rows (into another container)."""
        through_http, direct = self.container("ingest-http"), self.container("ingest-raw")
        batches = [_rows(self.rng, i * batch, batch) for i in range(requests)]
        bodies = [_body(rows) for rows in batches]
        started = time.perf_counter()
        for body in bodies:
            path = f"/spatialDataContainers/{through_http}/payload"
            status, text = self.client.request("POST", path, body)
            assert status == 204, text[:300]
        http_rate = batch * requests / (time.perf_counter() - started)
        started = time.perf_counter()
        for rows in batches:
            self.raw.insert(direct, rows)
        raw_rate = batch * requests / (time.perf_counter() - started)
        label = f"ingest {batch:,}-point requests x{requests}"
        print(
            f"{label:<34} http {http_rate:10,.0f} points/s   raw {raw_rate:10,.0f} points/s   "
            f"ratio {http_rate / raw_rate:5.2f} (http/raw rate)",
            flush=True,
        )

    def load(self, n: int) -> int:
        """A container with n points, loaded the fastest way; its id."""
        target = self.container("query")
        started = time.perf_counter()
        if self.raw.postgres:
            for name in INDEXES:
                self.raw.execute(f"DROP INDEX {name}")
        for start in range(0, n, 100_000):
            self.raw.insert(target, _rows(self.rng, start, min(100_000, n - start)))
        loaded = time.perf_counter() - started
        for statement in _index_ddl() if self.raw.postgres else []:
            self.raw.execute(statement)
        self.raw.execute("ANALYZE spatial_points" if self.raw.postgres else "ANALYZE")
        total = time.perf_counter() - started
        print(f"loaded {n:,} points in {loaded:.1f} s ({total:.1f} s with indexes)", flush=True)
        return target

    def extent(self, target: int) -> Extent:
        where = "container_id = $1" if self.raw.postgres else "container_id = ?"
        row = self.raw.fetch(
            "SELECT points, min_x, min_y, min_z, max_x, max_y, max_z FROM spatial_extents "  # noqa: S608
            f"WHERE {where}",
            [target],
        )[0]
        return Extent(row[0], tuple(row[1:4]), tuple(row[4:7]))

    def queries(self, target: int, n: int) -> list[tuple[float, float, float]]:
        side = SIDE * (HITS / n) ** (1 / 3)
        radius = SIDE * (3 * HITS / (4 * math.pi * n)) ** (1 / 3)
        centers = [
            (
                self.rng.uniform(side, SIDE - side),
                self.rng.uniform(side, SIDE - side),
                self.rng.uniform(side, SIDE - side),
            )
            for _ in range(self.repeat)
        ]
        print(
            f"{n:,} points; box side {side:.1f}, sphere radius {radius:.1f} (~{HITS} points "
            f"each); p50 of {self.repeat} queries at random places, http and raw alternating",
            flush=True,
        )
        self.floor_ms = _median_ms(
            lambda _i: self.client.request("GET", f"/spatialDataContainers/{target}"),
            self.repeat,
        )
        print(
            f"floor: GET the container http p50 {self.floor_ms:8.2f} ms   (authentication, "
            "unit of work, container lookup; no spatial work)",
            flush=True,
        )
        extent = self.extent(target)
        for label, case in _cases(side, radius).items():
            self._measure(label, case, target, centers, extent)
        return centers

    def _measure(
        self,
        label: str,
        case: Case,
        target: int,
        centers: list[tuple[float, float, float]],
        extent: Extent,
    ) -> None:
        http_params, raw_query = case
        hits: dict[int, int] = {}

        def http_call(i: int) -> None:
            query = urllib.parse.urlencode(http_params(centers[i]))
            path = f"/spatialDataContainers/{target}/payload?{query}"
            status, text = self.client.request("GET", path)
            assert status == 200, text[:300]
            hits[i] = text.count(b'"timestamp"')

        def raw_call(i: int) -> None:
            query = raw_query(centers[i])
            if isinstance(query.geometry, Nearest):
                rows = raw_nearest(self.raw, target, query.geometry, extent)
            else:
                statement, params = sql.select_points(target, query, self.raw.postgres)
                rows = self.raw.fetch(statement, params)
            assert len(rows) == hits[i], "raw SQL and HTTP disagree"

        for i in range(3):
            http_call(i)
        http_ms, raw_ms = _interleaved_medians_ms(http_call, raw_call, self.repeat)
        _line(label, http_ms, raw_ms, statistics.mean(hits.values()), self.floor_ms)

    def upstream_shaped(
        self, target: int, n: int, centers: list[tuple[float, float, float]]
    ) -> None:
        """PostgreSQL: upstream's single statements (n-D GiST), for comparison."""
        side = SIDE * (HITS / n) ** (1 / 3)
        radius = SIDE * (3 * HITS / (4 * math.pi * n)) ** (1 / 3)
        statements: dict[str, tuple[str, Callable[[tuple[float, float, float]], list[Any]]]] = {
            "box (&&& n-D GiST)": (
                "SELECT * FROM spatial_points WHERE container_id = $1 AND position &&& "
                "ST_3DMakeBox(ST_MakePoint($2, $3, $4), ST_MakePoint($5, $6, $7))",
                lambda c: [target, *(v - side / 2 for v in c), *(v + side / 2 for v in c)],
            ),
            "sphere (ST_3DDWithin)": (
                "SELECT * FROM spatial_points WHERE container_id = $1 AND "
                "ST_3DDWithin(position, ST_MakePoint($2, $3, $4), $5)",
                lambda c: [target, *c, radius],
            ),
            "knn10 (<<->> n-D GiST)": (
                "SELECT * FROM spatial_points WHERE container_id = $1 "
                "ORDER BY position <<->> ST_MakePoint($2, $3, $4) LIMIT 10",
                lambda c: [target, *c],
            ),
        }
        for label, (statement, params) in statements.items():

            def call(i: int, statement: str = statement, params: Any = params) -> None:
                self.raw.fetch(statement, params(centers[i]))

            call(0)
            median = _median_ms(call, self.repeat)
            print(f"  upstream-shaped SQL, {label:<24} raw p50 {median:8.2f} ms", flush=True)


Case = tuple[
    Callable[[tuple[float, float, float]], dict[str, str]],
    Callable[[tuple[float, float, float]], SpatialQuery],
]
INDEXES = (
    "ix_spatial_points_position_3d",
    "ix_spatial_points_position_nd",
    "ix_spatial_points_metadata",
)


def _cases(side: float, radius: float) -> dict[str, Case]:
    def box(c: tuple[float, float, float]) -> Box:
        h = side / 2
        return Box((c[0] - h, c[1] - h, c[2] - h), (c[0] + h, c[1] + h, c[2] + h))

    def box_filter(c: tuple[float, float, float]) -> str:
        b = box(c)
        return json.dumps(
            {
                "type": "AXIS_ALIGNED_BOUNDING_BOX",
                **{f"min{a}": v for a, v in zip("XYZ", b.low, strict=True)},
                **{f"max{a}": v for a, v in zip("XYZ", b.high, strict=True)},
            }
        )

    def sphere_filter(c: tuple[float, float, float]) -> str:
        center = {"centerX": c[0], "centerY": c[1], "centerZ": c[2]}
        return json.dumps({"type": "BOUNDING_SPHERE", "radius": radius, **center})

    def knn_filter(c: tuple[float, float, float]) -> str:
        return json.dumps({"type": "K_NEAREST_NEIGHBOR", "k": 10, "x": c[0], "y": c[1], "z": c[2]})

    success = json.dumps({"isSuccess": True})
    return {
        "box": (
            lambda c: {"geometryFilter": box_filter(c)},
            lambda c: SpatialQuery(geometry=box(c)),
        ),
        "sphere": (
            lambda c: {"geometryFilter": sphere_filter(c)},
            lambda c: SpatialQuery(geometry=Sphere(c, radius)),
        ),
        "knn10": (
            lambda c: {"geometryFilter": knn_filter(c)},
            lambda c: SpatialQuery(geometry=Nearest(c, 10)),
        ),
        "box+metadata": (
            lambda c: {"geometryFilter": box_filter(c), "metadataFilter": success},
            lambda c: SpatialQuery(geometry=box(c), metadata={"isSuccess": True}),
        ),
    }


def _start_server(workdir: Path, database_url: str) -> tuple[subprocess.Popen[bytes], int]:
    port = _free_port()
    env = {
        **os.environ,
        "PYSHEPARD_DATA_DIR": str(workdir),
        "PYSHEPARD_DATABASE_URL": database_url,
        "PYSHEPARD_EMBEDDED_WORKER": "false",
        "PYSHEPARD_MAX_REQUEST_BODY_BYTES": str(64 * 1024 * 1024),
    }
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        "pyshepard.app:create_app",
        "--factory",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--log-level",
        "warning",
        "--timeout-keep-alive",
        "3600",
    ]
    server = subprocess.Popen(command, env=env)  # noqa: S603 - our interpreter, fixed arguments
    _wait_until_up(f"http://127.0.0.1:{port}", server)
    return server, port


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", help="PostgreSQL server URL (a fresh database is made)")
    parser.add_argument("--points", type=int, default=200_000, help="points in the container")
    parser.add_argument("--ingest-requests", type=int, default=5, help="20 000-point requests")
    parser.add_argument("--repeat", type=int, default=REPEAT, help="queries per figure")
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="bench-spatial-"))
    made_database = None
    if args.database_url:
        made_database = f"bench_spatial_{uuid.uuid4().hex[:8]}"
        asyncio.run(_admin(args.database_url, f'CREATE DATABASE "{made_database}"'))
        url = make_url(args.database_url).set(database=made_database)
        database_url = url.render_as_string(hide_password=False)
    else:
        database_url = f"sqlite:///{workdir / 'bench.db'}"
    python = sys.version.split()[0]
    print(f"database {database_url.split('@')[-1]}; cores {os.cpu_count()}; python {python}")
    upgrade(database_url)
    settings = Settings(data_dir=workdir, database_url=database_url, embedded_worker=False)
    api_key = asyncio.run(_provision(settings))
    server, raw = None, None
    try:
        server, port = _start_server(workdir, database_url)
        raw = Raw(database_url)
        bench = Bench(Http(port, api_key), raw, args.repeat)
        bench.ingest(args.ingest_requests)
        target = bench.load(args.points)
        centers = bench.queries(target, args.points)
        if raw.postgres:
            bench.upstream_shaped(target, args.points, centers)
    finally:
        if raw is not None:
            raw.close()
        if server is not None:
            server.terminate()
            server.wait(timeout=30)
        if made_database and args.database_url:
            asyncio.run(
                _admin(args.database_url, f'DROP DATABASE IF EXISTS "{made_database}" WITH (FORCE)')
            )


if __name__ == "__main__":
    main()
