"""URI references (upstream URIReferenceIT plus the error paths around it)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from pyshepard.core.db import Database
from tests.api.references_support import (
    BASIC_FIELDS,
    FORBIDDEN,
    MISSING_ID,
    NO_ASSOCIATION,
    TIMESTAMP,
    VERSION_UID,
    assert_error,
    create_collection,
    create_data_object,
    data_object_url,
    post_reference,
    reference_rows,
    share,
)
from tests.conftest import API, ApiUser


@dataclass(frozen=True)
class Place:
    owner: ApiUser
    collection_id: int
    data_object_id: int

    @property
    def url(self) -> str:
        return data_object_url(self.collection_id, self.data_object_id) + "/uriReferences"


@pytest.fixture
async def place(client: httpx.AsyncClient, user: ApiUser) -> Place:
    collection = await create_collection(client, user)
    data_object = await create_data_object(client, user, collection["id"])
    return Place(user, collection["id"], data_object["id"])


async def _create(client: httpx.AsyncClient, place: Place, **body: Any) -> dict[str, Any]:
    payload = {"name": "URIReferenceDummy", "uri": "http://MyAwesomeUrl.com", **body}
    return await post_reference(client, place.owner, place.url, payload)


async def test_create_returns_the_stored_reference(client: httpx.AsyncClient, place: Place) -> None:
    created = await _create(client, place, relationship="test-relationship")

    assert set(created) == BASIC_FIELDS | {"uri", "relationship"}
    assert isinstance(created["id"], int)
    assert TIMESTAMP.match(created["createdAt"])
    assert created["createdBy"] == place.owner.username
    assert created["dataObjectId"] == place.data_object_id
    assert created["name"] == "URIReferenceDummy"
    assert created["uri"] == "http://MyAwesomeUrl.com"
    assert created["type"] == "URIReference"
    assert created["relationship"] == "test-relationship"
    assert created["updatedAt"] is None
    assert created["updatedBy"] is None


async def test_get_and_list_return_what_create_returned(
    client: httpx.AsyncClient, place: Place
) -> None:
    created = await _create(client, place)
    headers = place.owner.headers

    got = await client.get(f"{place.url}/{created['id']}", headers=headers)
    listed = await client.get(place.url, headers=headers)

    assert got.status_code == 200
    assert got.json() == created
    assert created["relationship"] is None
    assert listed.status_code == 200
    assert listed.json() == [created]


async def test_list_holds_only_uri_references_of_that_data_object(
    client: httpx.AsyncClient, place: Place
) -> None:
    first = await _create(client, place, name="first")
    second = await _create(client, place, name="second")
    other = await create_data_object(client, place.owner, place.collection_id)
    await post_reference(
        client,
        place.owner,
        data_object_url(place.collection_id, other["id"]) + "/uriReferences",
        {"name": "elsewhere", "uri": "https://example.org"},
    )
    await post_reference(
        client,
        place.owner,
        data_object_url(place.collection_id, place.data_object_id) + "/dataObjectReferences",
        {"name": "not a uri", "referencedDataObjectId": other["id"]},
    )

    listed = await client.get(place.url, headers=place.owner.headers)

    assert listed.status_code == 200
    assert [ref["id"] for ref in listed.json()] == [first["id"], second["id"]]


async def test_get_unknown_reference_is_404(client: httpx.AsyncClient, place: Place) -> None:
    response = await client.get(f"{place.url}/{MISSING_ID}", headers=place.owner.headers)

    assert_error(response, 404, f"ID ERROR - URI Reference with id {MISSING_ID} is null or deleted")
    assert response.json()["exception"] == "InvalidPathException"


async def test_reference_of_another_data_object_is_404(
    client: httpx.AsyncClient, place: Place
) -> None:
    other = await create_data_object(client, place.owner, place.collection_id)
    other_url = data_object_url(place.collection_id, other["id"]) + "/uriReferences"
    foreign = await post_reference(
        client, place.owner, other_url, {"name": "URIReferenceDummy", "uri": "http://x.org"}
    )

    got = await client.get(f"{place.url}/{foreign['id']}", headers=place.owner.headers)
    deleted = await client.delete(f"{place.url}/{foreign['id']}", headers=place.owner.headers)

    assert_error(got, 404, NO_ASSOCIATION)
    assert_error(deleted, 404, NO_ASSOCIATION)
    still_there = await client.get(f"{other_url}/{foreign['id']}", headers=place.owner.headers)
    assert still_there.status_code == 200


async def test_id_of_another_kind_is_not_a_uri_reference(
    client: httpx.AsyncClient, place: Place
) -> None:
    other = await create_data_object(client, place.owner, place.collection_id)
    base = data_object_url(place.collection_id, place.data_object_id)
    data_object_ref = await post_reference(
        client,
        place.owner,
        base + "/dataObjectReferences",
        {"name": "d", "referencedDataObjectId": other["id"]},
    )

    got = await client.get(f"{place.url}/{data_object_ref['id']}", headers=place.owner.headers)
    deleted = await client.delete(
        f"{place.url}/{data_object_ref['id']}", headers=place.owner.headers
    )

    message = f"ID ERROR - URI Reference with id {data_object_ref['id']} is null or deleted"
    assert_error(got, 404, message)
    assert_error(deleted, 404, message)


async def test_delete_is_soft_and_final(
    client: httpx.AsyncClient, place: Place, db: Database
) -> None:
    created = await _create(client, place)
    url = f"{place.url}/{created['id']}"
    headers = place.owner.headers

    first = await client.delete(url, headers=headers)
    second = await client.delete(url, headers=headers)
    got = await client.get(url, headers=headers)
    listed = await client.get(place.url, headers=headers)

    assert first.status_code == 204
    assert first.content == b""
    assert_error(
        second, 404, f"ID ERROR - URI Reference with id {created['id']} is null or deleted"
    )
    assert got.status_code == 404
    assert listed.json() == []
    [row] = await reference_rows(db, place.data_object_id)
    assert row.deleted is True
    assert row.updated_by == place.owner.username
    assert row.updated_at is not None


async def test_read_only_and_unknown_properties_are_ignored(
    client: httpx.AsyncClient, place: Place
) -> None:
    created = await _create(
        client,
        place,
        id=42,
        createdBy="mallory",
        createdAt="2000-01-01T00:00:00.000+00:00",
        updatedBy="mallory",
        dataObjectId=1,
        type="CollectionReference",
        somethingElse={"x": 1},
    )

    assert created["id"] != 42
    assert created["createdBy"] == place.owner.username
    assert created["createdAt"] != "2000-01-01T00:00:00.000+00:00"
    assert created["updatedBy"] is None
    assert created["dataObjectId"] == place.data_object_id
    assert created["type"] == "URIReference"
    assert "somethingElse" not in created


@pytest.mark.parametrize(
    "body",
    [
        {"uri": "http://x.org"},
        {"name": "", "uri": "http://x.org"},
        {"name": "   ", "uri": "http://x.org"},
        {"name": None, "uri": "http://x.org"},
        {"name": "n"},
        {"name": "n", "uri": ""},
        {"name": "n", "uri": " \t"},
        {"name": "n", "uri": None},
        {"name": 5, "uri": "http://x.org"},
        {"name": "n", "uri": ["http://x.org"]},
        {"name": "n", "uri": "http://x.org", "relationship": {"a": 1}},
        {},
    ],
)
async def test_invalid_body_is_400_and_stores_nothing(
    client: httpx.AsyncClient, place: Place, db: Database, body: dict[str, Any]
) -> None:
    response = await client.post(place.url, json=body, headers=place.owner.headers)

    assert response.status_code == 400, response.text
    assert response.json()["title"] == "Constraint Violation"
    assert await reference_rows(db, place.data_object_id) == []


@pytest.mark.parametrize(
    ("raw", "field", "message"),
    [
        (b'{"name": "a\\u0000b", "uri": "u"}', "name", "must not contain NUL characters"),
        (b'{"name": "n", "uri": "u\\u0000"}', "uri", "must not contain NUL characters"),
        (b'{"name": "\\ud800", "uri": "u"}', "name", "must be valid Unicode text"),
        (
            b'{"name": "n", "uri": "u", "relationship": "\\udfff"}',
            "relationship",
            "must be valid Unicode text",
        ),
        (b'{"name": "%s", "uri": "u"}' % (b"x" * 1025), "name", "size must be between 1 and 1024"),
    ],
)
async def test_text_the_databases_cannot_store_is_400(
    client: httpx.AsyncClient, place: Place, db: Database, *, raw: bytes, field: str, message: str
) -> None:
    headers = {**place.owner.headers, "Content-Type": "application/json"}
    response = await client.post(place.url, content=raw, headers=headers)

    assert response.status_code == 400, response.text
    assert response.json()["violations"] == [
        {"field": f"createUriReference.{field}", "message": message}
    ]
    assert await reference_rows(db, place.data_object_id) == []


async def test_long_uri_and_longest_name_are_stored(
    client: httpx.AsyncClient, place: Place
) -> None:
    created = await _create(client, place, name="n" * 1024, uri="https://e.org/" + "p" * 5000)

    got = await client.get(f"{place.url}/{created['id']}", headers=place.owner.headers)

    assert got.json()["name"] == "n" * 1024
    assert got.json()["uri"] == "https://e.org/" + "p" * 5000


@pytest.mark.parametrize("raw", [b'{"name": "n", "uri": ', b"[]", b'"text"', b""])
async def test_malformed_json_is_400_and_stores_nothing(
    client: httpx.AsyncClient, place: Place, db: Database, raw: bytes
) -> None:
    headers = {**place.owner.headers, "Content-Type": "application/json"}
    response = await client.post(place.url, content=raw, headers=headers)

    assert response.status_code == 400, response.text
    assert await reference_rows(db, place.data_object_id) == []


async def test_blank_name_violation_names_the_field(
    client: httpx.AsyncClient, place: Place
) -> None:
    response = await client.post(
        place.url, json={"name": " ", "uri": "http://x.org"}, headers=place.owner.headers
    )

    assert response.status_code == 400
    assert response.json()["violations"] == [
        {"field": "createUriReference.name", "message": "must not be blank"}
    ]


@pytest.mark.parametrize(
    "suffix",
    [
        "/collections/-1/dataObjects/{d}/uriReferences",
        "/collections/{c}/dataObjects/-1/uriReferences",
        "/collections/{c}/dataObjects/{d}/uriReferences/-1",
        "/collections/abc/dataObjects/{d}/uriReferences",
        "/collections/{c}/dataObjects/{d}/uriReferences/x",
        "/collections/{c}/dataObjects/{d}/uriReferences/9223372036854775808",
        "/collections/18446744073709551616/dataObjects/{d}/uriReferences",
    ],
)
async def test_invalid_path_ids_are_400(
    client: httpx.AsyncClient, place: Place, suffix: str
) -> None:
    url = API + suffix.format(c=place.collection_id, d=place.data_object_id)

    response = await client.get(url, headers=place.owner.headers)

    assert response.status_code == 400
    assert response.json()["title"] == "Constraint Violation"


async def test_negative_path_id_is_400_before_permission(
    client: httpx.AsyncClient, place: Place, make_user: Callable[..., Awaitable[ApiUser]]
) -> None:
    stranger = await make_user()
    url = data_object_url(place.collection_id, place.data_object_id) + "/uriReferences/-1"

    response = await client.get(url, headers=stranger.headers)

    assert response.status_code == 400


async def test_unknown_collection_or_data_object_is_404(
    client: httpx.AsyncClient, place: Place, db: Database
) -> None:
    body = {"name": "n", "uri": "http://x.org"}
    headers = place.owner.headers
    no_collection = data_object_url(MISSING_ID, place.data_object_id) + "/uriReferences"
    no_data_object = data_object_url(place.collection_id, MISSING_ID) + "/uriReferences"

    assert_error(
        await client.get(no_collection, headers=headers),
        404,
        f"ID ERROR - Collection with id {MISSING_ID} is null or deleted",
    )
    assert_error(
        await client.post(no_data_object, json=body, headers=headers),
        404,
        f"ID ERROR - DataObject with id {MISSING_ID} is null or deleted",
    )
    assert await reference_rows(db, place.data_object_id) == []


async def test_data_object_of_another_collection_is_404(
    client: httpx.AsyncClient, place: Place, db: Database
) -> None:
    other_collection = await create_collection(client, place.owner)
    url = data_object_url(other_collection["id"], place.data_object_id) + "/uriReferences"

    listed = await client.get(url, headers=place.owner.headers)
    created = await client.post(
        url, json={"name": "n", "uri": "http://x.org"}, headers=place.owner.headers
    )

    message = "ID ERROR - There is no association between collection and dataObject"
    assert_error(listed, 404, message)
    assert_error(created, 404, message)
    assert await reference_rows(db, place.data_object_id) == []


async def test_stranger_gets_403_everywhere_and_changes_nothing(
    client: httpx.AsyncClient,
    place: Place,
    db: Database,
    make_user: Callable[..., Awaitable[ApiUser]],
) -> None:
    created = await _create(client, place)
    stranger = (await make_user()).headers
    url = f"{place.url}/{created['id']}"

    assert_error(await client.get(place.url, headers=stranger), 403, FORBIDDEN)
    assert_error(await client.get(url, headers=stranger), 403, FORBIDDEN)
    assert_error(
        await client.post(place.url, json={"name": "n", "uri": "u"}, headers=stranger),
        403,
        FORBIDDEN,
    )
    assert_error(await client.delete(url, headers=stranger), 403, FORBIDDEN)
    # unknown reference ids still give 403: the data object's collection is checked first
    assert_error(await client.get(f"{place.url}/{MISSING_ID}", headers=stranger), 403)
    rows = await reference_rows(db, place.data_object_id)
    assert [(row.id, row.deleted) for row in rows] == [(created["id"], False)]


async def test_reader_may_read_but_not_write(
    client: httpx.AsyncClient,
    place: Place,
    db: Database,
    make_user: Callable[..., Awaitable[ApiUser]],
) -> None:
    created = await _create(client, place)
    reader = await make_user()
    await share(client, place.owner, place.collection_id, readers=(reader,))
    url = f"{place.url}/{created['id']}"

    assert (await client.get(place.url, headers=reader.headers)).json() == [created]
    assert (await client.get(url, headers=reader.headers)).json() == created
    created_by_reader = await client.post(
        place.url, json={"name": "n", "uri": "u"}, headers=reader.headers
    )
    deleted_by_reader = await client.delete(url, headers=reader.headers)
    # upstream resolves the reference (a read) before it checks Write
    missing_by_reader = await client.delete(f"{place.url}/{MISSING_ID}", headers=reader.headers)

    assert_error(created_by_reader, 403, FORBIDDEN)
    assert_error(deleted_by_reader, 403, FORBIDDEN)
    assert_error(missing_by_reader, 404)
    rows = await reference_rows(db, place.data_object_id)
    assert [(row.id, row.deleted) for row in rows] == [(created["id"], False)]


async def test_writer_may_create_and_delete(
    client: httpx.AsyncClient, place: Place, make_user: Callable[..., Awaitable[ApiUser]]
) -> None:
    writer = await make_user()
    await share(client, place.owner, place.collection_id, writers=(writer,))

    created = await post_reference(
        client, writer, place.url, {"name": "by writer", "uri": "https://example.org"}
    )
    deleted = await client.delete(f"{place.url}/{created['id']}", headers=writer.headers)

    assert created["createdBy"] == writer.username
    assert deleted.status_code == 204


async def test_public_readable_collection_is_readable_by_anyone(
    client: httpx.AsyncClient, place: Place, make_user: Callable[..., Awaitable[ApiUser]]
) -> None:
    created = await _create(client, place)
    await share(client, place.owner, place.collection_id, permission_type="PublicReadable")
    anyone = await make_user()

    listed = await client.get(place.url, headers=anyone.headers)
    refused = await client.post(place.url, json={"name": "n", "uri": "u"}, headers=anyone.headers)

    assert listed.json() == [created]
    assert_error(refused, 403, FORBIDDEN)


async def test_without_credentials_is_401(client: httpx.AsyncClient, place: Place) -> None:
    assert (await client.get(place.url)).status_code == 401
    assert (await client.post(place.url, json={"name": "n", "uri": "u"})).status_code == 401
    assert (await client.delete(f"{place.url}/1")).status_code == 401


async def test_version_uid_must_be_a_uuid_and_only_head_exists(
    client: httpx.AsyncClient, place: Place
) -> None:
    created = await _create(client, place)
    headers = place.owner.headers
    one = f"{place.url}/{created['id']}"

    bad_list = await client.get(place.url, params={"versionUid": "nope"}, headers=headers)
    bad_one = await client.get(one, params={"versionUid": "1234"}, headers=headers)
    unknown_list = await client.get(place.url, params={"versionUid": VERSION_UID}, headers=headers)
    unknown_one = await client.get(one, params={"versionUid": VERSION_UID}, headers=headers)

    assert bad_list.status_code == 400
    assert bad_one.status_code == 400
    message = (
        f"ID ERROR - DataObject with id {place.data_object_id} and versionUID {VERSION_UID} "
        "is null or deleted"
    )
    assert_error(unknown_list, 404, message)
    assert_error(unknown_one, 404, message)
