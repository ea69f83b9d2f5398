"""Structured data: document ingest through HTTP and Mongo-filter queries, against raw SQL.

    python benchmarks/bench_structured.py [--database-url URL] [--docs N] [--query-docs M]

The server runs as a uvicorn subprocess on a fresh database (a temporary SQLite file, or a new
database created on the PostgreSQL server of --database-url and dropped afterwards).
Figures, each with its ratio to the raw database doing the same work:
- ingest: N documents POSTed one per request (upstream's API shape) against raw INSERTs of the
  same documents, both one transaction per document and one executemany for all of them;
- query: Mongo-style filters run through `service.search_documents` (translation, permission
  filter, SQL) and through `POST /search` against the equivalent hand-written SQL, on a
  container of M documents (median of --repeat runs).
"""

from __future__ import annotations

import argparse
import asyncio
import http.client
import json
import os
import random
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from sqlalchemy import make_url

from pyshepard.auth.apikeys import service as apikeys
from pyshepard.auth.users import service as users
from pyshepard.core.blobs import open_blob_store
from pyshepard.core.config import Settings
from pyshepard.core.db import Database, UnitOfWork, create_engine
from pyshepard.core.identity import Principal
from pyshepard.core.migrate import upgrade
from pyshepard.data.structured import service
from pyshepard.data.structured.documents import new_oid

API = "/shepard/api"
USER = "bench"
STATUSES = ["A", "A", "B", "D"]
TAGS = ["red", "blue", "green", "plain", "gray"]

# (label, Mongo filter, PostgreSQL SQL, SQLite SQL); :c is the container id
QUERIES: list[tuple[str, dict[str, Any], str, str]] = [
    (
        "{status: 'A', qty: {$lt: 30}}",
        {"status": "A", "qty": {"$lt": 30}},
        "SELECT oid, name, created_at, document FROM structured_data WHERE container_id = $1 "
        "AND document->>'status' = 'A' AND jsonb_typeof(document->'qty') = 'number' "
        "AND (document->'qty')::numeric < 30 ORDER BY id",
        "SELECT oid, name, created_at, document FROM structured_data WHERE container_id = ? "
        "AND json_extract(document, '$.status') = 'A' "
        "AND json_type(document, '$.qty') IN ('integer', 'real') "
        "AND json_extract(document, '$.qty') < 30 ORDER BY id",
    ),
    (
        "{'size.h': {$gte: 14}, tags: 'red'}",
        {"size.h": {"$gte": 14}, "tags": "red"},
        "SELECT oid, name, created_at, document FROM structured_data WHERE container_id = $1 "
        "AND jsonb_typeof(document->'size'->'h') = 'number' "
        "AND (document->'size'->'h')::numeric >= 14 AND document->'tags' @> '[\"red\"]' "
        "ORDER BY id",
        "SELECT oid, name, created_at, document FROM structured_data WHERE container_id = ? "
        "AND json_type(document, '$.size.h') IN ('integer', 'real') "
        "AND json_extract(document, '$.size.h') >= 14 AND EXISTS (SELECT 1 FROM "
        "json_each(document, '$.tags') WHERE value = 'red') ORDER BY id",
    ),
    (
        "{$or: [{status: 'D'}, {qty: {$gt: 95}}]}",
        {"$or": [{"status": "D"}, {"qty": {"$gt": 95}}]},
        "SELECT oid, name, created_at, document FROM structured_data WHERE container_id = $1 "
        "AND (document->>'status' = 'D' OR (jsonb_typeof(document->'qty') = 'number' "
        "AND (document->'qty')::numeric > 95)) ORDER BY id",
        "SELECT oid, name, created_at, document FROM structured_data WHERE container_id = ? "
        "AND (json_extract(document, '$.status') = 'D' OR "
        "(json_type(document, '$.qty') IN ('integer', 'real') "
        "AND json_extract(document, '$.qty') > 95)) ORDER BY id",
    ),
    (
        "{item: {$regex: '^journal-1', $options: 'i'}}",
        {"item": {"$regex": "^journal-1", "$options": "i"}},
        "SELECT oid, name, created_at, document FROM structured_data WHERE container_id = $1 "
        "AND document->>'item' ~* '^journal-1' ORDER BY id",
        "SELECT oid, name, created_at, document FROM structured_data WHERE container_id = ? "
        "AND json_extract(document, '$.item') REGEXP '(?i)^journal-1' ORDER BY id",
    ),
]


def document(index: int, rng: random.Random) -> dict[str, Any]:
    return {
        "item": f"journal-{index}",
        "qty": rng.randint(0, 100),
        "status": rng.choice(STATUSES),
        "size": {"h": round(rng.uniform(5, 30), 1), "w": round(rng.uniform(5, 40), 1), "uom": "cm"},
        "tags": rng.sample(TAGS, rng.randint(0, 3)),
        "notes": "x" * rng.randint(0, 80),
    }


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


def _database(settings: Settings) -> Database:
    return Database(
        settings=settings,
        engine=create_engine(settings.resolved_database_url),
        blobs=open_blob_store(settings.resolved_blob_url),
    )


async def _provision(db: Database) -> str:
    async def work(uow: UnitOfWork) -> str:
        await users.create_user(uow, USER)
        system = Principal(username="system", via="system")
        issued = await apikeys.create_api_key(
            uow, system, USER, name="bench", issuer="http://127.0.0.1"
        )
        return issued.jws

    key: str = await db.run(work)
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
    """One keep-alive connection, so the figures measure the server, not the client."""

    def __init__(self, port: int, api_key: str) -> None:
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
        self.headers = {"X-API-KEY": api_key, "Content-Type": "application/json"}

    def request(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        data = None if body is None else json.dumps(body).encode()
        try:
            self.connection.request(method, API + path, body=data, headers=self.headers)
            response = self.connection.getresponse()
        except (BrokenPipeError, ConnectionResetError, http.client.RemoteDisconnected):
            self.connection.close()  # the server closed an idle keep-alive connection
            self.connection.request(method, API + path, body=data, headers=self.headers)
            response = self.connection.getresponse()
        text = response.read()
        return response.status, json.loads(text) if text else None


class Raw:
    """The same database driven directly: asyncpg on PostgreSQL, sqlite3 on SQLite."""

    def __init__(self, database_url: str) -> None:
        self.postgres = database_url.startswith("postgres")
        self.loop = asyncio.new_event_loop()
        if self.postgres:
            url = make_url(database_url).set(drivername="postgresql")
            self.pg = self.loop.run_until_complete(
                asyncpg.connect(url.render_as_string(hide_password=False))
            )
        else:
            self.lite = sqlite3.connect(database_url.removeprefix("sqlite:///"))
            self.lite.execute("PRAGMA journal_mode=WAL")
            self.lite.execute("PRAGMA synchronous=NORMAL")
            self.lite.execute("PRAGMA busy_timeout=30000")

    def insert(self, rows: list[tuple[int, str, str, datetime, str]], *, each: bool) -> None:
        """Insert (container_id, oid, name, created_at, json) rows; `each` = one tx per row."""
        if self.postgres:
            sql = (
                "INSERT INTO structured_data (container_id, oid, name, created_at, document) "
                "VALUES ($1, $2, $3, $4, $5::jsonb)"
            )

            async def run() -> None:
                if each:
                    for row in rows:
                        await self.pg.execute(sql, *row)
                else:
                    async with self.pg.transaction():
                        await self.pg.executemany(sql, rows)

            self.loop.run_until_complete(run())
            return
        sql = (
            "INSERT INTO structured_data (container_id, oid, name, created_at, document) "
            "VALUES (?, ?, ?, ?, ?)"
        )
        plain = [(c, o, n, t.replace(tzinfo=None).isoformat(" "), d) for c, o, n, t, d in rows]
        if each:
            for row in plain:
                with self.lite:
                    self.lite.execute(sql, row)
        else:
            with self.lite:
                self.lite.executemany(sql, plain)

    def rows(self, sql: str, container_id: int) -> list[tuple[Any, ...]]:
        """Rows whose last column is a JSON document, decoded as the service decodes it."""
        if self.postgres:
            fetched = self.loop.run_until_complete(self.pg.fetch(sql, container_id))
        else:
            fetched = self.lite.execute(sql, (container_id,)).fetchall()
        return [(*row[:-1], json.loads(row[-1])) for row in fetched]

    def oids(self, sql: str, container_id: int) -> list[str]:
        if self.postgres:
            rows = self.loop.run_until_complete(self.pg.fetch(sql, container_id))
            return [row[0] for row in rows]
        return [row[0] for row in self.lite.execute(sql, (container_id,))]

    def close(self) -> None:
        if self.postgres:
            self.loop.run_until_complete(self.pg.close())
        else:
            self.lite.close()
        self.loop.close()


def _regexp(pattern: str, value: str | None) -> bool:
    import re  # noqa: PLC0415 - only the SQLite raw path needs it

    return value is not None and re.search(pattern, value) is not None


def _median(work: Callable[[], Any], repeat: int) -> float:
    timings = []
    for _ in range(repeat):
        started = time.perf_counter()
        work()
        timings.append(time.perf_counter() - started)
    return statistics.median(timings)


def _line(label: str, ours: float, raw: float, unit: str, *, rate: bool) -> None:
    ratio = ours / raw if raw else float("nan")
    kind = "ours/raw rate" if rate else "ours/raw time"
    figures = f"{ours:>11,.1f} {unit:<7} raw {raw:>11,.1f} {unit:<7} ratio {ratio:6.2f}"
    print(f"{label:<60} {figures} ({kind})")


def bench_ingest(client: Http, raw: Raw, container_id: int, docs: int, concurrency: int) -> None:
    rng = random.Random(1)
    bodies = [
        {"structuredData": {"name": f"d{i}"}, "payload": json.dumps(document(i, rng))}
        for i in range(docs)
    ]
    port = client.connection.port
    api_key = client.headers["X-API-KEY"]

    def post_all(chunk: list[dict[str, Any]]) -> None:
        connection = Http(port, api_key)
        for body in chunk:
            status, answer = connection.request(
                "POST", f"/structuredDataContainers/{container_id}/payload", body
            )
            if status != 201:
                raise RuntimeError(f"upload failed: {status} {answer}")

    chunks = [bodies[i::concurrency] for i in range(concurrency)]
    started = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        list(pool.map(post_all, chunks))
    http_rate = docs / (time.perf_counter() - started)

    now = datetime.now(UTC)
    rows = [
        (container_id, new_oid(), f"r{i}", now, body["payload"]) for i, body in enumerate(bodies)
    ]
    started = time.perf_counter()
    raw.insert(rows, each=True)
    raw_each = docs / (time.perf_counter() - started)
    rows = [
        (container_id, new_oid(), f"r{i}", now, body["payload"]) for i, body in enumerate(bodies)
    ]
    started = time.perf_counter()
    raw.insert(rows, each=False)
    raw_batch = docs / (time.perf_counter() - started)
    label = f"ingest {docs:,} docs via HTTP ({concurrency} clients)"
    _line(f"{label} vs 1 tx/doc", http_rate, raw_each, "docs/s", rate=True)
    _line(f"{label} vs 1 executemany", http_rate, raw_batch, "docs/s", rate=True)


def bench_queries(
    settings: Settings,
    client: Http,
    *,
    raw: Raw,
    container_id: int,
    collection: dict[str, int],
    repeat: int,
) -> None:
    actor = Principal(username=USER, via="bench")
    loop = asyncio.new_event_loop()
    db = _database(settings)

    def through_service(filter_doc: dict[str, Any]) -> list[str]:
        async def work(uow: UnitOfWork) -> list[str]:
            rows = await service.search_documents(uow, actor, [container_id], filter_doc)
            return [row.oid for row in rows]

        run: Awaitable[list[str]] = db.run(work)
        return loop.run_until_complete(run)

    for label, filter_doc, pg_sql, lite_sql in QUERIES:
        sql = pg_sql if raw.postgres else lite_sql
        ours = through_service(filter_doc)
        theirs = raw.oids(sql, container_id)
        if ours != theirs:
            raise RuntimeError(
                f"{label}: service and raw SQL disagree ({len(ours)} vs {len(theirs)})"
            )
        service_time = _median(lambda f=filter_doc: through_service(f), repeat)
        raw_time = _median(lambda s=sql: raw.oids(s, container_id), repeat)
        _line(
            f"{label} ({len(ours):,} hits) service",
            service_time * 1000,
            raw_time * 1000,
            "ms",
            rate=False,
        )
        if collection:
            body = {
                "scopes": [{"collectionId": collection["c"], "traversalRules": []}],
                "searchParams": {"query": json.dumps(filter_doc), "queryType": "StructuredData"},
            }
            status, _ = client.request("POST", "/search", body)
            if status == 200:
                http_time = _median(lambda b=body: client.request("POST", "/search", b), repeat)
                _line(
                    f"{label} POST /search (vs raw full filter)",
                    http_time * 1000,
                    raw_time * 1000,
                    "ms",
                    rate=False,
                )
            else:
                print(f"{label} POST /search: {status} (not measured)")
    loop.run_until_complete(db.dispose())
    loop.close()


def main() -> None:  # noqa: PLR0915 - one linear measurement script
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", help="PostgreSQL server URL (a fresh database is made)")
    parser.add_argument("--docs", type=int, default=2_000, help="documents ingested via HTTP")
    parser.add_argument("--query-docs", type=int, default=50_000, help="documents queried")
    parser.add_argument("--concurrency", type=int, default=4, help="HTTP clients for ingest")
    parser.add_argument("--repeat", type=int, default=7, help="runs per query (median)")
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="bench-sd-"))
    made_database = None
    if args.database_url:
        made_database = f"bench_sd_{uuid.uuid4().hex[:8]}"
        asyncio.run(_admin(args.database_url, f'CREATE DATABASE "{made_database}"'))
        database_url = (
            make_url(args.database_url)
            .set(database=made_database)
            .render_as_string(hide_password=False)
        )
    else:
        database_url = f"sqlite:///{workdir / 'bench.db'}"
    python = sys.version.split()[0]
    print(f"database {database_url.split('@')[-1]}; cores {os.cpu_count()}; python {python}")
    upgrade(database_url)
    settings = Settings(data_dir=workdir, database_url=database_url, embedded_worker=False)
    setup_loop = asyncio.new_event_loop()
    db = _database(settings)
    api_key = setup_loop.run_until_complete(_provision(db))
    setup_loop.run_until_complete(db.dispose())
    setup_loop.close()
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
        ],
        env=env,
    )
    raw = None
    try:
        _wait_until_up(f"http://127.0.0.1:{port}", server)
        client = Http(port, api_key)
        raw = Raw(database_url)
        if not raw.postgres:
            raw.lite.create_function("regexp", 2, _regexp, deterministic=True)

        _, ingest_container = client.request("POST", "/structuredDataContainers", {"name": "in"})
        bench_ingest(client, raw, ingest_container["id"], args.docs, args.concurrency)

        _, container = client.request("POST", "/structuredDataContainers", {"name": "query"})
        rng = random.Random(2)
        now = datetime.now(UTC)
        for start in range(0, args.query_docs, 10_000):
            rows = [
                (container["id"], new_oid(), None, now, json.dumps(document(i, rng)))
                for i in range(start, min(start + 10_000, args.query_docs))
            ]
            raw.insert(rows, each=False)
        if raw.postgres:
            raw.loop.run_until_complete(raw.pg.execute("ANALYZE structured_data"))
        # a reference to every document of the query container, for POST /search
        _, collection = client.request("POST", "/collections", {"name": "bench"})
        _, data_object = client.request(
            "POST", f"/collections/{collection['id']}/dataObjects", {"name": "d"}
        )
        all_oids = "SELECT oid FROM structured_data WHERE container_id = {} ORDER BY id"
        oids = raw.oids(all_oids.format("$1" if raw.postgres else "?"), container["id"])
        status, _ = client.request(
            "POST",
            f"/collections/{collection['id']}/dataObjects/{data_object['id']}/structuredDataReferences",
            {
                "name": "all",
                "structuredDataContainerId": container["id"],
                "structuredDataOids": oids,
            },
        )
        scope = {"c": collection["id"]} if status == 201 else {}
        print(f"queries over {args.query_docs:,} documents (median of {args.repeat})")
        bench_queries(
            settings,
            client,
            raw=raw,
            container_id=container["id"],
            collection=scope,
            repeat=args.repeat,
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
