"""File containers and files (upstream FileIT plus the error paths, ranges and blob lifecycle),
run against both blob backends: the local folder and S3 (moto server on loopback)."""

from __future__ import annotations

import asyncio
import hashlib
import os
import re
import socket
import tracemalloc
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import httpx
import pytest

from pyshepard.app import create_app
from pyshepard.core.config import Settings
from pyshepard.core.db import Database
from tests.api.files_support import (
    CONTAINERS,
    S3_PART_SIZE,
    TEST_TXT,
    Backend,
    create_container,
    file_rows,
    list_files,
    multipart,
    s3_backend,
    share,
    streamed_multipart,
    upload,
)
from tests.conftest import API, ApiUser
from tests.s3_support import S3Endpoint

TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}\+00:00$")
DENIED = "The requested action is forbidden by the permission policies."
NO_READ, NO_WRITE = (
    f"{DENIED} User has no READ permissions.",
    f"{DENIED} User has no WRITE permissions.",
)
MISSING_ID = 987_654_321_012


@pytest.fixture(scope="module")
async def s3_files(settings: Settings, s3: S3Endpoint) -> AsyncIterator[Backend]:
    async with s3_backend(settings, s3) as backend:
        yield backend


@pytest.fixture(params=["local", "s3"])
def backend(request: pytest.FixtureRequest, client: httpx.AsyncClient, db: Database) -> Backend:
    if request.param == "local":
        return Backend("local", client, db.blobs)
    s3_files: Backend = request.getfixturevalue("s3_files")
    return s3_files


def _md5(data: bytes) -> str:
    return hashlib.md5(data, usedforsecurity=False).hexdigest()


# --- containers (FileIT 1-3 and the lookups) ---------------------------------------------------


async def test_create_file_container(client: httpx.AsyncClient, user: ApiUser) -> None:
    created = await create_container(client, user, "FileContainer")

    assert set(created) == {
        "id",
        "createdAt",
        "createdBy",
        "updatedAt",
        "updatedBy",
        "name",
        "type",
        "oid",
        "defaultCollectionIdList",
    }
    assert isinstance(created["id"], int)
    assert TIMESTAMP.match(created["createdAt"])
    assert created["createdBy"] == user.username
    assert created["oid"].strip()
    assert created["name"] == "FileContainer"
    assert created["type"] == "FILE"
    assert created["updatedAt"] is None
    assert created["updatedBy"] is None


async def test_list_and_get_file_containers(client: httpx.AsyncClient, user: ApiUser) -> None:
    created = await create_container(client, user)

    listed = await client.get(CONTAINERS, headers=user.headers)
    fetched = await client.get(f"{CONTAINERS}/{created['id']}", headers=user.headers)

    assert listed.status_code == 200
    assert created["id"] in [item["id"] for item in listed.json()]
    assert fetched.status_code == 200
    assert fetched.json() == created


async def test_list_filters_pages_and_orders(
    client: httpx.AsyncClient, make_user: Callable[..., Awaitable[ApiUser]]
) -> None:
    owner, stranger = await make_user(), await make_user()
    tag = uuid.uuid4().hex[:8]
    names = [f"b-{tag}", f"A-{tag}", f"c-{tag}"]
    ids = [(await create_container(client, owner, name))["id"] for name in names]
    hidden = (await create_container(client, stranger, f"A-{tag}"))["id"]

    def listed(**params: Any) -> Awaitable[httpx.Response]:
        return client.get(CONTAINERS, params=params, headers=owner.headers)

    # other tests' Public containers are readable too: look at ours within the whole list
    everything = (await listed()).json()
    by_name = (await listed(name=f"A-{tag}")).json()
    descending = (await listed(orderBy="name", orderDesc="true")).json()
    ascending = (await listed(orderBy="name")).json()
    second = (await listed(orderBy="name", page=1, size=1)).json()

    assert [item["id"] for item in everything if item["id"] in ids] == ids
    assert hidden not in [item["id"] for item in everything]
    assert [item["id"] for item in by_name] == [ids[1]]
    assert [item["name"] for item in descending if tag in item["name"]] == [
        f"c-{tag}",
        f"b-{tag}",
        f"A-{tag}",  # text orders ignore case, as upstream's toLower
    ]
    assert [item["name"] for item in ascending if tag in item["name"]] == [
        f"A-{tag}",
        f"b-{tag}",
        f"c-{tag}",
    ]
    assert second == ascending[1:2]
    assert all(item["defaultCollectionIdList"] is None for item in everything)


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"size": 0}, "getAllFileContainers.size"),
        ({"page": -1}, "getAllFileContainers.page"),
        ({"orderBy": "type"}, "getAllFileContainers.orderBy"),
    ],
)
async def test_list_rejects_bad_parameters(
    client: httpx.AsyncClient, user: ApiUser, params: dict[str, Any], field: str
) -> None:
    response = await client.get(CONTAINERS, params=params, headers=user.headers)

    assert response.status_code == 400
    assert [violation["field"] for violation in response.json()["violations"]] == [field]


async def test_get_missing_container_is_404(client: httpx.AsyncClient, user: ApiUser) -> None:
    response = await client.get(f"{CONTAINERS}/99999", headers=user.headers)

    assert response.status_code == 404
    assert (
        response.json()["message"] == "ID ERROR - File Container with id 99999 is null or deleted"
    )


async def test_get_negative_id_is_a_constraint_violation(
    client: httpx.AsyncClient, user: ApiUser
) -> None:
    response = await client.get(f"{CONTAINERS}/-1", headers=user.headers)

    assert response.status_code == 400
    assert response.text == (
        '{"title":"Constraint Violation","status":400,"violations":[{"field":'
        '"getFileContainer.fileContainerId","message":"must be greater than or equal to 0"}]}'
    )


@pytest.mark.parametrize("body", [{}, {"name": ""}, {"name": "   "}, {"name": None}])
async def test_create_needs_a_name(
    client: httpx.AsyncClient, user: ApiUser, body: dict[str, Any]
) -> None:
    async def mine() -> list[dict[str, Any]]:
        listed = (await client.get(CONTAINERS, headers=user.headers)).json()
        return [item for item in listed if item["createdBy"] == user.username]

    before = await mine()
    response = await client.post(CONTAINERS, json=body, headers=user.headers)

    assert response.status_code == 400
    assert response.json()["violations"][0]["field"] == "createFileContainer.name"
    assert await mine() == before


async def test_read_only_fields_are_ignored_on_create(
    client: httpx.AsyncClient, user: ApiUser
) -> None:
    response = await client.post(
        CONTAINERS,
        json={"name": "x", "id": 5, "oid": "mine", "createdBy": "someone", "type": "TIMESERIES"},
        headers=user.headers,
    )

    assert response.status_code == 201
    body = response.json()
    assert body["id"] != 5
    assert body["oid"] != "mine"
    assert body["createdBy"] == user.username
    assert body["type"] == "FILE"


async def test_a_container_of_another_kind_is_not_a_file_container(
    client: httpx.AsyncClient, db: Database, user: ApiUser
) -> None:
    other = await _other_kind_container(db, user)

    response = await client.get(f"{CONTAINERS}/{other}", headers=user.headers)

    assert response.status_code == 404
    assert response.json()["message"] == (
        f"ID ERROR - File Container with id {other} is null or deleted"
    )


async def _other_kind_container(db: Database, user: ApiUser) -> int:
    from pyshepard.core.identity import Principal  # noqa: PLC0415 - test-only shortcut
    from pyshepard.data.containers import service as containers  # noqa: PLC0415
    from pyshepard.data.containers.schemas import ContainerType  # noqa: PLC0415

    async def work(uow):  # type: ignore[no-untyped-def]
        actor = Principal(username=user.username, via="apikey")
        return (await containers.create_container(uow, actor, ContainerType.TIMESERIES, "ts")).id

    container_id: int = await db.run(work)
    return container_id


# --- files (FileIT 4-8) ---------------------------------------------------------------------


async def test_upload_list_download_delete(backend: Backend, db: Database, user: ApiUser) -> None:
    client = backend.client
    container = await create_container(client, user)
    base = f"{CONTAINERS}/{container['id']}/payload"

    uploaded = await upload(client, user, container["id"], TEST_TXT, "test.txt")

    assert set(uploaded) == {"oid", "createdAt", "filename", "md5"}
    assert uploaded["oid"].strip()
    assert TIMESTAMP.match(uploaded["createdAt"])
    assert uploaded["filename"] == "test.txt"
    assert uploaded["md5"] == _md5(TEST_TXT).upper()  # upstream prints upper-case hex
    assert await list_files(client, user, container["id"]) == [uploaded]

    download = await client.get(f"{base}/{uploaded['oid']}", headers=user.headers)
    assert download.status_code == 200
    assert download.content == TEST_TXT
    assert download.headers["content-type"] == "application/octet-stream"
    assert download.headers["content-disposition"] == 'attachment; filename="test.txt"'
    assert download.headers["content-length"] == str(len(TEST_TXT))
    assert download.headers["etag"] == f'"{hashlib.sha256(TEST_TXT).hexdigest()}"'
    assert download.headers["accept-ranges"] == "bytes"
    key = "files/" + hashlib.sha256(TEST_TXT).hexdigest()
    assert await backend.blobs.stat(key) is not None

    deleted = await client.delete(f"{base}/{uploaded['oid']}", headers=user.headers)
    assert deleted.status_code == 204
    gone = await client.get(f"{base}/{uploaded['oid']}", headers=user.headers)
    assert gone.status_code == 404
    assert gone.json() == {
        "status": 404,
        "exception": "NotFoundException",
        "message": f"Could not find document with oid: {uploaded['oid']}",
    }
    assert await list_files(client, user, container["id"]) == []
    assert await file_rows(db, container["id"]) == []
    assert await backend.blobs.stat(key) is None


async def test_a_file_whose_bytes_are_lost_is_404_before_any_byte_goes_out(
    backend: Backend, user: ApiUser
) -> None:
    """Bytes removed from the blob store behind pyshepard's back: a clear 404, not a stream
    that breaks after a 200; the file's row stays (a read deletes nothing)."""
    client = backend.client
    container = await create_container(client, user)
    data = f"bytes that will be lost {uuid.uuid4()}".encode()  # a blob of its own
    uploaded = await upload(client, user, container["id"], data, "lost.txt")
    await backend.blobs.delete("files/" + hashlib.sha256(data).hexdigest())

    response = await client.get(
        f"{CONTAINERS}/{container['id']}/payload/{uploaded['oid']}", headers=user.headers
    )
    assert response.status_code == 404
    assert response.json() == {
        "status": 404,
        "exception": "NotFoundException",
        "message": f"The content of file {uploaded['oid']} is missing from the storage",
    }
    assert await list_files(client, user, container["id"]) == [uploaded]


async def test_delete_container_removes_files_and_blobs(
    backend: Backend, db: Database, user: ApiUser
) -> None:
    client = backend.client
    container = await create_container(client, user)
    data = [os.urandom(100), os.urandom(200)]
    for index, payload in enumerate(data):
        await upload(client, user, container["id"], payload, f"f{index}.bin")

    response = await client.delete(f"{CONTAINERS}/{container['id']}", headers=user.headers)

    assert response.status_code == 204
    assert (
        await client.get(f"{CONTAINERS}/{container['id']}", headers=user.headers)
    ).status_code == 404
    assert await file_rows(db, container["id"]) == []
    for payload in data:
        assert await backend.blobs.stat("files/" + hashlib.sha256(payload).hexdigest()) is None
    listed = await client.get(CONTAINERS, headers=user.headers)
    assert container["id"] not in [item["id"] for item in listed.json()]


async def test_shared_bytes_keep_their_blob_until_the_last_file_goes(
    backend: Backend, user: ApiUser
) -> None:
    client = backend.client
    first, second = await create_container(client, user), await create_container(client, user)
    payload = os.urandom(1000)
    key = "files/" + hashlib.sha256(payload).hexdigest()
    one = await upload(client, user, first["id"], payload, "one.bin")
    two = await upload(client, user, second["id"], payload, "two.bin")
    three = await upload(client, user, second["id"], payload, "three.bin")
    assert len({one["oid"], two["oid"], three["oid"]}) == 3

    await client.delete(f"{CONTAINERS}/{first['id']}", headers=user.headers)
    assert await backend.blobs.stat(key) is not None
    await client.delete(f"{CONTAINERS}/{second['id']}/payload/{two['oid']}", headers=user.headers)
    assert await backend.blobs.stat(key) is not None
    download = await client.get(
        f"{CONTAINERS}/{second['id']}/payload/{three['oid']}", headers=user.headers
    )
    assert download.content == payload

    await client.delete(f"{CONTAINERS}/{second['id']}/payload/{three['oid']}", headers=user.headers)
    assert await backend.blobs.stat(key) is None


async def test_large_upload_streams_in_parts(backend: Backend, user: ApiUser) -> None:
    client = backend.client
    container = await create_container(client, user)
    size = 2 * S3_PART_SIZE + 777  # a multipart upload of three parts on S3
    body, content_type, block = streamed_multipart("big.bin", size)

    response = await client.post(
        f"{CONTAINERS}/{container['id']}/payload",
        content=body,
        headers={**user.headers, "Content-Type": content_type},
    )

    assert response.status_code == 201, response.text
    expected = (block * 11)[:size]
    assert response.json()["md5"] == _md5(expected).upper()
    download = await client.get(
        f"{CONTAINERS}/{container['id']}/payload/{response.json()['oid']}", headers=user.headers
    )
    assert download.headers["content-length"] == str(size)
    assert hashlib.sha256(download.content).hexdigest() == hashlib.sha256(expected).hexdigest()


async def test_upload_memory_stays_flat(client: httpx.AsyncClient, user: ApiUser) -> None:
    container = await create_container(client, user)
    size = 48 * 1024 * 1024
    body, content_type, _ = streamed_multipart("flat.bin", size)

    tracemalloc.start()
    try:
        response = await client.post(
            f"{CONTAINERS}/{container['id']}/payload",
            content=body,
            headers={**user.headers, "Content-Type": content_type},
        )
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert response.status_code == 201, response.text
    assert peak < size / 4, f"peak {peak / 2**20:.1f} MiB for a {size / 2**20:.0f} MiB upload"


async def test_no_transaction_is_held_while_an_upload_streams(
    client: httpx.AsyncClient, user: ApiUser
) -> None:
    container = await create_container(client, user)
    body, content_type = multipart([("file", "slow.bin", b"slow bytes")])
    head, tail = body[:120], body[120:]
    streaming, proceed = asyncio.Event(), asyncio.Event()

    async def slow_body() -> AsyncIterator[bytes]:
        yield head
        streaming.set()
        await proceed.wait()
        yield tail

    upload_task = asyncio.create_task(
        client.post(
            f"{CONTAINERS}/{container['id']}/payload",
            content=slow_body(),
            headers={**user.headers, "Content-Type": content_type},
        )
    )
    await asyncio.wait_for(streaming.wait(), 10)
    await asyncio.sleep(0.3)  # the server has checked access and now waits for bytes
    # on SQLite a transaction left open here would hold the write lock and block this write
    created = await asyncio.wait_for(
        client.post(f"{API}/collections", json={"name": "during upload"}, headers=user.headers),
        10,
    )
    proceed.set()
    uploaded = await asyncio.wait_for(upload_task, 10)

    assert created.status_code == 201
    assert uploaded.status_code == 201, uploaded.text
    assert uploaded.json()["filename"] == "slow.bin"


# --- ranges and conditional requests ----------------------------------------------------------

DIGITS = b"0123456789abcdefghij"


@pytest.fixture
async def digits(backend: Backend, user: ApiUser) -> tuple[Backend, str]:
    container = await create_container(backend.client, user)
    uploaded = await upload(backend.client, user, container["id"], DIGITS, "digits.txt")
    return backend, f"{CONTAINERS}/{container['id']}/payload/{uploaded['oid']}"


@pytest.mark.parametrize(
    ("header", "content", "content_range"),
    [
        ("bytes=0-4", b"01234", "bytes 0-4/20"),
        ("bytes=5-", b"56789abcdefghij", "bytes 5-19/20"),
        ("bytes=-3", b"hij", "bytes 17-19/20"),
        ("bytes=15-99", b"fghij", "bytes 15-19/20"),
        ("bytes=-50", DIGITS, "bytes 0-19/20"),
        ("bytes=19-19", b"j", "bytes 19-19/20"),
    ],
)
async def test_range_requests(
    digits: tuple[Backend, str], user: ApiUser, header: str, content: bytes, content_range: str
) -> None:
    backend, url = digits
    response = await backend.client.get(url, headers={**user.headers, "Range": header})

    assert response.status_code == 206
    assert response.content == content
    assert response.headers["content-range"] == content_range
    assert response.headers["content-length"] == str(len(content))
    assert response.headers["content-disposition"] == 'attachment; filename="digits.txt"'


@pytest.mark.parametrize("header", ["bytes=20-", "bytes=30-40", "bytes=-0"])
async def test_unsatisfiable_range_is_416(
    digits: tuple[Backend, str], user: ApiUser, header: str
) -> None:
    backend, url = digits
    response = await backend.client.get(url, headers={**user.headers, "Range": header})

    assert response.status_code == 416
    assert response.headers["content-range"] == "bytes */20"


@pytest.mark.parametrize("header", ["bytes=5-2", "x=1-2", "items=0-1", "bytes=abc", "bytes="])
async def test_a_range_header_that_is_not_a_valid_range_is_ignored(
    digits: tuple[Backend, str], user: ApiUser, header: str
) -> None:
    """RFC 9110 §14.2: a server ignores a Range header it cannot parse or whose unit it does
    not know, and answers 200 with the whole content."""
    backend, url = digits
    response = await backend.client.get(url, headers={**user.headers, "Range": header})

    assert response.status_code == 200
    assert response.content == DIGITS
    assert "content-range" not in response.headers


async def test_if_range_gives_the_range_only_while_the_copy_is_current(
    digits: tuple[Backend, str], user: ApiUser
) -> None:
    backend, url = digits
    etag = (await backend.client.get(url, headers=user.headers)).headers["etag"]
    ranged = {**user.headers, "Range": "bytes=0-4"}

    current = await backend.client.get(url, headers={**ranged, "If-Range": etag})
    changed = await backend.client.get(url, headers={**ranged, "If-Range": '"other"'})
    dated = await backend.client.get(
        url, headers={**ranged, "If-Range": "Wed, 21 Oct 2015 07:28:00 GMT"}
    )

    assert (current.status_code, current.content) == (206, b"01234")
    assert (changed.status_code, changed.content) == (200, DIGITS)
    assert (dated.status_code, dated.content) == (200, DIGITS)


async def test_several_ranges_get_the_whole_file(
    digits: tuple[Backend, str], user: ApiUser
) -> None:
    backend, url = digits
    response = await backend.client.get(url, headers={**user.headers, "Range": "bytes=0-1,4-5"})

    assert response.status_code == 200
    assert response.content == DIGITS


async def test_head_answers_the_headers_of_the_download_without_its_body(
    digits: tuple[Backend, str], user: ApiUser
) -> None:
    backend, url = digits
    got = await backend.client.get(url, headers=user.headers)
    head = await backend.client.head(url, headers=user.headers)
    anonymous = await backend.client.head(url)

    assert head.status_code == 200
    assert head.content == b""
    for header in ("content-length", "etag", "content-disposition", "accept-ranges"):
        assert head.headers[header] == got.headers[header]
    assert head.headers["content-length"] == str(len(DIGITS))
    assert anonymous.status_code == 401


async def test_if_none_match_gives_304(digits: tuple[Backend, str], user: ApiUser) -> None:
    backend, url = digits
    etag = (await backend.client.get(url, headers=user.headers)).headers["etag"]

    cached = await backend.client.get(url, headers={**user.headers, "If-None-Match": etag})
    stale = await backend.client.get(url, headers={**user.headers, "If-None-Match": '"other"'})

    assert cached.status_code == 304
    assert cached.content == b""
    assert stale.status_code == 200
    for matching in ("*", f"W/{etag}", f'"other", {etag}'):
        response = await backend.client.get(
            url, headers={**user.headers, "If-None-Match": matching}
        )
        assert response.status_code == 304, matching


# --- upload edge cases ----------------------------------------------------------------------


async def test_upload_without_file_field_is_400(
    client: httpx.AsyncClient, db: Database, user: ApiUser
) -> None:
    container = await create_container(client, user)
    body, content_type = multipart([("other", None, b"value")])

    response = await client.post(
        f"{CONTAINERS}/{container['id']}/payload",
        content=body,
        headers={**user.headers, "Content-Type": content_type},
    )

    assert response.status_code == 400
    assert response.json()["message"] == (
        "The upload has no 'file' field: send the file as multipart/form-data field 'file'"
    )
    assert await file_rows(db, container["id"]) == []


async def test_upload_of_json_is_415(
    client: httpx.AsyncClient, db: Database, user: ApiUser
) -> None:
    container = await create_container(client, user)

    response = await client.post(
        f"{CONTAINERS}/{container['id']}/payload", json={"file": "x"}, headers=user.headers
    )

    assert response.status_code == 415
    assert await file_rows(db, container["id"]) == []


@pytest.mark.parametrize(
    "body",
    [
        b'--b\r\nContent-Disposition: form-data; name="file"; filename="x"\r\n\r\nabc',
        b"not multipart at all",
    ],
)
async def test_truncated_or_broken_multipart_is_400(
    client: httpx.AsyncClient, db: Database, user: ApiUser, body: bytes
) -> None:
    container = await create_container(client, user)

    response = await client.post(
        f"{CONTAINERS}/{container['id']}/payload",
        content=body,
        headers={**user.headers, "Content-Type": "multipart/form-data; boundary=b"},
    )

    assert response.status_code == 400
    assert await file_rows(db, container["id"]) == []


async def test_multipart_without_boundary_is_400(client: httpx.AsyncClient, user: ApiUser) -> None:
    container = await create_container(client, user)

    response = await client.post(
        f"{CONTAINERS}/{container['id']}/payload",
        content=b"x",
        headers={**user.headers, "Content-Type": "multipart/form-data"},
    )

    assert response.status_code == 400


async def test_file_field_after_other_fields(client: httpx.AsyncClient, user: ApiUser) -> None:
    container = await create_container(client, user)
    body, content_type = multipart(
        [("comment", None, b"x" * 5000), ("file", "after.txt", b"payload")]
    )

    response = await client.post(
        f"{CONTAINERS}/{container['id']}/payload",
        content=body,
        headers={**user.headers, "Content-Type": content_type},
    )

    assert response.status_code == 201
    assert response.json()["filename"] == "after.txt"
    assert response.json()["md5"] == _md5(b"payload").upper()


async def test_upload_without_filename_gets_upstreams_default_name(
    client: httpx.AsyncClient, user: ApiUser
) -> None:
    container = await create_container(client, user)
    body, content_type = multipart([("file", None, b"anonymous")])

    response = await client.post(
        f"{CONTAINERS}/{container['id']}/payload",
        content=body,
        headers={**user.headers, "Content-Type": content_type},
    )

    assert response.status_code == 201
    assert re.fullmatch(r"shepard-file-\d{8}-\d{6}", response.json()["filename"])


async def test_non_ascii_filename_round_trips(client: httpx.AsyncClient, user: ApiUser) -> None:
    container = await create_container(client, user)
    uploaded = await upload(client, user, container["id"], b"umlaut", "Mäßig größe.txt")

    response = await client.get(
        f"{CONTAINERS}/{container['id']}/payload/{uploaded['oid']}", headers=user.headers
    )

    assert uploaded["filename"] == "Mäßig größe.txt"
    assert response.headers["content-disposition"] == (
        'attachment; filename="M__ig gr__e.txt"; '
        "filename*=UTF-8''M%C3%A4%C3%9Fig%20gr%C3%B6%C3%9Fe.txt"
    )


@pytest.mark.parametrize(
    ("disposition", "status"),
    [
        ("filename*=unicode_escape''%5Cud800x.bin", 400),  # decodes to an unpaired surrogate
        ("filename*=utf-16''x.bin", 400),
        ("filename*=ISO-8859-1''caf%E9.txt", 201),
        ("filename*=utf-8''caf%C3%A9.txt", 201),
    ],
)
async def test_extended_filenames_take_the_charsets_rfc_8187_names(
    client: httpx.AsyncClient, user: ApiUser, disposition: str, status: int
) -> None:
    container = await create_container(client, user)
    boundary = "b0undary"
    body = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; {disposition}\r\n'
        f"Content-Type: application/octet-stream\r\n\r\nbytes\r\n--{boundary}--\r\n"
    ).encode()
    response = await client.post(
        f"{CONTAINERS}/{container['id']}/payload",
        content=body,
        headers={**user.headers, "Content-Type": f"multipart/form-data; boundary={boundary}"},
    )
    assert response.status_code == status, response.text
    if status == 201:
        assert response.json()["filename"] == "café.txt"


async def test_empty_file(backend: Backend, user: ApiUser) -> None:
    container = await create_container(backend.client, user)
    uploaded = await upload(backend.client, user, container["id"], b"", "empty.txt")

    response = await backend.client.get(
        f"{CONTAINERS}/{container['id']}/payload/{uploaded['oid']}", headers=user.headers
    )

    assert uploaded["md5"] == _md5(b"").upper()
    assert response.status_code == 200
    assert response.content == b""
    assert response.headers["content-length"] == "0"


# --- access --------------------------------------------------------------------------------


async def test_upload_needs_write_on_the_container(
    client: httpx.AsyncClient, db: Database, make_user: Callable[..., Awaitable[ApiUser]]
) -> None:
    owner, reader, writer, stranger = [await make_user() for _ in range(4)]
    container = await create_container(client, owner)
    path = f"/fileContainers/{container['id']}"
    await share(client, owner, path, readers=(reader,), writers=(writer,))
    url = f"{API}{path}/payload"

    missing = await client.post(
        f"{CONTAINERS}/{MISSING_ID}/payload", files={"file": ("a", b"a")}, headers=owner.headers
    )
    denied = [
        await client.post(url, files={"file": ("a", b"a")}, headers=caller.headers)
        for caller in (reader, stranger)
    ]
    allowed = await client.post(url, files={"file": ("a", b"a")}, headers=writer.headers)

    assert missing.status_code == 404
    assert [response.status_code for response in denied] == [403, 403]
    assert [response.json()["message"] for response in denied] == [NO_WRITE, NO_READ]
    assert allowed.status_code == 201
    assert [row.oid for row in await file_rows(db, container["id"])] == [allowed.json()["oid"]]


async def test_reading_and_deleting_files_need_read_and_write(
    client: httpx.AsyncClient, db: Database, make_user: Callable[..., Awaitable[ApiUser]]
) -> None:
    owner, reader, stranger = [await make_user() for _ in range(3)]
    container = await create_container(client, owner)
    path = f"/fileContainers/{container['id']}"
    await share(client, owner, path, readers=(reader,))
    uploaded = await upload(client, owner, container["id"])
    file_url = f"{API}{path}/payload/{uploaded['oid']}"

    assert (await client.get(f"{API}{path}/payload", headers=reader.headers)).status_code == 200
    assert (await client.get(file_url, headers=reader.headers)).status_code == 200
    assert (await client.get(file_url, headers=stranger.headers)).status_code == 403
    assert (await client.get(f"{API}{path}/payload", headers=stranger.headers)).status_code == 403
    assert (await client.delete(file_url, headers=reader.headers)).status_code == 403
    assert (await client.delete(file_url, headers=stranger.headers)).status_code == 403
    assert [row.oid for row in await file_rows(db, container["id"])] == [uploaded["oid"]]


async def test_unknown_oid_is_404(client: httpx.AsyncClient, user: ApiUser) -> None:
    container = await create_container(client, user)
    base = f"{CONTAINERS}/{container['id']}/payload"

    fetched = await client.get(f"{base}/nope", headers=user.headers)
    deleted = await client.delete(f"{base}/nope", headers=user.headers)

    assert fetched.status_code == 404
    assert deleted.status_code == 404
    assert deleted.json()["message"] == "Could not find and delete file with oid: nope"


async def test_oid_of_another_container_is_404(client: httpx.AsyncClient, user: ApiUser) -> None:
    first, second = await create_container(client, user), await create_container(client, user)
    uploaded = await upload(client, user, first["id"])

    response = await client.get(
        f"{CONTAINERS}/{second['id']}/payload/{uploaded['oid']}", headers=user.headers
    )

    assert response.status_code == 404


async def test_only_the_owner_deletes_a_container(
    client: httpx.AsyncClient, db: Database, make_user: Callable[..., Awaitable[ApiUser]]
) -> None:
    owner, manager = await make_user(), await make_user()
    container = await create_container(client, owner)
    await share(client, owner, f"/fileContainers/{container['id']}", managers=(manager,))
    uploaded = await upload(client, owner, container["id"])

    refused = await client.delete(f"{CONTAINERS}/{container['id']}", headers=manager.headers)
    missing = await client.delete(f"{CONTAINERS}/{MISSING_ID}", headers=owner.headers)

    assert refused.status_code == 403
    assert missing.status_code == 404
    assert (await client.get(f"{CONTAINERS}/{container['id']}", headers=owner.headers)).json()[
        "id"
    ] == container["id"]
    assert [row.oid for row in await file_rows(db, container["id"])] == [uploaded["oid"]]


async def test_permissions_and_roles(
    client: httpx.AsyncClient, make_user: Callable[..., Awaitable[ApiUser]]
) -> None:
    owner, reader = await make_user(), await make_user()
    container = await create_container(client, owner)
    path = f"{CONTAINERS}/{container['id']}"

    initial = await client.get(f"{path}/permissions", headers=owner.headers)
    await share(client, owner, f"/fileContainers/{container['id']}", readers=(reader,))
    updated = await client.get(f"{path}/permissions", headers=owner.headers)
    reader_roles = await client.get(f"{path}/roles", headers=reader.headers)
    reader_permissions = await client.get(f"{path}/permissions", headers=reader.headers)

    assert initial.status_code == 200
    assert initial.json()["owner"] == owner.username
    assert initial.json()["permissionType"] == "Private"
    assert initial.json()["entityId"] == container["id"]
    assert updated.json()["reader"] == [reader.username]
    assert reader_roles.json() == {
        "owner": False,
        "manager": False,
        "writer": False,
        "reader": True,
    }
    assert reader_permissions.status_code == 403
    missing = await client.get(f"{CONTAINERS}/{MISSING_ID}/roles", headers=owner.headers)
    assert missing.status_code == 404


# --- collections' default file container -------------------------------------------------------


async def test_collection_default_file_container(
    client: httpx.AsyncClient, db: Database, make_user: Callable[..., Awaitable[ApiUser]]
) -> None:
    owner, stranger = await make_user(), await make_user()
    container = await create_container(client, owner)
    foreign = await create_container(client, stranger)
    other_kind = await _other_kind_container(db, owner)

    created = await client.post(
        f"{API}/collections",
        json={"name": "with default", "defaultFileContainerId": container["id"]},
        headers=owner.headers,
    )
    missing = await client.post(
        f"{API}/collections",
        json={"name": "missing", "defaultFileContainerId": MISSING_ID},
        headers=owner.headers,
    )
    unreadable = await client.post(
        f"{API}/collections",
        json={"name": "foreign", "defaultFileContainerId": foreign["id"]},
        headers=owner.headers,
    )
    wrong_kind = await client.post(
        f"{API}/collections",
        json={"name": "kind", "defaultFileContainerId": other_kind},
        headers=owner.headers,
    )

    assert created.status_code == 201
    assert created.json()["defaultFileContainerId"] == container["id"]
    assert missing.status_code == 404
    assert missing.json()["message"] == (
        f"ID ERROR - File Container with id {MISSING_ID} is null or deleted"
    )
    assert unreadable.status_code == 403
    assert wrong_kind.status_code == 404
    fetched = await client.get(f"{CONTAINERS}/{container['id']}", headers=owner.headers)
    assert fetched.json()["defaultCollectionIdList"] == [created.json()["id"]]

    collection_id = created.json()["id"]
    updated = await client.put(
        f"{API}/collections/{collection_id}",
        json={"name": "with default", "defaultFileContainerId": foreign["id"]},
        headers=owner.headers,
    )
    assert updated.status_code == 403
    kept = await client.get(f"{API}/collections/{collection_id}", headers=owner.headers)
    assert kept.json()["defaultFileContainerId"] == container["id"]


async def test_an_object_store_that_does_not_answer_is_a_503(
    settings: Settings, user: ApiUser
) -> None:
    with socket.socket() as sock:  # a loopback port nothing listens on
        sock.bind(("127.0.0.1", 0))
        closed = sock.getsockname()[1]
    app = create_app(
        Settings(
            data_dir=settings.data_dir,
            database_url=settings.database_url,
            blob_url=f"s3://bucket?endpoint=http://127.0.0.1:{closed}&access_key=a&secret_key=b",
        )
    )
    transport = httpx.ASGITransport(app=app)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as down:
            container = await create_container(down, user)
            upload = await down.post(
                f"{CONTAINERS}/{container['id']}/payload",
                files={"file": ("a.txt", b"bytes")},
                headers=user.headers,
            )
            health = await down.get(f"{API}/healthz")
    finally:
        await app.state.db.dispose()
        await app.state.http.aclose()

    assert upload.status_code == 503
    assert upload.json()["exception"] == "ServiceUnavailableException"
    assert health.status_code == 503
