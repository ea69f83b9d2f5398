"""Bad input gets a clear 4xx with a JSON body, never a 500, and stores nothing."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.conftest import API, ApiUser


async def _collections(client: httpx.AsyncClient, user: ApiUser) -> list[Any]:
    response = await client.get(f"{API}/collections", headers=user.headers)
    assert response.status_code == 200
    result: list[Any] = response.json()
    return result


def _assert_json_error(response: httpx.Response, status: int) -> None:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["status"] == status
    assert "message" in body or "violations" in body


@pytest.mark.parametrize(
    "payload",
    [
        b"{not json",
        b'{"name": "x",}',
        b"[1, 2, 3]",
        b'"just a string"',
        b"\xff\xfe\x00binary",
        b'{"name": 17, "attributes": "no map"}',
        b'{"name": "x", "attributes": {"k": ["not", "a", "string"]}}',
        b'{"name": "   "}',
        b"{}",
    ],
)
async def test_malformed_collection_bodies_are_400_and_store_nothing(
    client: httpx.AsyncClient, user: ApiUser, payload: bytes
) -> None:
    before = await _collections(client, user)
    response = await client.post(
        f"{API}/collections",
        content=payload,
        headers={**user.headers, "Content-Type": "application/json"},
    )
    _assert_json_error(response, 400)
    assert await _collections(client, user) == before


async def test_deeply_nested_json_is_rejected_cleanly(
    client: httpx.AsyncClient, user: ApiUser
) -> None:
    depth = 100_000
    payload = b'{"name": "x", "attributes": ' + b"[" * depth + b"]" * depth + b"}"
    before = await _collections(client, user)
    response = await client.post(
        f"{API}/collections",
        content=payload,
        headers={**user.headers, "Content-Type": "application/json"},
    )
    assert 400 <= response.status_code < 500
    assert await _collections(client, user) == before


async def test_huge_body_is_413(client: httpx.AsyncClient, user: ApiUser) -> None:
    payload = b'{"name": "' + b"x" * (17 * 1024 * 1024) + b'"}'
    response = await client.post(
        f"{API}/collections",
        content=payload,
        headers={**user.headers, "Content-Type": "application/json"},
    )
    _assert_json_error(response, 413)


@pytest.mark.parametrize("collection_id", ["-1", "abc", "1.5", "99999999999999999999999"])
async def test_bad_path_ids_are_400(
    client: httpx.AsyncClient, user: ApiUser, collection_id: str
) -> None:
    response = await client.get(f"{API}/collections/{collection_id}", headers=user.headers)
    _assert_json_error(response, 400)


async def test_negative_id_gives_upstream_constraint_violation(
    client: httpx.AsyncClient, user: ApiUser
) -> None:
    response = await client.get(f"{API}/collections/-1", headers=user.headers)
    assert response.status_code == 400
    assert response.json() == {
        "title": "Constraint Violation",
        "status": 400,
        "violations": [
            {
                "field": "getCollection.collectionId",
                "message": "must be greater than or equal to 0",
            }
        ],
    }


@pytest.mark.parametrize(
    "query",
    [
        "orderBy=colour",
        "orderDesc=maybe",
        "page=-1&size=10",
        "page=0&size=-5",
        "page=x&size=1",
    ],
)
async def test_bad_query_parameters_are_400(
    client: httpx.AsyncClient, user: ApiUser, query: str
) -> None:
    response = await client.get(f"{API}/collections?{query}", headers=user.headers)
    _assert_json_error(response, 400)


@pytest.mark.parametrize(
    "uid",
    [
        "not-a-uuid",
        "0B7A8C5E-4D2F-4E5A-9C1B-2F3E4D5A6B7C",  # upper case: Hibernate's @UUID wants lower
        "0b7a8c5e-4d2f-0e5a-9c1b-2f3e4d5a6b7c",  # version 0
        "0b7a8c5e-4d2f-4e5a-fc1b-2f3e4d5a6b7c",  # variant 3
    ],
)
async def test_bad_version_uid_is_400(client: httpx.AsyncClient, user: ApiUser, uid: str) -> None:
    created = await client.post(f"{API}/collections", json={"name": "v"}, headers=user.headers)
    assert created.status_code == 201
    response = await client.get(
        f"{API}/collections/{created.json()['id']}",
        params={"versionUid": uid},
        headers=user.headers,
    )
    assert response.status_code == 400
    assert response.json()["violations"][0]["message"] == "must be a valid UUID"


async def test_a_well_formed_unknown_version_uid_is_404(
    client: httpx.AsyncClient, user: ApiUser
) -> None:
    created = await client.post(f"{API}/collections", json={"name": "v"}, headers=user.headers)
    for uid in ("0b7a8c5e-4d2f-4e5a-9c1b-2f3e4d5a6b7c", "00000000-0000-0000-0000-000000000000"):
        response = await client.get(
            f"{API}/collections/{created.json()['id']}",
            params={"versionUid": uid},
            headers=user.headers,
        )
        _assert_json_error(response, 404)


async def test_unauthenticated_bad_input_is_still_401(client: httpx.AsyncClient) -> None:
    response = await client.post(
        f"{API}/collections", content=b"{not json", headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 401


async def test_unknown_json_properties_are_ignored(
    client: httpx.AsyncClient, user: ApiUser
) -> None:
    response = await client.post(
        f"{API}/collections",
        json={"name": "extra", "valueType": "whatever", "createdBy": "mallory"},
        headers=user.headers,
    )
    assert response.status_code == 201
    body = response.json()
    assert body["createdBy"] == user.username
    assert body["name"] == "extra"
    assert "valueType" not in body


async def test_permissions_put_with_empty_body_is_400_and_changes_nothing(
    client: httpx.AsyncClient, user: ApiUser
) -> None:
    created = await client.post(f"{API}/collections", json={"name": "p"}, headers=user.headers)
    url = f"{API}/collections/{created.json()['id']}/permissions"
    before = (await client.get(url, headers=user.headers)).json()
    response = await client.put(url, json={}, headers=user.headers)
    _assert_json_error(response, 400)
    response = await client.put(
        url,
        json={"permissionType": "Everybody", "reader": [], "writer": [], "manager": []},
        headers=user.headers,
    )
    _assert_json_error(response, 400)
    assert (await client.get(url, headers=user.headers)).json() == before


@pytest.mark.parametrize(
    "kind", ["fileContainers", "structuredDataContainers", "timeseriesContainers"]
)
async def test_text_no_row_can_hold_finds_nothing_on_both_databases(
    client: httpx.AsyncClient, user: ApiUser, kind: str
) -> None:
    """A NUL in a name filter or an oid matches nothing (200 [] / 404), as an unknown value
    does; PostgreSQL used to refuse the parameter with a 400 where SQLite found nothing."""
    created = await client.post(f"{API}/{kind}", json={"name": "plain"}, headers=user.headers)
    assert created.status_code == 201
    listed = await client.get(f"{API}/{kind}", params={"name": "a\x00b"}, headers=user.headers)
    assert listed.status_code == 200
    assert listed.json() == []
    if kind == "timeseriesContainers":
        return
    payload = f"{API}/{kind}/{created.json()['id']}/payload/oid%00x"
    for response in (
        await client.get(payload, headers=user.headers),
        await client.delete(payload, headers=user.headers),
    ):
        _assert_json_error(response, 404)


async def test_order_desc_without_order_by_keeps_the_default_order(
    client: httpx.AsyncClient, user: ApiUser
) -> None:
    """Upstream applies orderDesc only together with orderBy."""
    ids = [
        (
            await client.post(f"{API}/fileContainers", json={"name": name}, headers=user.headers)
        ).json()["id"]
        for name in ("b", "a", "c")
    ]
    for params in ({}, {"orderDesc": "true"}):
        listed = await client.get(f"{API}/fileContainers", params=params, headers=user.headers)
        assert [item["id"] for item in listed.json() if item["id"] in ids] == ids
    by_name = await client.get(
        f"{API}/fileContainers",
        params={"orderBy": "name", "orderDesc": "true"},
        headers=user.headers,
    )
    assert [item["name"] for item in by_name.json() if item["id"] in ids] == ["c", "b", "a"]


async def test_head_of_a_json_resource_is_its_get_without_the_body(
    client: httpx.AsyncClient, user: ApiUser
) -> None:
    got = await client.get(f"{API}/collections", headers=user.headers)
    head = await client.head(f"{API}/collections", headers=user.headers)
    assert head.status_code == 200
    assert head.content == b""
    assert head.headers["content-length"] == got.headers["content-length"]
    assert head.headers["content-type"] == "application/json"
    missing = await client.head(f"{API}/collections/{2**40}", headers=user.headers)
    assert missing.status_code == 404
    assert missing.content == b""
