"""Collection references (upstream CollectionReferenceIT plus permission and payload paths)."""

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
    referenced_id: int

    @property
    def url(self) -> str:
        return data_object_url(self.collection_id, self.data_object_id) + "/collectionReferences"


@pytest.fixture
async def place(client: httpx.AsyncClient, user: ApiUser) -> Place:
    collection = await create_collection(client, user)
    data_object = await create_data_object(client, user, collection["id"])
    referenced = await create_collection(client, user)
    return Place(user, collection["id"], data_object["id"], referenced["id"])


async def _create(client: httpx.AsyncClient, place: Place, **body: Any) -> dict[str, Any]:
    payload = {
        "name": "CollectionReferenceDummy",
        "relationship": "integrationtests",
        "referencedCollectionId": place.referenced_id,
        **body,
    }
    return await post_reference(client, place.owner, place.url, payload)


async def _get_collection(client: httpx.AsyncClient, user: ApiUser, id_: int) -> dict[str, Any]:
    response = await client.get(f"{API}/collections/{id_}", headers=user.headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_create_returns_the_stored_reference(client: httpx.AsyncClient, place: Place) -> None:
    created = await _create(client, place)

    assert set(created) == BASIC_FIELDS | {"referencedCollectionId", "relationship"}
    assert isinstance(created["id"], int)
    assert TIMESTAMP.match(created["createdAt"])
    assert created["createdBy"] == place.owner.username
    assert created["dataObjectId"] == place.data_object_id
    assert created["name"] == "CollectionReferenceDummy"
    assert created["relationship"] == "integrationtests"
    assert created["referencedCollectionId"] == place.referenced_id
    assert created["type"] == "CollectionReference"
    assert created["updatedAt"] is None
    assert created["updatedBy"] is None


async def test_relationship_is_optional(client: httpx.AsyncClient, place: Place) -> None:
    created = await post_reference(
        client,
        place.owner,
        place.url,
        {"name": "plain", "referencedCollectionId": place.referenced_id},
    )

    assert created["relationship"] is None


async def test_a_collection_may_reference_itself(client: httpx.AsyncClient, place: Place) -> None:
    created = await _create(client, place, referencedCollectionId=place.collection_id)

    assert created["referencedCollectionId"] == place.collection_id


async def test_get_and_list_return_what_create_returned(
    client: httpx.AsyncClient, place: Place
) -> None:
    created = await _create(client, place)
    headers = place.owner.headers

    got = await client.get(f"{place.url}/{created['id']}", headers=headers)
    listed = await client.get(place.url, headers=headers)

    assert got.status_code == 200
    assert got.json() == created
    assert listed.status_code == 200
    assert listed.json() == [created]


async def test_get_unknown_reference_is_404(client: httpx.AsyncClient, place: Place) -> None:
    response = await client.get(f"{place.url}/{MISSING_ID}", headers=place.owner.headers)

    assert_error(
        response, 404, f"ID ERROR - Collection Reference with id {MISSING_ID} is null or deleted"
    )


async def test_reference_of_another_data_object_is_404(
    client: httpx.AsyncClient, place: Place
) -> None:
    other = await create_data_object(client, place.owner, place.collection_id)
    foreign = await post_reference(
        client,
        place.owner,
        data_object_url(place.collection_id, other["id"]) + "/collectionReferences",
        {"name": "CollectionReferenceDummy", "referencedCollectionId": place.referenced_id},
    )

    got = await client.get(f"{place.url}/{foreign['id']}", headers=place.owner.headers)
    payload = await client.get(f"{place.url}/{foreign['id']}/payload", headers=place.owner.headers)

    assert_error(got, 404, NO_ASSOCIATION)
    assert_error(payload, 404, NO_ASSOCIATION)


async def test_referenced_collection_lists_the_reference_as_incoming(
    client: httpx.AsyncClient, place: Place
) -> None:
    created = await _create(client, place)

    referenced = await _get_collection(client, place.owner, place.referenced_id)

    assert referenced["incomingIds"] == [created["id"]]


async def test_payload_is_the_referenced_collection(
    client: httpx.AsyncClient, place: Place
) -> None:
    created = await _create(client, place)

    response = await client.get(f"{place.url}/{created['id']}/payload", headers=place.owner.headers)

    assert response.status_code == 200
    assert response.json() == await _get_collection(client, place.owner, place.referenced_id)
    assert response.json()["id"] == place.referenced_id
    assert response.json()["incomingIds"] == [created["id"]]


async def test_delete_is_soft_and_final(
    client: httpx.AsyncClient, place: Place, db: Database
) -> None:
    created = await _create(client, place)
    url = f"{place.url}/{created['id']}"
    headers = place.owner.headers

    first = await client.delete(url, headers=headers)
    second = await client.delete(url, headers=headers)
    got = await client.get(url, headers=headers)
    payload = await client.get(f"{url}/payload", headers=headers)

    assert first.status_code == 204
    assert second.status_code == 404
    assert got.status_code == 404
    assert payload.status_code == 404
    assert (await client.get(place.url, headers=headers)).json() == []
    referenced = await _get_collection(client, place.owner, place.referenced_id)
    assert referenced["incomingIds"] == []
    [row] = await reference_rows(db, place.data_object_id)
    assert row.deleted is True
    assert row.referenced_collection_id == place.referenced_id


@pytest.mark.parametrize("target", [-2, MISSING_ID])
async def test_unknown_referenced_collection_is_400_and_stores_nothing(
    client: httpx.AsyncClient, place: Place, db: Database, target: int
) -> None:
    response = await client.post(
        place.url,
        json={"name": "dangling", "referencedCollectionId": target},
        headers=place.owner.headers,
    )

    assert_error(response, 400, f"The referenced collection with id {target} could not be found.")
    assert response.json()["exception"] == "InvalidBodyException"
    assert await reference_rows(db, place.data_object_id) == []


async def test_deleted_referenced_collection_is_400(
    client: httpx.AsyncClient, place: Place, db: Database
) -> None:
    deleted = await client.delete(
        f"{API}/collections/{place.referenced_id}", headers=place.owner.headers
    )
    assert deleted.status_code == 204

    response = await client.post(
        place.url,
        json={"name": "late", "referencedCollectionId": place.referenced_id},
        headers=place.owner.headers,
    )

    assert_error(
        response,
        400,
        f"The referenced collection with id {place.referenced_id} could not be found.",
    )
    assert await reference_rows(db, place.data_object_id) == []


async def test_unreadable_referenced_collection_is_403_and_stores_nothing(
    client: httpx.AsyncClient,
    place: Place,
    db: Database,
    make_user: Callable[..., Awaitable[ApiUser]],
) -> None:
    someone = await make_user()
    private = await create_collection(client, someone)

    response = await client.post(
        place.url,
        json={"name": "peek", "referencedCollectionId": private["id"]},
        headers=place.owner.headers,
    )

    assert_error(
        response,
        403,
        f"You do not have permissions to access the referenced collection with id {private['id']}.",
    )
    assert await reference_rows(db, place.data_object_id) == []


async def test_readable_foreign_collection_may_be_referenced(
    client: httpx.AsyncClient, place: Place, make_user: Callable[..., Awaitable[ApiUser]]
) -> None:
    someone = await make_user()
    foreign = await create_collection(client, someone)
    await share(client, someone, foreign["id"], permission_type="PublicReadable")

    created = await _create(client, place, referencedCollectionId=foreign["id"])
    payload = await client.get(f"{place.url}/{created['id']}/payload", headers=place.owner.headers)

    assert payload.status_code == 200
    assert payload.json()["id"] == foreign["id"]


async def test_payload_of_a_collection_no_longer_readable_is_403(
    client: httpx.AsyncClient, place: Place, make_user: Callable[..., Awaitable[ApiUser]]
) -> None:
    someone = await make_user()
    foreign = await create_collection(client, someone)
    await share(client, someone, foreign["id"], permission_type="PublicReadable")
    created = await _create(client, place, referencedCollectionId=foreign["id"])
    await share(client, someone, foreign["id"], permission_type="Private")

    payload = await client.get(f"{place.url}/{created['id']}/payload", headers=place.owner.headers)
    reference = await client.get(f"{place.url}/{created['id']}", headers=place.owner.headers)

    assert_error(payload, 403, FORBIDDEN)
    assert reference.status_code == 200


async def test_payload_of_a_deleted_collection_is_404(
    client: httpx.AsyncClient, place: Place
) -> None:
    created = await _create(client, place)
    deleted = await client.delete(
        f"{API}/collections/{place.referenced_id}", headers=place.owner.headers
    )
    assert deleted.status_code == 204

    payload = await client.get(f"{place.url}/{created['id']}/payload", headers=place.owner.headers)

    assert_error(
        payload,
        404,
        f"Collection referenced by CollectionReference with id {created['id']} "
        "cannot be found or is deleted",
    )
    assert payload.json()["exception"] == "NotFoundException"


@pytest.mark.parametrize(
    "body",
    [
        {"name": "n"},
        {"name": "n", "referencedCollectionId": None},
        {"name": "n", "referencedCollectionId": "abc"},
        {"name": "n", "referencedCollectionId": 1.5},
        {"name": "n", "referencedCollectionId": [1]},
        {"name": " ", "referencedCollectionId": 1},
        {"referencedCollectionId": 1},
        {"name": "n", "referencedCollectionId": 1, "relationship": 7},
        {"name": "n", "referencedCollectionId": 2**63},
        {"name": "n", "referencedCollectionId": -(2**63) - 1},
        {"name": "n", "referencedCollectionId": 10**30},
    ],
)
async def test_invalid_body_is_400_and_stores_nothing(
    client: httpx.AsyncClient, place: Place, db: Database, body: dict[str, Any]
) -> None:
    response = await client.post(place.url, json=body, headers=place.owner.headers)

    assert response.status_code == 400, response.text
    assert await reference_rows(db, place.data_object_id) == []


async def test_invalid_body_wins_over_missing_permission(
    client: httpx.AsyncClient, place: Place, make_user: Callable[..., Awaitable[ApiUser]]
) -> None:
    stranger = await make_user()

    response = await client.post(place.url, json={"name": "n"}, headers=stranger.headers)

    assert response.status_code == 400


async def test_stranger_gets_403_and_changes_nothing(
    client: httpx.AsyncClient,
    place: Place,
    db: Database,
    make_user: Callable[..., Awaitable[ApiUser]],
) -> None:
    created = await _create(client, place)
    stranger = (await make_user()).headers
    url = f"{place.url}/{created['id']}"
    body = {"name": "n", "referencedCollectionId": place.referenced_id}

    for response in (
        await client.get(place.url, headers=stranger),
        await client.get(url, headers=stranger),
        await client.get(f"{url}/payload", headers=stranger),
        await client.post(place.url, json=body, headers=stranger),
        await client.delete(url, headers=stranger),
    ):
        assert_error(response, 403, FORBIDDEN)
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
    await share(client, place.owner, place.referenced_id, readers=(reader,))
    url = f"{place.url}/{created['id']}"

    assert (await client.get(url, headers=reader.headers)).json() == created
    assert (await client.get(f"{url}/payload", headers=reader.headers)).status_code == 200
    refused_create = await client.post(
        place.url,
        json={"name": "n", "referencedCollectionId": place.referenced_id},
        headers=reader.headers,
    )
    refused_delete = await client.delete(url, headers=reader.headers)

    assert_error(refused_create, 403, FORBIDDEN)
    assert_error(refused_delete, 403, FORBIDDEN)
    rows = await reference_rows(db, place.data_object_id)
    assert [(row.id, row.deleted) for row in rows] == [(created["id"], False)]


async def test_version_uid_must_be_a_uuid_and_only_head_exists(
    client: httpx.AsyncClient, place: Place
) -> None:
    created = await _create(client, place)
    headers = place.owner.headers
    one = f"{place.url}/{created['id']}"

    for url in (place.url, one, f"{one}/payload"):
        bad = await client.get(url, params={"versionUid": "not-a-uuid"}, headers=headers)
        unknown = await client.get(url, params={"versionUid": VERSION_UID}, headers=headers)
        assert bad.status_code == 400
        assert unknown.status_code == 404


async def test_without_credentials_is_401(client: httpx.AsyncClient, place: Place) -> None:
    assert (await client.get(place.url)).status_code == 401
    assert (await client.get(f"{place.url}/1/payload")).status_code == 401
    response = await client.post(place.url, json={"name": "n", "referencedCollectionId": 1})
    assert response.status_code == 401
