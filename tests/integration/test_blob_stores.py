"""Both BlobStore backends against the same contract: the local folder and S3 (moto server on
loopback), including a multipart upload larger than the part size and ranged reads."""

from __future__ import annotations

import hashlib
import os
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from pyshepard.core.blobs import BlobMissing, BlobStore, open_blob_store
from pyshepard.core.blobs import s3 as s3_blobs
from pyshepard.core.blobs.s3 import MIN_PART_SIZE, S3BlobStore
from tests.s3_support import S3Endpoint

PART = MIN_PART_SIZE  # 5 MiB, the smallest part S3 accepts


@pytest.fixture(params=["local", "s3"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[BlobStore]:
    if request.param == "local":
        yield open_blob_store(f"file://{tmp_path / 'blobs'}")
        return
    s3: S3Endpoint = request.getfixturevalue("s3")
    yield open_blob_store(s3.blob_url(s3.new_bucket(), part_size=PART))


async def _chunks(data: bytes, size: int = 64 * 1024) -> AsyncIterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start : start + size]


async def _read(store: BlobStore, key: str, **window: int) -> bytes:
    return b"".join([chunk async for chunk in store.open(key, **window)])


async def test_small_blob_round_trip(store: BlobStore) -> None:
    data = b"Hello World!"
    info = await store.put_stream(_chunks(data), prefix="files/")

    assert info.key == "files/" + hashlib.sha256(data).hexdigest()
    assert info.sha256 == hashlib.sha256(data).hexdigest()
    assert info.md5 == hashlib.md5(data, usedforsecurity=False).hexdigest()
    assert info.size == len(data)
    assert await _read(store, info.key) == data
    assert await store.size(info.key) == len(data)


async def test_empty_blob(store: BlobStore) -> None:
    info = await store.put_stream(_chunks(b""), prefix="files/")

    assert info.size == 0
    assert info.key == "files/" + hashlib.sha256(b"").hexdigest()
    assert await _read(store, info.key) == b""


async def test_upload_larger_than_the_part_size(store: BlobStore) -> None:
    data = os.urandom(2 * PART + 123_457)  # three parts on S3, the last one short
    info = await store.put_stream(_chunks(data, 1024 * 1024), prefix="files/")

    assert info.sha256 == hashlib.sha256(data).hexdigest()
    assert info.size == len(data)
    assert await _read(store, info.key) == data
    # the temporary multipart object is gone: only the content key remains
    assert [entry.key async for entry in store.scan("files/")] == [info.key]


async def test_upload_of_exactly_one_part(store: BlobStore) -> None:
    data = os.urandom(PART)
    info = await store.put_stream(_chunks(data, PART), prefix="files/")

    assert await _read(store, info.key) == data


async def test_ranged_reads(store: BlobStore) -> None:
    data = os.urandom(PART + 1000)
    info = await store.put_stream(_chunks(data), prefix="files/")

    assert await _read(store, info.key, start=0, end=9) == data[:10]
    assert await _read(store, info.key, start=PART - 5, end=PART + 5) == data[PART - 5 : PART + 6]
    assert await _read(store, info.key, start=PART) == data[PART:]
    assert await _read(store, info.key, start=len(data) - 1, end=len(data) - 1) == data[-1:]


async def test_same_bytes_share_one_key(store: BlobStore) -> None:
    first = await store.put_stream(_chunks(b"same"), prefix="files/")
    second = await store.put_stream(_chunks(b"same"), prefix="files/")

    assert first.key == second.key
    assert [entry.key async for entry in store.scan("files/")] == [first.key]


async def test_stat_scan_and_delete(store: BlobStore) -> None:
    before = datetime.now(UTC) - timedelta(seconds=5)
    one = await store.put_stream(_chunks(b"one"), prefix="files/")
    other = await store.put_stream(_chunks(b"other"), prefix="elsewhere/")

    entry = await store.stat(one.key)
    assert entry is not None
    assert entry.size == 3
    assert before <= entry.modified <= datetime.now(UTC) + timedelta(seconds=5)
    assert [e.key async for e in store.scan("files/")] == [one.key]
    assert {e.key async for e in store.scan("")} == {one.key, other.key}

    await store.delete(one.key)
    await store.delete(one.key)  # absent keys are not an error
    assert await store.stat(one.key) is None
    assert await store.size(one.key) is None
    assert [e.key async for e in store.scan("files/")] == []
    assert await _read(store, other.key) == b"other"


async def test_opening_a_missing_blob_is_blob_missing(store: BlobStore) -> None:
    gone = await store.put_stream(_chunks(b"gone"), prefix="files/")
    await store.delete(gone.key)
    with pytest.raises(BlobMissing):
        await anext(store.open(gone.key))
    with pytest.raises(BlobMissing):
        await anext(store.open(gone.key, start=1, end=2))


async def test_leftovers_of_interrupted_uploads_are_abandoned_once_old(
    store: BlobStore, tmp_path: Path
) -> None:
    """What a crash mid-upload leaves: a temporary file (local), an unfinished multipart
    upload (S3). Only those started before the cutoff go; stored blobs stay."""
    kept = await store.put_stream(_chunks(b"stored"), prefix="files/")
    if isinstance(store, S3BlobStore):
        store.client.create_multipart_upload(Bucket=store.bucket, Key="files/.uploads/crashed")
    else:
        (tmp_path / "blobs" / ".upload-crashed").write_bytes(b"half a file")
    now = datetime.now(UTC)

    if not isinstance(store, S3BlobStore):  # moto dates every multipart upload 2010-11-10
        assert await store.abandon_incomplete(now - timedelta(hours=1)) == 0
    assert await store.abandon_incomplete(now + timedelta(minutes=1)) == 1
    assert await store.abandon_incomplete(now + timedelta(minutes=1)) == 0
    if isinstance(store, S3BlobStore):
        assert store.client.list_multipart_uploads(Bucket=store.bucket).get("Uploads", []) == []
    else:
        assert not (tmp_path / "blobs" / ".upload-crashed").exists()
    assert await _read(store, kept.key) == b"stored"


async def test_failed_stream_leaves_nothing(store: BlobStore) -> None:
    async def broken() -> AsyncIterator[bytes]:
        yield os.urandom(PART + 10)  # enough to start a multipart upload on S3
        raise RuntimeError("client went away")

    with pytest.raises(RuntimeError, match="client went away"):
        await store.put_stream(broken(), prefix="files/")

    assert [entry.key async for entry in store.scan("")] == []
    if isinstance(store, S3BlobStore):
        uploads = store.client.list_multipart_uploads(Bucket=store.bucket)
        assert uploads.get("Uploads", []) == []


async def test_health(store: BlobStore) -> None:
    assert await store.healthy() is True


def test_s3_url_parameters(s3: S3Endpoint) -> None:
    store = open_blob_store(s3.blob_url("bucket-x", part_size=6 * 1024 * 1024) + "&x=1")
    assert isinstance(store, S3BlobStore)
    assert store.bucket == "bucket-x"
    assert store.part_size == 6 * 1024 * 1024
    assert store.client.meta.endpoint_url == s3.url

    prefixed = S3BlobStore.from_url("s3://bucket-y/some/prefix?endpoint=http://127.0.0.1:1")
    assert prefixed.prefix == "some/prefix/"


def test_s3_rejects_parts_below_the_s3_minimum() -> None:
    with pytest.raises(ValueError, match="at least"):
        S3BlobStore.from_url("s3://bucket?endpoint=http://127.0.0.1:1&part_size=1024")


async def test_s3_missing_bucket_is_unhealthy(s3: S3Endpoint) -> None:
    store = open_blob_store(s3.blob_url("no-such-bucket-here"))
    assert await store.healthy() is False


async def test_s3_keys_live_under_the_url_prefix(s3: S3Endpoint) -> None:
    bucket = s3.new_bucket()
    url = s3.blob_url(bucket).replace(f"s3://{bucket}?", f"s3://{bucket}/tenant-a?")
    store = open_blob_store(url)
    info = await store.put_stream(_chunks(b"prefixed"), prefix="files/")

    listed = s3.client().list_objects_v2(Bucket=bucket)["Contents"]
    assert [item["Key"] for item in listed] == [f"tenant-a/{info.key}"]
    assert [entry.key async for entry in store.scan("files/")] == [info.key]


def test_s3_parts_at_the_real_settings_hold_over_800_gib_in_10_000_parts() -> None:
    total = sum(
        s3_blobs.DEFAULT_PART_SIZE * min(2 ** (n // s3_blobs.PARTS_PER_SIZE), s3_blobs.MAX_GROWTH)
        for n in range(10_000)
    )
    assert total > 800 * 1024**3
    assert s3_blobs.DEFAULT_PART_SIZE * s3_blobs.MAX_GROWTH <= 128 * 1024**2  # memory stays low


async def test_s3_parts_grow_so_large_uploads_fit_in_10_000_parts(
    s3: S3Endpoint, monkeypatch: pytest.MonkeyPatch
) -> None:
    """S3 allows 10 000 parts: with fixed 8 MiB parts an upload above ~78 GiB failed. Parts
    now double every PARTS_PER_SIZE parts (shrunk here so a few parts show it), capped."""
    monkeypatch.setattr(s3_blobs, "PARTS_PER_SIZE", 2)
    monkeypatch.setattr(s3_blobs, "MAX_GROWTH", 4)
    store = open_blob_store(s3.blob_url(s3.new_bucket(), part_size=PART))
    assert isinstance(store, S3BlobStore)
    data = os.urandom(13 * PART)
    sizes: list[int] = []
    original = s3_blobs._MultipartUpload.send_part

    def recording(self: s3_blobs._MultipartUpload, part: bytes) -> None:
        sizes.append(len(part))
        original(self, part)

    monkeypatch.setattr(s3_blobs._MultipartUpload, "send_part", recording)
    info = await store.put_stream(_chunks(data, size=PART // 2), prefix="files/")

    assert sizes == [PART, PART, 2 * PART, 2 * PART, 4 * PART, 3 * PART]  # 4x at most
    assert await _read(store, info.key) == data
