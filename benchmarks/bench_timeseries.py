"""Timeseries throughput through HTTP against the raw database doing the same work.

    python benchmarks/bench_timeseries.py [--database-url URL] [--full] [--writers K]
        [--workers W]

The server runs as a uvicorn subprocess on a fresh database (a temporary SQLite file, or a new
database created on the PostgreSQL server of --database-url and dropped afterwards). Figures:
ingest with 1 000- and 100 000-point requests (points/s) against the fastest raw bulk insert of
the same batches (COPY through asyncpg on PostgreSQL; on SQLite the faster of one executemany per
batch and multi-row INSERT ... VALUES statements with sqlite3, both printed);
reading one channel's points (points/s) against a plain driver fetch of the same rows; and
downsampling that channel into 1 000 buckets with MEAN and MAX (median latency) against the same
aggregate SQL run directly. --full reads 1 000 000 points (default 200 000).

Concurrent ingest: K writers (default 4) post 1 000-point requests at once, each to its own
channel, against a server of W worker processes (default 2), and K raw connections insert the
same batches at once. The ratio is taken against the better of the concurrent and the one-
connection raw rate: SQLite takes one writer at a time, so more raw connections only queue.
"""

from __future__ import annotations

import argparse
import asyncio
import http.client
import os
import re
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
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
from pyshepard.core.migrate import upgrade
from pyshepard.data.timeseries.aggregates import aggregate_sql
from pyshepard.data.timeseries.schemas import AggregateFunction

API = "/shepard/api"
TABLE = "timeseries_points_double"
RAW_CHANNEL = 2_000_000_000  # a channel id the server never hands out
T0 = 1_700_000_000_000_000_000
TUPLE = {"measurement": "bench", "device": "dev", "location": "lab", "symbolicName": "s"}


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
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
        self.headers = {"X-API-KEY": api_key, "Content-Type": "application/json"}

    def request(self, method: str, path: str, body: bytes | None = None) -> tuple[int, bytes]:
        self.connection.request(method, API + path, body=body, headers=self.headers)
        response = self.connection.getresponse()
        return response.status, response.read()


def _batch_body(field: str, start: int, count: int) -> bytes:
    points = [{"timestamp": start + i, "value": (i % 1000) * 0.25} for i in range(count)]
    return orjson.dumps({"timeseries": {**TUPLE, "field": field}, "points": points})


def _insert_multirow(connection: sqlite3.Connection, rows: list[tuple[int, int, float]]) -> None:
    """One INSERT of up to 1 000 rows per statement: sqlite3 binds and steps the rows of an
    executemany one by one, which costs more than SQLite's own insert work."""
    for at in range(0, len(rows), 1000):
        chunk = rows[at : at + 1000]
        connection.execute(
            f"INSERT INTO {TABLE} (timeseries_id, ts, value) VALUES "  # noqa: S608
            + ",".join(["(?, ?, ?)"] * len(chunk)),
            [value for row in chunk for value in row],
        )


class Raw:
    """The same database, driven directly: COPY/fetch via asyncpg, plain sqlite3 statements."""

    def __init__(self, database_url: str) -> None:
        self.postgres = database_url.startswith("postgres")
        self.url = database_url
        self.loop = asyncio.new_event_loop()
        if self.postgres:
            url = make_url(database_url).set(drivername="postgresql")
            dsn = url.render_as_string(hide_password=False)
            self.pg = self.loop.run_until_complete(asyncpg.connect(dsn))
        else:
            self.lite = sqlite3.connect(database_url.removeprefix("sqlite:///"))
            self.lite.execute("PRAGMA journal_mode=WAL")
            self.lite.execute("PRAGMA synchronous=NORMAL")

    def methods(self) -> list[str]:
        """The raw bulk-insert methods this database is measured with."""
        return ["COPY"] if self.postgres else ["executemany", "multi-row VALUES"]

    def insert(self, rows: list[tuple[int, int, float]], method: str) -> None:
        if self.postgres:

            async def copy() -> None:
                async with self.pg.transaction():
                    await self.pg.copy_records_to_table(
                        TABLE, records=rows, columns=("timeseries_id", "ts", "value")
                    )

            self.loop.run_until_complete(copy())
        elif method == "executemany":
            with self.lite:
                self.lite.executemany(
                    f"INSERT INTO {TABLE} (timeseries_id, ts, value) VALUES (?, ?, ?)",  # noqa: S608
                    rows,
                )
        else:
            with self.lite:
                _insert_multirow(self.lite, rows)

    def query(self, sql: str, params: dict[str, Any]) -> list[Any]:
        if self.postgres:
            names: list[str] = []

            def positional(match: re.Match[str]) -> str:
                if match.group(1) not in names:
                    names.append(match.group(1))
                return f"${names.index(match.group(1)) + 1}"

            driver_sql = re.sub(r"(?<!:):(\w+)", positional, sql)
            return list(
                self.loop.run_until_complete(
                    self.pg.fetch(driver_sql, *(params[name] for name in names))
                )
            )
        return self.lite.execute(sql, params).fetchall()

    def channel_id(self, field: str) -> int:
        sql = "SELECT id FROM timeseries WHERE field = :field"
        return int(self.query(sql, {"field": field})[0][0])

    def close(self) -> None:
        if self.postgres:
            self.loop.run_until_complete(self.pg.close())
        else:
            self.lite.close()
        self.loop.close()


def _median_seconds(work: Callable[[], Any], repeat: int) -> float:
    timings = []
    for _ in range(repeat):
        started = time.perf_counter()
        work()
        timings.append(time.perf_counter() - started)
    return statistics.median(timings)


def _line(label: str, http_value: float, raw_value: float, unit: str, *, rate: bool) -> None:
    ratio = http_value / raw_value if raw_value else float("nan")
    print(
        f"{label:<44} http {http_value:>12,.1f} {unit:<9} raw {raw_value:>12,.1f} {unit:<9} "
        f"ratio {ratio:5.2f}{' (http/raw rate)' if rate else ' (http/raw time)'}"
    )


def ingest(client: Http, raw: Raw, batch: int, requests: int, start: int) -> tuple[int, float]:
    """HTTP requests and raw inserts alternate, one batch each, so that both see the same
    machine (other load on a shared box slows both alike and the ratio stays meaningful). The
    ratio is taken against the fastest raw method; each method's rate and ratio are printed too."""
    methods = raw.methods()
    bodies = [_batch_body(f"ingest{batch}", start + i * batch, batch) for i in range(requests)]
    http_seconds = 0.0
    raw_seconds = dict.fromkeys(methods, 0.0)
    for i, body in enumerate(bodies):
        started = time.perf_counter()
        status, text = client.request("POST", f"/timeseriesContainers/{CONTAINER}/payload", body)
        http_seconds += time.perf_counter() - started
        if status != 201:
            raise RuntimeError(f"ingest failed: {status} {text[:200]!r}")
        for number, method in enumerate(methods):
            rows = [
                (RAW_CHANNEL + batch + number, start + i * batch + j, (j % 1000) * 0.25)
                for j in range(batch)
            ]
            started = time.perf_counter()
            raw.insert(rows, method)
            raw_seconds[method] += time.perf_counter() - started
    points = batch * requests
    rates = {method: points / seconds for method, seconds in raw_seconds.items()}
    best = max(rates, key=rates.__getitem__)
    if len(rates) > 1:
        http_rate = points / http_seconds
        listed = "; ".join(
            f"{method} {rate:,.1f}, http/raw {http_rate / rate:.2f}"
            for method, rate in rates.items()
        )
        print(f"  (raw points/s: {listed})")
    _line(
        f"ingest {batch:,}-point requests x{requests}",
        points / http_seconds,
        rates[best],
        "points/s",
        rate=True,
    )
    return start + batch * requests, rates[best]


def _concurrently(jobs: list[Callable[[], None]]) -> float:
    """Run the jobs in threads, started together; the wall-clock seconds until all are done."""
    failures: list[BaseException] = []
    barrier = threading.Barrier(len(jobs) + 1)

    def run(job: Callable[[], None]) -> None:
        barrier.wait()
        try:
            job()
        except BaseException as exc:
            failures.append(exc)

    threads = [threading.Thread(target=run, args=(job,)) for job in jobs]
    for thread in threads:
        thread.start()
    barrier.wait()
    started = time.perf_counter()
    for thread in threads:
        thread.join()
    if failures:
        raise failures[0]
    return time.perf_counter() - started


def concurrent_ingest(
    port: int,
    api_key: str,
    database_url: str,
    *,
    writers: int,
    requests: int,
    start: int,
    sequential_raw_rate: float,
) -> int:
    """K HTTP writers at once, then K raw connections at once, the same batches."""
    batch = 1_000

    def bodies(writer: int) -> list[bytes]:
        return [_batch_body(f"par{writer}", start + i * batch, batch) for i in range(requests)]

    def http_job(writer: int) -> Callable[[], None]:
        client = Http(port, api_key)
        prepared = bodies(writer)

        def job() -> None:
            for body in prepared:
                status, text = client.request(
                    "POST", f"/timeseriesContainers/{CONTAINER}/payload", body
                )
                if status != 201:
                    raise RuntimeError(f"ingest failed: {status} {text[:200]!r}")

        return job

    http_seconds = _concurrently([http_job(w) for w in range(writers)])
    rows = [
        [
            [(RAW_CHANNEL + 10 + w, start + i * batch + j, (j % 1000) * 0.25) for j in range(batch)]
            for i in range(requests)
        ]
        for w in range(writers)
    ]
    raw_seconds = _raw_concurrently(database_url, rows)
    points = writers * requests * batch
    raw_rate = max(points / raw_seconds, sequential_raw_rate)
    print(
        f"  (raw with {writers} connections: {points / raw_seconds:,.1f} points/s; "
        f"one connection: {sequential_raw_rate:,.1f})"
    )
    _line(
        f"ingest 1,000-point requests, {writers} writers",
        points / http_seconds,
        raw_rate,
        "points/s",
        rate=True,
    )
    return start + batch * requests


def _raw_concurrently(database_url: str, rows: list[list[list[tuple[int, int, float]]]]) -> float:
    """Each writer's batches through its own connection, all writers at once."""
    if not database_url.startswith("postgres"):
        path = database_url.removeprefix("sqlite:///")

        def writer_job(batches: list[list[tuple[int, int, float]]]) -> Callable[[], None]:
            connection = sqlite3.connect(path, timeout=60, check_same_thread=False)
            connection.execute("PRAGMA synchronous=NORMAL")

            def job() -> None:
                for batch in batches:
                    with connection:
                        connection.execute("BEGIN IMMEDIATE")
                        _insert_multirow(connection, batch)
                connection.close()

            return job

        return _concurrently([writer_job(batches) for batches in rows])

    async def run() -> float:
        dsn = make_url(database_url).set(drivername="postgresql")
        connections = [
            await asyncpg.connect(dsn.render_as_string(hide_password=False)) for _ in rows
        ]

        async def write(connection: Any, batches: list[list[tuple[int, int, float]]]) -> None:
            for batch in batches:
                async with connection.transaction():
                    await connection.copy_records_to_table(
                        TABLE, records=batch, columns=("timeseries_id", "ts", "value")
                    )

        started = time.perf_counter()
        await asyncio.gather(*(write(c, b) for c, b in zip(connections, rows, strict=True)))
        elapsed = time.perf_counter() - started
        for connection in connections:
            await connection.close()
        return elapsed

    return asyncio.run(run())


CONTAINER = 0


def main() -> None:  # noqa: PLR0915 - one linear measurement script
    global CONTAINER  # noqa: PLW0603 - set once, before any measurement
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", help="PostgreSQL server URL (a fresh database is made)")
    parser.add_argument("--full", action="store_true", help="read 1 000 000 points")
    parser.add_argument("--read-points", type=int, help="points of the read channel")
    parser.add_argument("--small-requests", type=int, default=200, help="1 000-point requests")
    parser.add_argument("--large-requests", type=int, default=5, help="100 000-point requests")
    parser.add_argument("--writers", type=int, default=4, help="concurrent writers (0: skip)")
    parser.add_argument("--workers", type=int, default=2, help="server worker processes")
    args = parser.parse_args()
    read_points = args.read_points or (1_000_000 if args.full else 200_000)

    workdir = Path(tempfile.mkdtemp(prefix="bench-ts-"))
    made_database = None
    if args.database_url:
        made_database = f"bench_ts_{uuid.uuid4().hex[:8]}"
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
    port = _free_port()
    env = {
        **os.environ,
        "PYSHEPARD_DATA_DIR": str(workdir),
        "PYSHEPARD_DATABASE_URL": database_url,
        "PYSHEPARD_EMBEDDED_WORKER": "false",
    }
    server = subprocess.Popen(  # noqa: S603 - our own interpreter, fixed arguments
        [
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
            "600",
            "--workers",
            str(args.workers),
        ],
        env=env,
    )
    raw = None
    try:
        _wait_until_up(f"http://127.0.0.1:{port}", server)
        client = Http(port, api_key)
        status, body = client.request("POST", "/timeseriesContainers", b'{"name": "bench"}')
        CONTAINER = orjson.loads(body)["id"]
        raw = Raw(database_url)

        next_start, sequential_raw_rate = ingest(client, raw, 1_000, args.small_requests, T0)
        if args.writers:
            next_start = concurrent_ingest(
                port,
                api_key,
                database_url,
                writers=args.writers,
                requests=max(1, args.small_requests // args.writers),
                start=next_start,
                sequential_raw_rate=sequential_raw_rate,
            )
        next_start, _ = ingest(client, raw, 100_000, args.large_requests, next_start)

        # one channel of `read_points` points, one point per microsecond
        step = 1_000
        for offset in range(0, read_points, 100_000):
            count = min(100_000, read_points - offset)
            points = [
                {"timestamp": T0 + (offset + i) * step, "value": ((offset + i) % 977) * 0.5}
                for i in range(count)
            ]
            status, text = client.request(
                "POST",
                f"/timeseriesContainers/{CONTAINER}/payload",
                orjson.dumps({"timeseries": {**TUPLE, "field": "read"}, "points": points}),
            )
            assert status == 201, text
        start, end = T0, T0 + (read_points - 1) * step
        query = (
            f"measurement=bench&device=dev&location=lab&symbolic_name=s&field=read"
            f"&start={start}&end={end}"
        )
        path = f"/timeseriesContainers/{CONTAINER}/payload?{query}"
        channel = raw.channel_id("read")

        def http_read() -> None:
            status, text = client.request("GET", path)
            assert status == 200
            assert text.count(b"timestamp") == read_points  # every point came back

        def raw_read() -> None:
            rows = raw.query(
                f"SELECT ts, value FROM {TABLE} WHERE timeseries_id = :tid "  # noqa: S608
                "AND ts >= :start AND ts <= :end ORDER BY ts",
                {"tid": channel, "start": start, "end": end},
            )
            assert len(rows) == read_points

        http_time = _median_seconds(http_read, 3)
        raw_time = _median_seconds(raw_read, 3)
        _line(
            f"read {read_points:,} points of one channel",
            read_points / http_time,
            read_points / raw_time,
            "points/s",
            rate=True,
        )

        width = -(-(end - start + 1) // 1000)
        dialect = "postgresql" if raw.postgres else "sqlite"
        for function in (AggregateFunction.MEAN, AggregateFunction.MAX):
            sql = aggregate_sql(dialect, TABLE, function)
            params = {"tid": channel, "start": start, "end": end, "width": width}

            def http_aggregate(function: AggregateFunction = function) -> None:
                status, text = client.request("GET", f"{path}&function={function}&group_by={width}")
                assert status == 200
                assert text.count(b"timestamp") == 1000

            def raw_aggregate(sql: str = sql, params: dict[str, Any] = params) -> None:
                assert len(raw.query(sql, params)) == 1000

            http_aggregate()
            raw_aggregate()
            http_time = _median_seconds(http_aggregate, 7)
            raw_time = _median_seconds(raw_aggregate, 7)
            _line(
                f"downsample {read_points:,} -> 1000 buckets, {function}",
                http_time * 1000,
                raw_time * 1000,
                "ms",
                rate=False,
            )
    finally:
        if raw is not None:
            raw.close()
        server.terminate()
        server.wait(timeout=30)
        if made_database and args.database_url:
            asyncio.run(
                _admin(args.database_url, f'DROP DATABASE IF EXISTS "{made_database}" WITH (FORCE)')
            )


if __name__ == "__main__":
    main()
