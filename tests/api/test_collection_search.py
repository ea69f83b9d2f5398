"""`POST /search/collections`, ported from upstream's PaginatedCollectionSearcherIT (5.4.0) and
extended: properties (id, name, description, createdBy, timestamps, attributes.<key>), the boolean
combinators, ordering, paging, read permission filtered in SQL, and 400 on bad input."""

from __future__ import annotations

import json
import uuid
from typing import Any

import httpx
import pytest

from tests.api.test_collections import COLLECTION_KEYS, create_collection
from tests.conftest import API, ApiUser

SEARCH = f"{API}/search/collections"


def _query(prop: str, value: Any, operator: str = "contains") -> str:
    return json.dumps({"property": prop, "value": value, "operator": operator})


async def _search(
    client: httpx.AsyncClient, user: ApiUser, query: str, **params: Any
) -> dict[str, Any]:
    response = await client.post(
        SEARCH, json={"searchParams": {"query": query}}, params=params, headers=user.headers
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    assert body["searchParams"] == {"query": query}
    return body


async def test_find_by_name(client: httpx.AsyncClient, user: ApiUser) -> None:
    run = str(uuid.uuid4())
    created = await create_collection(client, user, name=f"{run} firstCollection")
    result = await _search(client, user, _query("name", run))
    assert [row["id"] for row in result["results"]] == [created["id"]]
    assert result["totalResults"] == 1
    assert set(result["results"][0]) == COLLECTION_KEYS
    assert result["results"][0] == created


async def test_find_by_id(client: httpx.AsyncClient, user: ApiUser) -> None:
    created = await create_collection(client, user)
    result = await _search(client, user, _query("id", created["id"], "eq"))
    assert [row["id"] for row in result["results"]] == [created["id"]]
    assert result["totalResults"] == 1


async def test_complete_page_and_total(client: httpx.AsyncClient, user: ApiUser) -> None:
    run = uuid.uuid4().hex
    for i in range(6):
        await create_collection(client, user, name=f"{run}paged{i}")
    result = await _search(client, user, _query("name", f"{run}paged"), page=0, size=5)
    assert len(result["results"]) == 5
    assert result["totalResults"] == 6
    last = await _search(client, user, _query("name", f"{run}paged"), page=1, size=5)
    assert len(last["results"]) == 1
    assert {row["id"] for row in result["results"]}.isdisjoint({last["results"][0]["id"]})


async def test_ordered_by_updated_at_ascending(client: httpx.AsyncClient, user: ApiUser) -> None:
    run = uuid.uuid4().hex
    created = [await create_collection(client, user, name=f"{run}-{i}") for i in range(4)]
    first = created[0]
    response = await client.put(
        f"{API}/collections/{first['id']}",
        json={"name": first["name"], "description": "I have been updated."},
        headers=user.headers,
    )
    assert response.status_code == 200
    result = await _search(
        client, user, _query("name", run), page=0, size=20, orderBy="updatedAt", orderDesc="false"
    )
    assert result["totalResults"] == 4
    # ascending: the one updated collection first, never-updated ones (null) last
    assert result["results"][0]["id"] == first["id"]
    descending = await _search(client, user, _query("name", run), orderBy="updatedAt")
    assert descending["results"][-1]["id"] == first["id"]


async def test_default_order_is_newest_first(client: httpx.AsyncClient, user: ApiUser) -> None:
    run = uuid.uuid4().hex
    created = [await create_collection(client, user, name=f"{run}-{i}") for i in range(3)]
    result = await _search(client, user, _query("name", run))
    assert [row["id"] for row in result["results"]] == [c["id"] for c in reversed(created)]


async def test_sort_by_name(client: httpx.AsyncClient, user: ApiUser) -> None:
    run = uuid.uuid4().hex
    for i in (1, 0, 2):
        await create_collection(client, user, name=f"{i} {run}sortByName")
    down = await _search(client, user, _query("name", run), orderBy="name", orderDesc="true")
    up = await _search(client, user, _query("name", run), orderBy="name", orderDesc="false")
    assert [row["name"][0] for row in down["results"]] == ["2", "1", "0"]
    assert [row["name"][0] for row in up["results"]] == ["0", "1", "2"]


async def test_private_collection_only_found_by_its_owner(
    client: httpx.AsyncClient, user: ApiUser, other_user: ApiUser
) -> None:
    run = str(uuid.uuid4())
    await create_collection(client, other_user, name=run)
    mine = await _search(client, user, _query("name", run))
    theirs = await _search(client, other_user, _query("name", run))
    assert (mine["results"], mine["totalResults"]) == ([], 0)
    assert theirs["totalResults"] == 1
    assert len(theirs["results"]) == 1


async def test_shared_and_public_collections_are_found(
    client: httpx.AsyncClient, user: ApiUser, other_user: ApiUser
) -> None:
    run = uuid.uuid4().hex
    readable = await create_collection(client, other_user, name=f"{run}-readable")
    await create_collection(client, other_user, name=f"{run}-private")
    response = await client.put(
        f"{API}/collections/{readable['id']}/permissions",
        json={
            "owner": other_user.username,
            "permissionType": "PublicReadable",
            "reader": [],
            "writer": [],
            "manager": [],
            "readerGroupIds": [],
            "writerGroupIds": [],
        },
        headers=other_user.headers,
    )
    assert response.status_code == 200
    result = await _search(client, user, _query("name", run))
    assert [row["id"] for row in result["results"]] == [readable["id"]]
    assert result["totalResults"] == 1


async def test_deleted_collections_are_not_found(client: httpx.AsyncClient, user: ApiUser) -> None:
    created = await create_collection(client, user)
    response = await client.delete(f"{API}/collections/{created['id']}", headers=user.headers)
    assert response.status_code == 204
    result = await _search(client, user, _query("id", created["id"], "eq"))
    assert result["totalResults"] == 0


async def test_properties_and_combinators(client: httpx.AsyncClient, user: ApiUser) -> None:
    run = uuid.uuid4().hex
    alpha = await create_collection(
        client,
        user,
        name=f"{run}-alpha",
        description="Wind Tunnel run",
        attributes={"site": "Braunschweig", "stage": "2"},
    )
    beta = await create_collection(client, user, name=f"{run}-beta", attributes={"site": "Cologne"})
    scoped = {"property": "name", "value": run, "operator": "contains"}

    async def ids(node: dict[str, Any]) -> list[int]:
        query = json.dumps({"AND": [scoped, node]})
        return sorted(row["id"] for row in (await _search(client, user, query))["results"])

    assert await ids({"property": "description", "value": "tunnel", "operator": "contains"}) == [
        alpha["id"]
    ]
    assert await ids({"property": "attributes.site", "value": "cologne", "operator": "eq"}) == [
        beta["id"]
    ]
    assert await ids({"property": "attributes.stage", "value": "2", "operator": "eq"}) == [
        alpha["id"]
    ]
    assert await ids({"property": "createdBy", "value": user.username, "operator": "eq"}) == sorted(
        [alpha["id"], beta["id"]]
    )
    assert await ids({"property": "createdAt", "value": 0, "operator": "gt"}) == sorted(
        [alpha["id"], beta["id"]]
    )
    assert await ids({"NOT": {"property": "name", "value": f"{run}-alpha", "operator": "eq"}}) == [
        beta["id"]
    ]
    assert await ids(
        {
            "OR": [
                {"property": "id", "value": alpha["id"], "operator": "eq"},
                {"property": "id", "value": [beta["id"]], "operator": "in"},
            ]
        }
    ) == sorted([alpha["id"], beta["id"]])
    assert await ids({"property": "name", "value": f"{run}-al.*", "operator": "regmatch"}) == [
        alpha["id"]
    ]
    assert await ids({"property": "unknownProperty", "value": "x", "operator": "eq"}) == []


@pytest.mark.parametrize(
    ("body", "params"),
    [
        ({"searchParams": {"query": "not json"}}, {}),
        ({"searchParams": {"query": "  "}}, {}),
        ({"searchParams": {}}, {}),
        ({}, {}),
        ({"searchParams": {"query": _query("name", "x", "between")}}, {}),
        ({"searchParams": {"query": _query("id", "abc", "eq")}}, {}),
        ({"searchParams": {"query": _query("name", "x")}}, {"size": 0}),
        ({"searchParams": {"query": _query("name", "x")}}, {"page": -1}),
        ({"searchParams": {"query": _query("name", "x")}}, {"orderBy": "description"}),
        # SQLite cut a LIKE pattern at the NUL and matched every readable collection
        ({"searchParams": {"query": _query("name", "\x00", "contains")}}, {}),
        ({"searchParams": {"query": _query("name", ["a", "b\x00"], "in")}}, {}),
        ({"searchParams": {"query": _query("name", "x" * 10_001, "regmatch")}}, {}),
    ],
)
async def test_bad_input_is_400(
    client: httpx.AsyncClient, user: ApiUser, body: dict[str, Any], params: dict[str, Any]
) -> None:
    response = await client.post(SEARCH, json=body, params=params, headers=user.headers)
    assert response.status_code == 400, response.text
    assert response.headers["content-type"].startswith("application/json")


async def test_size_zero_is_refused_as_upstreams_positive_constraint_words_it(
    client: httpx.AsyncClient, user: ApiUser
) -> None:
    body = {"searchParams": {"query": _query("name", "x")}}
    response = await client.post(SEARCH, json=body, params={"size": 0}, headers=user.headers)
    assert response.json()["violations"] == [
        {"field": "searchCollections.size", "message": "must be greater than 0"}
    ]


async def test_anonymous_is_401(client: httpx.AsyncClient) -> None:
    response = await client.post(SEARCH, json={"searchParams": {"query": _query("name", "x")}})
    assert response.status_code == 401
