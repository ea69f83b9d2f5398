"""File upload and download through HTTP against `dd` on the same disk.

    python benchmarks/bench_files.py                 # 200 MB, temporary SQLite + local blobs
    python benchmarks/bench_files.py --size-gb 2     # the issue's figure
    python benchmarks/bench_files.py --database-url postgresql://postgres@127.0.0.1/bench
    python benchmarks/bench_files.py --blob-url 's3://bucket?endpoint=http://127.0.0.1:9000'

The server runs as a uvicorn subprocess; its resident memory is sampled from /proc every 20 ms
while the bytes stream, so "peak RSS" is the server's whole process. `dd` writes the same
number of bytes with `conv=fsync` (the local blob store fsyncs too) into the blob folder's
file system and reads them back.
"""

from __future__ import annotations

import argparse
import asyncio
import http.client
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx

from pyshepard.auth.apikeys import service as apikeys
from pyshepard.auth.users import service as users
from pyshepard.core.blobs import open_blob_store
from pyshepard.core.config import Settings
from pyshepard.core.db import Database, UnitOfWork, create_engine
from pyshepard.core.identity import Principal
from pyshepard.core.migrate import upgrade

MB = 1_000_000
CHUNK = 1024 * 1024
BOUNDARY = "bench-boundary"


@dataclass
class Sampler:
    """Samples a process's VmRSS in a thread; `peak` is the maximum seen since `reset`."""

    pid: int
    peak: int = 0
    running: bool = True

    def rss(self) -> int:
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
        return 0

    def reset(self) -> None:
        self.peak = self.rss()

    def run(self) -> None:
        while self.running:
            try:
                self.peak = max(self.peak, self.rss())
            except OSError:
                return
            time.sleep(0.02)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


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


def _body(size: int, block: bytes) -> Iterator[bytes]:
    yield (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="bench.bin"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n"
    ).encode()
    remaining = size
    while remaining > 0:
        piece = block if remaining >= len(block) else block[:remaining]
        remaining -= len(piece)
        yield piece
    yield f"\r\n--{BOUNDARY}--\r\n".encode()


def _dd(args: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(["dd", *args], check=True, capture_output=True)  # noqa: S603, S607 - fixed tool
    return time.perf_counter() - started


def _wait_until_up(url: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError("the server exited during start-up")
        try:
            if httpx.get(url + "/shepard/api/versionz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError("the server did not start")


def main() -> None:  # noqa: PLR0915 - one linear measurement script
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mb", type=int, default=200, help="file size in MB (10^6 bytes)")
    parser.add_argument("--size-gb", type=float, help="file size in GB; overrides --size-mb")
    parser.add_argument("--database-url", help="default: a temporary SQLite file")
    parser.add_argument("--blob-url", help="default: file://<temporary folder>")
    parser.add_argument("--workdir", help="folder for the database, blobs and dd (default: tmp)")
    args = parser.parse_args()
    size = int(args.size_gb * 1000 * MB) if args.size_gb else args.size_mb * MB

    workdir = Path(args.workdir or tempfile.mkdtemp(prefix="bench-files-"))
    workdir.mkdir(parents=True, exist_ok=True)
    database_url = args.database_url or f"sqlite:///{workdir / 'bench.db'}"
    blob_url = args.blob_url or f"file://{workdir / 'blobs'}"
    print(f"file size {size / MB:.0f} MB; database {database_url.split('@')[-1]}; blobs {blob_url}")
    if args.database_url:
        print("note: --database-url must point at an empty or pyshepard database")
    upgrade(database_url)
    settings = Settings(
        data_dir=workdir, database_url=database_url, blob_url=blob_url, embedded_worker=False
    )
    api_key = asyncio.run(_provision(settings))

    port = _free_port()
    env = {
        **os.environ,
        "PYSHEPARD_DATA_DIR": str(workdir),
        "PYSHEPARD_DATABASE_URL": database_url,
        "PYSHEPARD_BLOB_URL": blob_url,
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
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(base, server)
        sampler = Sampler(server.pid)
        threading.Thread(target=sampler.run, daemon=True).start()
        headers = {"X-API-KEY": api_key}
        block = os.urandom(CHUNK)
        with httpx.Client(base_url=base, headers=headers, timeout=600) as api:
            container = api.post("/shepard/api/fileContainers", json={"name": "bench"}).json()
        idle_rss = sampler.rss()
        payload = f"/shepard/api/fileContainers/{container['id']}/payload"
        # http.client: a thin client, so the figures measure the server, not h11 in Python
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
        parts = list(_body(0, block))
        length = size + sum(len(part) for part in parts)

        sampler.reset()
        started = time.perf_counter()
        connection.request(
            "POST",
            payload,
            body=_body(size, block),
            headers={
                **headers,
                "Content-Type": f"multipart/form-data; boundary={BOUNDARY}",
                "Content-Length": str(length),
            },
        )
        response = connection.getresponse()
        answer = response.read()
        upload_seconds = time.perf_counter() - started
        upload_peak = sampler.peak
        if response.status != 201:
            raise RuntimeError(f"upload failed: {response.status} {answer[:300]!r}")
        oid = json.loads(answer)["oid"]

        sampler.reset()
        received = 0
        buffer = bytearray(CHUNK)
        started = time.perf_counter()
        connection.request("GET", f"{payload}/{oid}", headers=headers)
        response = connection.getresponse()
        while count := response.readinto(buffer):
            received += count
        download_seconds = time.perf_counter() - started
        download_peak = sampler.peak
        sampler.running = False
        connection.close()
        if received != size:
            raise RuntimeError(f"downloaded {received} bytes, expected {size}")
    finally:
        server.terminate()
        server.wait(timeout=30)

    dd_file = workdir / "blobs" / "dd.bin" if blob_url.startswith("file://") else workdir / "dd.bin"
    dd_file.parent.mkdir(parents=True, exist_ok=True)
    count = size // CHUNK
    dd_write = _dd(["if=/dev/zero", f"of={dd_file}", f"bs={CHUNK}", f"count={count}", "conv=fsync"])
    dd_read = _dd([f"if={dd_file}", "of=/dev/null", f"bs={CHUNK}"])
    dd_bytes = count * CHUNK
    dd_file.unlink()

    def rate(nbytes: float, seconds: float) -> float:
        return nbytes / MB / seconds

    up, down = rate(size, upload_seconds), rate(size, download_seconds)
    dd_w, dd_r = rate(dd_bytes, dd_write), rate(dd_bytes, dd_read)
    print(f"{'':28}{'MB/s':>10}{'dd MB/s':>10}{'ratio':>8}")
    print(f"{'upload (HTTP multipart)':28}{up:10.1f}{dd_w:10.1f}{up / dd_w:8.2f}")
    print(f"{'download (HTTP)':28}{down:10.1f}{dd_r:10.1f}{down / dd_r:8.2f}")
    print(f"server RSS idle {idle_rss / 2**20:.0f} MiB")
    print(
        f"server peak RSS upload {upload_peak / 2**20:.0f} MiB "
        f"(+{(upload_peak - idle_rss) / 2**20:.0f}), "
        f"download {download_peak / 2**20:.0f} MiB (+{(download_peak - idle_rss) / 2**20:.0f}) "
        f"for a {size / 2**20:.0f} MiB file"
    )
    if not args.workdir:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
