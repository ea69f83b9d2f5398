"""BlobStore on any S3-compatible object store (AWS, MinIO, Ceph, moto), through boto3.

boto3 rather than aioboto3: one dependency without aiobotocore's tight botocore pin, and every
call moves at least one part (≥ 5 MiB) or is a small metadata request, so running the blocking
calls in worker threads (`anyio.to_thread`) costs nothing measurable and keeps the loop free.

Upload: digests and part uploads run in worker threads (pipeline.py), overlapping with
receiving the next bytes. The key is the sha256 of the bytes, known only at the end, so a
stream larger than one part goes to a temporary key as a multipart upload (at most two parts
in memory: one in flight, one filling), is copied server-side to its content key and the
temporary object removed. A stream that fits one part is hashed first and written straight
to its key. Copying also refreshes `LastModified`, which the orphan sweeper's grace period
relies on.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Literal, TypeVar
from urllib.parse import parse_qs, urlsplit

import anyio
import boto3
from boto3.s3.transfer import TransferConfig
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from pyshepard.core.blobs.base import BlobEntry, BlobInfo, BlobMissing, BlobStore
from pyshepard.core.blobs.pipeline import Digests, Lane
from pyshepard.core.errors import ServiceUnavailable

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_s3.type_defs import CompletedPartTypeDef

MIB = 1024 * 1024
MIN_PART_SIZE = 5 * MIB  # S3's minimum for every part but the last
DEFAULT_PART_SIZE = 8 * MIB
READ_CHUNK = 1 * MIB
T = TypeVar("T")


class S3BlobStore(BlobStore):
    def __init__(
        self,
        client: S3Client,
        bucket: str,
        *,
        prefix: str = "",
        part_size: int = DEFAULT_PART_SIZE,
    ) -> None:
        if part_size < MIN_PART_SIZE:
            raise ValueError(f"part_size must be at least {MIN_PART_SIZE} bytes (S3's minimum)")
        self.client = client
        self.bucket = bucket
        self.prefix = prefix.strip("/") + "/" if prefix.strip("/") else ""
        self.part_size = part_size

    @classmethod
    def from_url(cls, url: str) -> S3BlobStore:
        """`s3://bucket[/prefix]?endpoint=http://host:port&region=eu-1&part_size=8388608`.

        Credentials come from `access_key`/`secret_key` parameters when given, otherwise from
        boto3's usual chain (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, profiles, roles).
        """
        parts = urlsplit(url)
        if parts.scheme != "s3" or not parts.netloc:
            raise ValueError(f"not an s3:// URL with a bucket: {url!r}")
        params = {key: values[-1] for key, values in parse_qs(parts.query).items()}
        client = boto3.client(
            "s3",
            endpoint_url=params.get("endpoint") or None,
            region_name=params.get("region") or os.environ.get("AWS_DEFAULT_REGION") or None,
            aws_access_key_id=params.get("access_key") or None,
            aws_secret_access_key=params.get("secret_key") or None,
            config=Config(
                s3={"addressing_style": _addressing(params.get("addressing_style", "path"))},
                # a store that does not answer is a 503 within seconds, not a 500 after 20
                connect_timeout=5,
                retries={"max_attempts": 3, "mode": "standard"},
            ),
        )
        part_size = int(params.get("part_size", DEFAULT_PART_SIZE))
        return cls(client, parts.netloc, prefix=parts.path, part_size=part_size)

    def _key(self, key: str) -> str:
        if not key or key.startswith("/") or ".." in key.split("/"):
            raise ValueError(f"invalid blob key {key!r}")
        return self.prefix + key

    async def _call(self, function: Callable[..., T], /, **kwargs: Any) -> T:
        try:
            return await anyio.to_thread.run_sync(lambda: function(**kwargs))
        except (BotoCoreError, ClientError) as exc:
            unavailable = _unavailable(exc)
            if unavailable is None:
                raise
            raise unavailable from exc

    async def put_stream(self, chunks: AsyncIterator[bytes], *, prefix: str = "") -> BlobInfo:
        digests, sender = Digests(), Lane("s3-part")
        buffer = bytearray()
        upload: _MultipartUpload | None = None
        try:
            async for chunk in chunks:
                await digests.update(chunk)
                buffer += chunk
                size = self.part_size if upload is None else part_size(self.part_size, upload)
                if len(buffer) >= size:
                    if upload is None:
                        upload = await self._start_upload(prefix)
                    # the part goes up in its thread while the next one is received
                    await sender.submit(upload.send_part, bytes(buffer[:size]))
                    upload.submitted += 1
                    del buffer[:size]
            sha256, md5 = await digests.finish()
            key = prefix + sha256
            if upload is None:
                await self._call(
                    self.client.put_object,
                    Bucket=self.bucket,
                    Key=self._key(key),
                    Body=bytes(buffer),
                )
            else:
                if buffer or not upload.parts:
                    await sender.submit(upload.send_part, bytes(buffer))
                await sender.wait()
                await upload.complete()
                await self._copy(upload.key, self._key(key))
                await upload.abort()  # removes the temporary object
        except BaseException as exc:
            await sender.close()  # no part is in flight while the upload is aborted
            if upload is not None:
                with anyio.CancelScope(shield=True):
                    await upload.abort()
            if isinstance(exc, BotoCoreError | ClientError) and (unavailable := _unavailable(exc)):
                raise unavailable from exc  # a part's upload failed
            raise
        finally:
            await sender.close()
            await digests.close()
        return BlobInfo(key=key, size=digests.size, sha256=sha256, md5=md5)

    async def _start_upload(self, prefix: str) -> _MultipartUpload:
        key = self._key(f"{prefix}.uploads/{uuid.uuid4().hex}")
        created = await self._call(self.client.create_multipart_upload, Bucket=self.bucket, Key=key)
        return _MultipartUpload(self, key, created["UploadId"])

    async def _copy(self, source: str, target: str) -> None:
        # managed copy: switches to a multipart copy (UploadPartCopy) above 5 GB
        config = TransferConfig(multipart_threshold=4 * 1024 * MIB, multipart_chunksize=512 * MIB)
        await anyio.to_thread.run_sync(
            lambda: self.client.copy(
                {"Bucket": self.bucket, "Key": source}, self.bucket, target, Config=config
            )
        )

    async def open(
        self, key: str, *, start: int = 0, end: int | None = None
    ) -> AsyncIterator[bytes]:
        request: dict[str, Any] = {"Bucket": self.bucket, "Key": self._key(key)}
        if start or end is not None:
            request["Range"] = f"bytes={start}-{'' if end is None else end}"
        try:
            response = await self._call(self.client.get_object, **request)
        except ClientError as exc:
            if _status(exc) == 404:
                raise BlobMissing(key) from None
            raise
        body = response["Body"]
        try:
            while chunk := await anyio.to_thread.run_sync(body.read, READ_CHUNK):
                yield chunk
        finally:
            body.close()

    async def size(self, key: str) -> int | None:
        entry = await self.stat(key)
        return None if entry is None else entry.size

    async def stat(self, key: str) -> BlobEntry | None:
        try:
            head = await self._call(self.client.head_object, Bucket=self.bucket, Key=self._key(key))
        except ClientError as exc:
            if _status(exc) == 404:
                return None
            raise
        return BlobEntry(
            key=key, size=head["ContentLength"], modified=head["LastModified"].astimezone(UTC)
        )

    async def scan(self, prefix: str = "") -> AsyncIterator[BlobEntry]:
        paginator = self.client.get_paginator("list_objects_v2")
        pages = iter(paginator.paginate(Bucket=self.bucket, Prefix=self.prefix + prefix))
        while (page := await anyio.to_thread.run_sync(next, pages, None)) is not None:
            for item in page.get("Contents", []):
                yield BlobEntry(
                    key=item["Key"].removeprefix(self.prefix),
                    size=item["Size"],
                    modified=item["LastModified"].astimezone(UTC),
                )

    async def delete(self, key: str) -> None:
        await self._call(self.client.delete_object, Bucket=self.bucket, Key=self._key(key))

    async def abandon_incomplete(self, started_before: datetime) -> int:
        """Aborts unfinished multipart uploads under this store's prefix (a finished temporary
        object under `.uploads/` is an unreferenced key, which the orphan sweep removes)."""
        paginator = self.client.get_paginator("list_multipart_uploads")
        pages = iter(paginator.paginate(Bucket=self.bucket, Prefix=self.prefix))
        aborted = 0
        while (page := await anyio.to_thread.run_sync(next, pages, None)) is not None:
            for upload in page.get("Uploads", []):
                if upload["Initiated"].astimezone(UTC) >= started_before:
                    continue
                await self._call(
                    self.client.abort_multipart_upload,
                    Bucket=self.bucket,
                    Key=upload["Key"],
                    UploadId=upload["UploadId"],
                )
                aborted += 1
        return aborted

    async def healthy(self) -> bool:
        try:
            await self._call(self.client.head_bucket, Bucket=self.bucket)
        except (ClientError, BotoCoreError, ServiceUnavailable):
            return False
        return True


# S3 takes at most 10 000 parts per upload: parts double in size every PARTS_PER_SIZE parts,
# up to 16 times the configured size (8 MiB → 128 MiB: ~860 GiB in 10 000 parts, and at most
# two parts in memory, 256 MiB, only for the largest uploads)
PARTS_PER_SIZE = 1000
MAX_GROWTH = 16


def part_size(base: int, upload: _MultipartUpload) -> int:
    """The size of the upload's next part."""
    growth: int = min(2 ** (upload.submitted // PARTS_PER_SIZE), MAX_GROWTH)
    return base * growth


class _MultipartUpload:
    def __init__(self, store: S3BlobStore, key: str, upload_id: str) -> None:
        self.store = store
        self.key = key
        self.upload_id = upload_id
        self.parts: list[CompletedPartTypeDef] = []
        self.submitted = 0  # parts handed to the sender, sent or in flight
        self.completed = False

    def send_part(self, data: bytes) -> None:
        """Blocking: uploads the next part (run in a Lane, one part at a time)."""
        number = len(self.parts) + 1
        response = self.store.client.upload_part(
            Bucket=self.store.bucket,
            Key=self.key,
            UploadId=self.upload_id,
            PartNumber=number,
            Body=data,
        )
        self.parts.append({"ETag": response["ETag"], "PartNumber": number})

    async def complete(self) -> None:
        await self.store._call(
            self.store.client.complete_multipart_upload,
            Bucket=self.store.bucket,
            Key=self.key,
            UploadId=self.upload_id,
            MultipartUpload={"Parts": self.parts},
        )

        self.completed = True

    async def abort(self) -> None:
        """Drop the parts (or the temporary object, once completed); best effort."""
        try:
            if self.completed:
                await self.store._call(
                    self.store.client.delete_object, Bucket=self.store.bucket, Key=self.key
                )
            else:
                await self.store._call(
                    self.store.client.abort_multipart_upload,
                    Bucket=self.store.bucket,
                    Key=self.key,
                    UploadId=self.upload_id,
                )
        except (ClientError, BotoCoreError, ServiceUnavailable):
            pass  # the periodic blob sweep aborts or removes what is left (files/tasks.py)


def _unavailable(exc: BotoCoreError | ClientError) -> ServiceUnavailable | None:
    """The store's failure as the API reports it: 503 when the store does not answer or fails
    on its side; None for other client errors (a 404 on a lookup), which callers handle."""
    if isinstance(exc, ClientError) and _status(exc) < 500:
        return None
    return ServiceUnavailable(
        f"The object store does not answer ({type(exc).__name__}); try again later"
    )


def _status(exc: ClientError) -> int:
    return int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0))


def _addressing(style: str) -> Literal["auto", "virtual", "path"]:
    if style == "auto":
        return "auto"
    if style == "virtual":
        return "virtual"
    if style == "path":
        return "path"
    raise ValueError(f"addressing_style must be auto, virtual or path, not {style!r}")
