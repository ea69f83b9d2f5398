"""The generic `{DO}/references` endpoints (upstream BasicReferenceIT plus paging and order)."""

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
    owner: ApiUser
    collection_id: int
    data_object_id: int
    data_object_ref: dict[str, Any]
    uri_ref: dict[str, Any]

    @property
    def base(self) -> str:
        return data_object_url(self.collection_id, self.data_object_id)

    @property
    def url(self) -> str:
        return self.base + "/references"


@pytest.fixture
async def place(client: httpx.AsyncClient, user: ApiUser) -> Place:
    collection = (await create_collection(client, user))["id"]
    data_object = (await create_data_object(client, user, collection))["id"]
    base = data_object_url(collection, data_object)
    data_object_ref = await post_reference(
        client,
        user,
        base + "/dataObjectReferences",
        {"name": "DataObjectReference", "referencedDataObjectId": data_object},
    )
    uri_ref = await post_reference(
        client, user, base + "/uriReferences", {"name": "UriReference", "uri": "http://example.com"}
    )
    return Place(user, collection, data_object, data_object_ref, uri_ref)


def _basic(reference: dict[str, Any]) -> dict[str, Any]:
    return {key: reference[key] for key in BASIC_FIELDS}


async def _names(client: httpx.AsyncClient, place: Place, **params: Any) -> list[str]:
    response = await client.get(place.url, params=params, headers=place.owner.headers)
    assert response.status_code == 200, response.text
    return [reference["name"] for reference in response.json()]


async def test_get_returns_each_kind_as_a_basic_reference(
    client: httpx.AsyncClient, place: Place
) -> None:
    headers = place.owner.headers

    data_object_ref = await client.get(
        f"{place.url}/{place.data_object_ref['id']}", headers=headers
    )
    uri_ref = await client.get(f"{place.url}/{place.uri_ref['id']}", headers=headers)

    assert data_object_ref.status_code == 200
    assert data_object_ref.json() == _basic(place.data_object_ref)
    assert data_object_ref.json()["type"] == "DataObjectReference"
    assert data_object_ref.json()["name"] == "DataObjectReference"
    assert uri_ref.json() == _basic(place.uri_ref)
    assert uri_ref.json()["type"] == "URIReference"
    assert set(uri_ref.json()) == BASIC_FIELDS


async def test_get_unknown_reference_is_404(client: httpx.AsyncClient, place: Place) -> None:
    response = await client.get(f"{place.url}/{MISSING_ID}", headers=place.owner.headers)

    assert_error(
        response, 404, f"ID ERROR - Basic Reference with id {MISSING_ID} is null or deleted"
    )


async def test_reference_of_another_data_object_is_404(
    client: httpx.AsyncClient, place: Place
) -> None:
    other = (await create_data_object(client, place.owner, place.collection_id))["id"]
    foreign = await post_reference(
        client,
        place.owner,
        data_object_url(place.collection_id, other) + "/dataObjectReferences",
        {"name": "x", "referencedDataObjectId": place.data_object_id},
    )

    got = await client.get(f"{place.url}/{foreign['id']}", headers=place.owner.headers)
    deleted = await client.delete(f"{place.url}/{foreign['id']}", headers=place.owner.headers)

    assert_error(got, 404, NO_ASSOCIATION)
    assert_error(deleted, 404, NO_ASSOCIATION)


async def test_list_holds_every_kind(client: httpx.AsyncClient, place: Place) -> None:
    response = await client.get(place.url, headers=place.owner.headers)

    assert response.status_code == 200
    assert response.json() == [_basic(place.data_object_ref), _basic(place.uri_ref)]


async def test_delete_through_the_generic_endpoint(
    client: httpx.AsyncClient, place: Place, db: Database
) -> None:
    headers = place.owner.headers

    deleted = await client.delete(f"{place.url}/{place.uri_ref['id']}", headers=headers)
    listed = await client.get(place.url, headers=headers)
    generic = await client.get(f"{place.url}/{place.uri_ref['id']}", headers=headers)
    specific = await client.get(
        f"{place.base}/uriReferences/{place.uri_ref['id']}", headers=headers
    )
    again = await client.delete(f"{place.url}/{place.uri_ref['id']}", headers=headers)

    assert deleted.status_code == 204
    assert listed.json() == [_basic(place.data_object_ref)]
    assert_error(
        generic, 404, f"ID ERROR - Basic Reference with id {place.uri_ref['id']} is null or deleted"
    )
    assert specific.status_code == 404
    assert again.status_code == 404
    rows = {row.id: row for row in await reference_rows(db, place.data_object_id)}
    assert rows[place.uri_ref["id"]].deleted is True
    assert rows[place.uri_ref["id"]].updated_by == place.owner.username
    assert rows[place.data_object_ref["id"]].deleted is False


async def test_deleted_data_object_reference_leaves_incoming_ids(
    client: httpx.AsyncClient, place: Place
) -> None:
    headers = place.owner.headers
    await client.delete(f"{place.url}/{place.data_object_ref['id']}", headers=headers)

    data_object = await client.get(place.base, headers=headers)

    assert data_object.json()["incomingIds"] == []
    assert data_object.json()["referenceIds"] == [place.uri_ref["id"]]


async def test_name_filter_is_an_exact_match(client: httpx.AsyncClient, place: Place) -> None:
    assert await _names(client, place, name="UriReference") == ["UriReference"]
    assert await _names(client, place, name="urireference") == []
    assert await _names(client, place, name="Uri") == []
    assert await _names(client, place, name="Uri\x00Reference") == []


async def test_order_by_name_and_type(client: httpx.AsyncClient, place: Place) -> None:
    await post_reference(
        client, place.owner, place.base + "/uriReferences", {"name": "alpha", "uri": "a:b"}
    )
    await post_reference(
        client,
        place.owner,
        place.base + "/collectionReferences",
        {"name": "Zulu", "referencedCollectionId": place.collection_id},
    )

    by_name = await _names(client, place, orderBy="name")
    by_name_desc = await _names(client, place, orderBy="name", orderDesc="true")
    by_type = await _names(client, place, orderBy="type")

    assert by_name == ["alpha", "DataObjectReference", "UriReference", "Zulu"]
    assert by_name_desc == ["Zulu", "UriReference", "DataObjectReference", "alpha"]
    # CollectionReference < DataObjectReference < URIReference, ties in creation order
    assert by_type == ["Zulu", "DataObjectReference", "UriReference", "alpha"]


async def test_order_by_created_at(client: httpx.AsyncClient, place: Place) -> None:
    assert await _names(client, place, orderBy="createdAt") == [
        "DataObjectReference",
        "UriReference",
    ]
    assert await _names(client, place, orderBy="createdAt", orderDesc=True) == [
        "UriReference",
        "DataObjectReference",
    ]
    assert await _names(client, place, orderBy="updatedAt") == [
        "DataObjectReference",
        "UriReference",
    ]


async def test_paging_needs_page_and_size(client: httpx.AsyncClient, place: Place) -> None:
    for index in range(3):
        await post_reference(
            client, place.owner, place.base + "/uriReferences", {"name": f"r{index}", "uri": "u:v"}
        )

    assert await _names(client, place, orderBy="name", page=0, size=2) == [
        "DataObjectReference",
        "r0",
    ]
    assert await _names(client, place, orderBy="name", page=2, size=2) == ["UriReference"]
    assert await _names(client, place, orderBy="name", page=3, size=2) == []
    assert len(await _names(client, place, page=1)) == 5
    assert len(await _names(client, place, size=1)) == 5


@pytest.mark.parametrize(
    "params",
    [
        {"size": 0},
        {"size": -1},
        {"page": -1},
        {"page": "x"},
        {"orderBy": "id"},
        {"orderBy": "NAME"},
        {"orderDesc": "maybe"},
        {"page": 2**31, "size": 1},
        {"page": 0, "size": 2**31},
    ],
)
async def test_invalid_query_parameters_are_400(
    client: httpx.AsyncClient, place: Place, params: dict[str, Any]
) -> None:
    response = await client.get(place.url, params=params, headers=place.owner.headers)

    assert response.status_code == 400
    assert response.json()["title"] == "Constraint Violation"


async def test_size_violation_uses_upstream_wording(
    client: httpx.AsyncClient, place: Place
) -> None:
    response = await client.get(place.url, params={"size": 0}, headers=place.owner.headers)

    assert response.json()["violations"] == [
        {"field": "getAllReferences.size", "message": "must be greater than 0"}
    ]


async def test_stranger_and_reader_are_refused(
    client: httpx.AsyncClient,
    place: Place,
    db: Database,
    make_user: Callable[..., Awaitable[ApiUser]],
) -> None:
    stranger = await make_user()
    reader = await make_user()
    await share(client, place.owner, place.collection_id, readers=(reader,))
    one = f"{place.url}/{place.uri_ref['id']}"

    for response in (
        await client.get(place.url, headers=stranger.headers),
        await client.get(one, headers=stranger.headers),
        await client.delete(one, headers=stranger.headers),
        await client.delete(one, headers=reader.headers),
    ):
        assert_error(response, 403, FORBIDDEN)
    assert (await client.get(one, headers=reader.headers)).json() == _basic(place.uri_ref)
    assert all(not row.deleted for row in await reference_rows(db, place.data_object_id))


async def test_invalid_path_ids_are_400(client: httpx.AsyncClient, place: Place) -> None:
    headers = place.owner.headers

    assert (await client.get(f"{place.url}/-1", headers=headers)).status_code == 400
    assert (await client.delete(f"{place.url}/-1", headers=headers)).status_code == 400
    bad_collection = data_object_url(-1, place.data_object_id) + "/references"
    assert (await client.get(bad_collection, headers=headers)).status_code == 400


async def test_without_credentials_is_401(client: httpx.AsyncClient, place: Place) -> None:
    assert (await client.get(place.url)).status_code == 401
    assert (await client.delete(f"{place.url}/{place.uri_ref['id']}")).status_code == 401
