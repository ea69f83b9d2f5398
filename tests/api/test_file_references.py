"""File references (upstream FileReferenceIT plus container checks, payloads and the generic
`/references` endpoints), on both blob backends where bytes are involved."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from pyshepard.core.config import Settings
from pyshepard.core.db import Database
from tests.api.files_support import (
    CONTAINERS,
    Backend,
    create_container,
    s3_backend,
    share,
    upload,
)
from tests.api.references_support import (
    BASIC_FIELDS,
    MISSING_ID,
    NO_ASSOCIATION,
    TIMESTAMP,
    VERSION_UID,
    create_collection,
    create_data_object,
    data_object_url,
    reference_rows,
)
from tests.conftest import ApiUser
from tests.s3_support import S3Endpoint

HELLO = b"Hello World!"
DENIED = "The requested action is forbidden by the permission policies."


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


@dataclass(frozen=True)
class Place:
    owner: ApiUser
    collection_id: int
    data_object_id: int
    container_id: int
    file: dict[str, Any]

    @property
    def url(self) -> str:
        return data_object_url(self.collection_id, self.data_object_id) + "/fileReferences"


async def _place(client: httpx.AsyncClient, owner: ApiUser) -> Place:
    collection = await create_collection(client, owner, "FileReferenceTestCollection")
    data_object = await create_data_object(
        client, owner, collection["id"], "FileReferenceTestDataObject"
    )
    container = await create_container(client, owner, "FileContainer")
    uploaded = await upload(client, owner, container["id"], HELLO, "test.txt")
    return Place(owner, collection["id"], data_object["id"], container["id"], uploaded)


@pytest.fixture
async def place(client: httpx.AsyncClient, user: ApiUser) -> Place:
    return await _place(client, user)


async def _create(
    client: httpx.AsyncClient, place: Place, url: str | None = None, **body: Any
) -> httpx.Response:
    payload = {
        "name": "FileReferenceDummy",
        "fileOids": [place.file["oid"]],
        "fileContainerId": place.container_id,
        **body,
    }
    return await client.post(url or place.url, json=payload, headers=place.owner.headers)


async def _created(client: httpx.AsyncClient, place: Place, **body: Any) -> dict[str, Any]:
    response = await _create(client, place, **body)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


async def test_create_file_reference(client: httpx.AsyncClient, place: Place) -> None:
    created = await _created(client, place)

    assert set(created) == BASIC_FIELDS | {"fileOids", "fileContainerId"}
    assert isinstance(created["id"], int)
    assert TIMESTAMP.match(created["createdAt"])
    assert created["createdBy"] == place.owner.username
    assert created["dataObjectId"] == place.data_object_id
    assert created["name"] == "FileReferenceDummy"
    assert created["fileContainerId"] == place.container_id
    assert created["fileOids"] == [place.file["oid"]]
    assert created["type"] == "FileReference"
    assert created["updatedAt"] is None
    assert created["updatedBy"] is None


async def test_list_and_get(client: httpx.AsyncClient, place: Place) -> None:
    created = await _created(client, place)

    listed = await client.get(place.url, headers=place.owner.headers)
    fetched = await client.get(f"{place.url}/{created['id']}", headers=place.owner.headers)

    assert listed.json() == [created]
    assert fetched.json() == created


async def test_get_missing_reference_is_404(client: httpx.AsyncClient, place: Place) -> None:
    response = await client.get(f"{place.url}/99999", headers=place.owner.headers)

    assert response.status_code == 404
    assert (
        response.json()["message"] == "ID ERROR - File Reference with id 99999 is null or deleted"
    )


async def test_reference_of_another_data_object_is_404(
    client: httpx.AsyncClient, place: Place
) -> None:
    other = await create_data_object(client, place.owner, place.collection_id, "Other")
    other_url = data_object_url(place.collection_id, other["id"]) + "/fileReferences"
    created = (await _create(client, place, url=other_url)).json()

    response = await client.get(f"{place.url}/{created['id']}", headers=place.owner.headers)

    assert response.status_code == 404
    assert response.json()["message"] == NO_ASSOCIATION


async def test_payload_list_and_bytes(backend: Backend, user: ApiUser) -> None:
    client = backend.client
    place = await _place(client, user)
    second = await upload(client, user, place.container_id, b"second", "second.txt")
    created = await _created(
        client, place, fileOids=[second["oid"], place.file["oid"], "unknown-oid", second["oid"]]
    )
    base = f"{place.url}/{created['id']}/payload"

    assert created["fileOids"] == [second["oid"], place.file["oid"]]  # unknown oids dropped
    listed = await client.get(base, headers=user.headers)
    assert listed.json() == [second, place.file]
    payload = await client.get(f"{base}/{place.file['oid']}", headers=user.headers)
    assert payload.status_code == 200
    assert payload.content == HELLO
    assert payload.headers["content-disposition"] == 'attachment; filename="test.txt"'
    assert payload.headers["etag"] == f'"{hashlib.sha256(HELLO).hexdigest()}"'
    ranged = await client.get(
        f"{base}/{place.file['oid']}", headers={**user.headers, "Range": "bytes=6-"}
    )
    assert ranged.status_code == 206
    assert ranged.content == b"World!"
    missing = await client.get(f"{base}/nope", headers=user.headers)
    assert missing.status_code == 404


async def test_delete_reference(client: httpx.AsyncClient, db: Database, place: Place) -> None:
    created = await _created(client, place)
    url = f"{place.url}/{created['id']}"

    assert (await client.delete(url, headers=place.owner.headers)).status_code == 204
    assert (await client.delete(url, headers=place.owner.headers)).status_code == 404
    assert (await client.get(url, headers=place.owner.headers)).status_code == 404
    rows = await reference_rows(db, place.data_object_id)
    assert [(row.id, row.deleted) for row in rows] == [(created["id"], True)]
    # the file itself is untouched
    files = await client.get(
        f"{CONTAINERS}/{place.container_id}/payload", headers=place.owner.headers
    )
    assert files.json() == [place.file]


async def test_generic_references_list_and_delete_file_references(
    client: httpx.AsyncClient, place: Place
) -> None:
    created = await _created(client, place)
    generic = data_object_url(place.collection_id, place.data_object_id) + "/references"

    listed = await client.get(generic, headers=place.owner.headers)
    fetched = await client.get(f"{generic}/{created['id']}", headers=place.owner.headers)
    deleted = await client.delete(f"{generic}/{created['id']}", headers=place.owner.headers)

    assert [(item["id"], item["type"]) for item in listed.json()] == [
        (created["id"], "FileReference")
    ]
    assert fetched.json() == {key: created[key] for key in BASIC_FIELDS}
    assert deleted.status_code == 204
    assert (await client.get(place.url, headers=place.owner.headers)).json() == []


async def test_a_reference_to_unknown_oids_only_keeps_none(
    client: httpx.AsyncClient, place: Place
) -> None:
    created = await _created(client, place, fileOids=["unknown-oid", "another"])

    assert created["fileOids"] == []
    fetched = await client.get(f"{place.url}/{created['id']}", headers=place.owner.headers)
    assert fetched.status_code == 200
    assert fetched.json() == created
    listed = await client.get(place.url, headers=place.owner.headers)
    assert [item["fileOids"] for item in listed.json()] == [[]]
    payload = await client.get(f"{place.url}/{created['id']}/payload", headers=place.owner.headers)
    assert payload.json() == []


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"fileOids": []}, "createFileReference.fileOids"),
        ({"fileOids": None}, "createFileReference.fileOids"),
        ({"fileContainerId": None}, "createFileReference.fileContainerId"),
        ({"name": " "}, "createFileReference.name"),
        ({"fileContainerId": 2**63}, "createFileReference.fileContainerId"),
    ],
)
async def test_invalid_bodies_are_400(
    client: httpx.AsyncClient, db: Database, place: Place, body: dict[str, Any], field: str
) -> None:
    response = await _create(client, place, **body)

    assert response.status_code == 400
    assert field in [violation["field"] for violation in response.json()["violations"]]
    assert await reference_rows(db, place.data_object_id) == []


async def test_missing_or_wrong_kind_container_is_400(
    client: httpx.AsyncClient, db: Database, place: Place
) -> None:
    timeseries = await _timeseries_container(db, place.owner)

    missing = await _create(client, place, fileContainerId=MISSING_ID)
    wrong_kind = await _create(client, place, fileContainerId=timeseries)
    a_collection = await _create(client, place, fileContainerId=place.collection_id)

    assert missing.status_code == 400
    assert missing.json() == {
        "status": 400,
        "exception": "InvalidBodyException",
        "message": f"ID ERROR - File Container with id {MISSING_ID} is null or deleted",
    }
    assert wrong_kind.status_code == 400
    assert wrong_kind.json()["message"] == (
        f"ID ERROR - File Container with id {timeseries} is null or deleted"
    )
    assert a_collection.status_code == 400
    assert await reference_rows(db, place.data_object_id) == []


async def _timeseries_container(db: Database, owner: ApiUser) -> int:
    from pyshepard.core.identity import Principal  # noqa: PLC0415 - test-only shortcut
    from pyshepard.data.containers import service as containers  # noqa: PLC0415
    from pyshepard.data.containers.schemas import ContainerType  # noqa: PLC0415

    async def work(uow):  # type: ignore[no-untyped-def]
        actor = Principal(username=owner.username, via="apikey")
        return (await containers.create_container(uow, actor, ContainerType.TIMESERIES, "t")).id

    container_id: int = await db.run(work)
    return container_id


async def test_container_must_be_readable_to_create(
    client: httpx.AsyncClient, db: Database, place: Place, other_user: ApiUser
) -> None:
    foreign = await create_container(client, other_user)

    response = await _create(client, place, fileContainerId=foreign["id"], fileOids=["x"])

    assert response.status_code == 400  # upstream wraps the container's refusal in a 400
    assert response.json()["message"] == f"{DENIED} User has no READ permissions."
    assert await reference_rows(db, place.data_object_id) == []


async def test_create_needs_write_on_the_collection(
    client: httpx.AsyncClient,
    db: Database,
    place: Place,
    make_user: Callable[..., Awaitable[ApiUser]],
) -> None:
    reader = await make_user()
    await share(client, place.owner, f"/collections/{place.collection_id}", readers=(reader,))
    await share(client, place.owner, f"/fileContainers/{place.container_id}", readers=(reader,))
    payload = {"name": "x", "fileOids": [place.file["oid"]], "fileContainerId": place.container_id}

    response = await client.post(place.url, json=payload, headers=reader.headers)
    missing_do = await client.post(
        data_object_url(place.collection_id, MISSING_ID) + "/fileReferences",
        json=payload,
        headers=place.owner.headers,
    )

    assert response.status_code == 403
    assert missing_do.status_code == 404
    assert await reference_rows(db, place.data_object_id) == []


async def test_payload_needs_read_on_the_container(
    client: httpx.AsyncClient, place: Place, make_user: Callable[..., Awaitable[ApiUser]]
) -> None:
    created = await _created(client, place)
    reader = await make_user()
    await share(client, place.owner, f"/collections/{place.collection_id}", readers=(reader,))
    base = f"{place.url}/{created['id']}/payload"

    reference = await client.get(f"{place.url}/{created['id']}", headers=reader.headers)
    listed = await client.get(base, headers=reader.headers)
    payload = await client.get(f"{base}/{place.file['oid']}", headers=reader.headers)

    assert reference.status_code == 200
    assert listed.status_code == 403
    assert listed.json()["message"] == f"{DENIED} User has no READ permissions."
    assert payload.status_code == 403

    await share(client, place.owner, f"/fileContainers/{place.container_id}", readers=(reader,))
    assert (await client.get(base, headers=reader.headers)).json() == [place.file]
    assert (await client.get(f"{base}/{place.file['oid']}", headers=reader.headers)).content == (
        HELLO
    )


async def test_payload_of_a_deleted_container_is_404(
    client: httpx.AsyncClient, place: Place
) -> None:
    created = await _created(client, place)
    await client.delete(f"{CONTAINERS}/{place.container_id}", headers=place.owner.headers)
    base = f"{place.url}/{created['id']}/payload"

    reference = await client.get(f"{place.url}/{created['id']}", headers=place.owner.headers)
    listed = await client.get(base, headers=place.owner.headers)
    payload = await client.get(f"{base}/{place.file['oid']}", headers=place.owner.headers)

    assert reference.status_code == 200  # the reference stays, as upstream
    assert listed.status_code == 404
    assert listed.json() == {
        "status": 404,
        "exception": "NotFoundException",
        "message": "Referenced FileContainer is not set or deleted in FileReference with id "
        f"{created['id']}",
    }
    assert payload.status_code == 404


async def test_deleted_files_stay_listed_but_cannot_be_downloaded(
    client: httpx.AsyncClient, place: Place
) -> None:
    """As upstream: deleting a file unlinks it from its container only; the reference keeps
    the file (FileReferenceService.getFiles returns reference.getFiles())."""
    created = await _created(client, place)
    await client.delete(
        f"{CONTAINERS}/{place.container_id}/payload/{place.file['oid']}",
        headers=place.owner.headers,
    )
    base = f"{place.url}/{created['id']}/payload"

    assert (await client.get(base, headers=place.owner.headers)).json() == [place.file]
    reference = await client.get(f"{place.url}/{created['id']}", headers=place.owner.headers)
    assert reference.json()["fileOids"] == [place.file["oid"]]
    gone = await client.get(f"{base}/{place.file['oid']}", headers=place.owner.headers)
    assert gone.status_code == 404


async def test_version_uid_is_checked(client: httpx.AsyncClient, place: Place) -> None:
    created = await _created(client, place)

    bad = await client.get(place.url, params={"versionUid": "nope"}, headers=place.owner.headers)
    unknown = await client.get(
        f"{place.url}/{created['id']}/payload",
        params={"versionUid": VERSION_UID},
        headers=place.owner.headers,
    )

    assert bad.status_code == 400
    assert unknown.status_code == 404
