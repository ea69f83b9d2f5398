"""Data-object references (upstream DataObjectReferenceIT plus permission and payload paths)."""

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
from tests.conftest import ApiUser


@dataclass(frozen=True)
class Place:
    """Two collections with two data objects each, as upstream's fixture."""

    owner: ApiUser
    c1: int
    c2: int
    d11: int
    d12: int
    d21: int
    d22: int

    def url(self, collection_id: int, data_object_id: int) -> str:
        return data_object_url(collection_id, data_object_id) + "/dataObjectReferences"


@pytest.fixture
async def place(client: httpx.AsyncClient, user: ApiUser) -> Place:
    c1 = (await create_collection(client, user))["id"]
    c2 = (await create_collection(client, user))["id"]
    d11 = (await create_data_object(client, user, c1))["id"]
    d12 = (await create_data_object(client, user, c1))["id"]
    d21 = (await create_data_object(client, user, c2))["id"]
    d22 = (await create_data_object(client, user, c2))["id"]
    return Place(user, c1, c2, d11, d12, d21, d22)


async def _reference(
    client: httpx.AsyncClient,
    user: ApiUser,
    url: str,
    target: int,
    name: str = "DataObjectReferenceDummy",
) -> dict[str, Any]:
    body = {"name": name, "relationship": "integrationtests", "referencedDataObjectId": target}
    return await post_reference(client, user, url, body)


async def _get(client: httpx.AsyncClient, user: ApiUser, url: str) -> dict[str, Any]:
    response = await client.get(url, headers=user.headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_create_returns_the_stored_reference(client: httpx.AsyncClient, place: Place) -> None:
    created = await _reference(client, place.owner, place.url(place.c1, place.d11), place.d12)

    assert set(created) == BASIC_FIELDS | {"referencedDataObjectId", "relationship"}
    assert isinstance(created["id"], int)
    assert TIMESTAMP.match(created["createdAt"])
    assert created["createdBy"] == place.owner.username
    assert created["dataObjectId"] == place.d11
    assert created["name"] == "DataObjectReferenceDummy"
    assert created["relationship"] == "integrationtests"
    assert created["referencedDataObjectId"] == place.d12
    assert created["type"] == "DataObjectReference"
    assert created["updatedAt"] is None
    assert created["updatedBy"] is None


async def test_get_and_list_return_what_create_returned(
    client: httpx.AsyncClient, place: Place
) -> None:
    url = place.url(place.c1, place.d11)
    created = await _reference(client, place.owner, url, place.d12)
    await _reference(client, place.owner, place.url(place.c2, place.d21), place.d12)

    assert await _get(client, place.owner, f"{url}/{created['id']}") == created
    listed = await client.get(url, headers=place.owner.headers)
    assert listed.json() == [created]


async def test_get_unknown_reference_is_404(client: httpx.AsyncClient, place: Place) -> None:
    url = place.url(place.c1, place.d11)

    response = await client.get(f"{url}/{MISSING_ID}", headers=place.owner.headers)

    assert_error(
        response, 404, f"ID ERROR - Data Object Reference with id {MISSING_ID} is null or deleted"
    )


async def test_reference_of_another_data_object_is_404(
    client: httpx.AsyncClient, place: Place
) -> None:
    foreign = await _reference(client, place.owner, place.url(place.c2, place.d21), place.d12)

    got = await client.get(
        f"{place.url(place.c1, place.d11)}/{foreign['id']}", headers=place.owner.headers
    )

    assert_error(got, 404, NO_ASSOCIATION)


async def test_referenced_data_object_lists_incoming_references(
    client: httpx.AsyncClient, place: Place
) -> None:
    from_d11 = await _reference(client, place.owner, place.url(place.c1, place.d11), place.d12)
    from_d21 = await _reference(client, place.owner, place.url(place.c2, place.d21), place.d12)

    target = await _get(client, place.owner, data_object_url(place.c1, place.d12))
    source = await _get(client, place.owner, data_object_url(place.c1, place.d11))

    assert sorted(target["incomingIds"]) == sorted([from_d11["id"], from_d21["id"]])
    assert source["referenceIds"] == [from_d11["id"]]


async def test_payload_is_the_referenced_data_object(
    client: httpx.AsyncClient, place: Place
) -> None:
    url = place.url(place.c1, place.d11)
    created = await _reference(client, place.owner, url, place.d21)

    payload = await _get(client, place.owner, f"{url}/{created['id']}/payload")

    assert payload == await _get(client, place.owner, data_object_url(place.c2, place.d21))
    assert payload["id"] == place.d21
    assert payload["collectionId"] == place.c2
    assert payload["incomingIds"] == [created["id"]]


async def test_a_data_object_may_reference_itself(client: httpx.AsyncClient, place: Place) -> None:
    url = place.url(place.c1, place.d11)
    created = await _reference(client, place.owner, url, place.d11)

    payload = await _get(client, place.owner, f"{url}/{created['id']}/payload")

    assert payload["id"] == place.d11
    assert payload["referenceIds"] == [created["id"]]
    assert payload["incomingIds"] == [created["id"]]


async def test_delete_is_soft_and_final(
    client: httpx.AsyncClient, place: Place, db: Database
) -> None:
    url = place.url(place.c1, place.d11)
    created = await _reference(client, place.owner, url, place.d12)
    one = f"{url}/{created['id']}"

    assert (await client.delete(one, headers=place.owner.headers)).status_code == 204
    assert (await client.delete(one, headers=place.owner.headers)).status_code == 404
    assert (await client.get(one, headers=place.owner.headers)).status_code == 404
    target = await _get(client, place.owner, data_object_url(place.c1, place.d12))
    assert target["incomingIds"] == []
    [row] = await reference_rows(db, place.d11)
    assert row.deleted is True
    assert row.referenced_data_object_id == place.d12


@pytest.mark.parametrize("target", [-2, MISSING_ID])
async def test_unknown_referenced_data_object_is_400_and_stores_nothing(
    client: httpx.AsyncClient, place: Place, db: Database, target: int
) -> None:
    response = await client.post(
        place.url(place.c1, place.d11),
        json={"name": "dangling", "referencedDataObjectId": target},
        headers=place.owner.headers,
    )

    assert_error(response, 400, f"The referenced DataObject with id {target} could not be found.")
    assert response.json()["exception"] == "InvalidBodyException"
    assert await reference_rows(db, place.d11) == []


async def test_deleted_referenced_data_object_is_400(
    client: httpx.AsyncClient, place: Place, db: Database
) -> None:
    deleted = await client.delete(data_object_url(place.c2, place.d22), headers=place.owner.headers)
    assert deleted.status_code == 204

    response = await client.post(
        place.url(place.c1, place.d11),
        json={"name": "late", "referencedDataObjectId": place.d22},
        headers=place.owner.headers,
    )

    assert_error(
        response, 400, f"The referenced DataObject with id {place.d22} could not be found."
    )
    assert await reference_rows(db, place.d11) == []


async def test_unreadable_referenced_data_object_is_400_and_stores_nothing(
    client: httpx.AsyncClient,
    place: Place,
    db: Database,
    make_user: Callable[..., Awaitable[ApiUser]],
) -> None:
    other_user = await make_user()
    theirs = (await create_collection(client, other_user))["id"]
    referencing = (await create_data_object(client, other_user, theirs))["id"]

    response = await client.post(
        place.url(theirs, referencing),
        json={"name": "reference", "relationship": "x", "referencedDataObjectId": place.d11},
        headers=other_user.headers,
    )

    assert_error(
        response,
        400,
        f"You do not have permissions to access the referenced DataObject with id {place.d11}.",
    )
    assert await reference_rows(db, referencing) == []


async def test_payload_of_a_deleted_data_object_is_404(
    client: httpx.AsyncClient, place: Place
) -> None:
    url = place.url(place.c1, place.d11)
    created = await _reference(client, place.owner, url, place.d22)
    deleted = await client.delete(data_object_url(place.c2, place.d22), headers=place.owner.headers)
    assert deleted.status_code == 204

    payload = await client.get(f"{url}/{created['id']}/payload", headers=place.owner.headers)

    assert_error(
        payload,
        404,
        f"DataObject referenced by DataObject reference with id {created['id']} is not accessible",
    )
    assert payload.json()["exception"] == "NotFoundException"


async def test_payload_of_a_data_object_no_longer_readable_is_403(
    client: httpx.AsyncClient, place: Place, make_user: Callable[..., Awaitable[ApiUser]]
) -> None:
    someone = await make_user()
    theirs = (await create_collection(client, someone))["id"]
    target = (await create_data_object(client, someone, theirs))["id"]
    await share(client, someone, theirs, permission_type="PublicReadable")
    url = place.url(place.c1, place.d11)
    created = await _reference(client, place.owner, url, target)
    await share(client, someone, theirs, permission_type="Private")

    payload = await client.get(f"{url}/{created['id']}/payload", headers=place.owner.headers)

    assert_error(payload, 403, FORBIDDEN)
    assert (await client.get(f"{url}/{created['id']}", headers=place.owner.headers)).json() == (
        created
    )


@pytest.mark.parametrize(
    "body",
    [
        {"name": "n"},
        {"name": "n", "referencedDataObjectId": None},
        {"name": "n", "referencedDataObjectId": "x"},
        {"name": "n", "referencedDataObjectId": {"id": 1}},
        {"name": "", "referencedDataObjectId": 1},
        {"referencedDataObjectId": 1},
        {"name": "n", "referencedDataObjectId": 2**63},
        {"name": "n", "referencedDataObjectId": 1, "relationship": "\x00"},
    ],
)
async def test_invalid_body_is_400_and_stores_nothing(
    client: httpx.AsyncClient, place: Place, db: Database, body: dict[str, Any]
) -> None:
    response = await client.post(
        place.url(place.c1, place.d11), json=body, headers=place.owner.headers
    )

    assert response.status_code == 400, response.text
    assert await reference_rows(db, place.d11) == []


async def test_stranger_and_reader_are_refused(
    client: httpx.AsyncClient,
    place: Place,
    db: Database,
    make_user: Callable[..., Awaitable[ApiUser]],
) -> None:
    url = place.url(place.c1, place.d11)
    created = await _reference(client, place.owner, url, place.d12)
    one = f"{url}/{created['id']}"
    stranger = await make_user()
    reader = await make_user()
    await share(client, place.owner, place.c1, readers=(reader,))
    body = {"name": "n", "referencedDataObjectId": place.d12}

    for response in (
        await client.get(url, headers=stranger.headers),
        await client.get(one, headers=stranger.headers),
        await client.get(f"{one}/payload", headers=stranger.headers),
        await client.post(url, json=body, headers=stranger.headers),
        await client.delete(one, headers=stranger.headers),
        await client.post(url, json=body, headers=reader.headers),
        await client.delete(one, headers=reader.headers),
    ):
        assert_error(response, 403, FORBIDDEN)
    assert (await client.get(f"{one}/payload", headers=reader.headers)).status_code == 200
    rows = await reference_rows(db, place.d11)
    assert [(row.id, row.deleted) for row in rows] == [(created["id"], False)]


async def test_version_uid_must_be_a_uuid_and_only_head_exists(
    client: httpx.AsyncClient, place: Place
) -> None:
    url = place.url(place.c1, place.d11)
    created = await _reference(client, place.owner, url, place.d12)
    headers = place.owner.headers

    for target in (url, f"{url}/{created['id']}", f"{url}/{created['id']}/payload"):
        bad = await client.get(target, params={"versionUid": "zzz"}, headers=headers)
        unknown = await client.get(target, params={"versionUid": VERSION_UID}, headers=headers)
        assert bad.status_code == 400
        assert unknown.status_code == 404
