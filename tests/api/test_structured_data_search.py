"""`POST /search` with queryType StructuredData (port of upstream's StructuredDataSearcherIT).

Upstream's IT closes a predecessor cycle through the API; pyshepard refuses cycles there (400),
so the cycle test inserts the closing edge into the database directly."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from pyshepard.context.dataobjects.models import DataObjectLink
from pyshepard.core.db import Database
from tests.api.references_support import assert_error, share, unique
from tests.api.test_structured_data import create_container, share_container, upload
from tests.conftest import API, ApiUser

MakeUser = Callable[..., Awaitable[ApiUser]]
SEARCH = f"{API}/search"


@dataclass
class World:
    owner: ApiUser
    collection: int
    ids: dict[str, int]
    refs: dict[str, int]
    containers: dict[str, int]


async def _data_object(
    client: httpx.AsyncClient, user: ApiUser, collection: int, name: str, **relations: Any
) -> int:
    response = await client.post(
        f"{API}/collections/{collection}/dataObjects",
        json={"name": name, **relations},
        headers=user.headers,
    )
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


async def _reference(
    client: httpx.AsyncClient,
    user: ApiUser,
    *,
    collection: int,
    data_object: int,
    container: int,
    oids: list[str],
) -> int:
    response = await client.post(
        f"{API}/collections/{collection}/dataObjects/{data_object}/structuredDataReferences",
        json={
            "name": unique("ref"),
            "structuredDataOids": oids,
            "structuredDataContainerId": container,
        },
        headers=user.headers,
    )
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


@pytest.fixture
async def world(client: httpx.AsyncClient, user: ApiUser) -> World:
    response = await client.post(
        f"{API}/collections", json={"name": unique("SearchTestCollection")}, headers=user.headers
    )
    collection = response.json()["id"]
    root = await _data_object(client, user, collection, "RootDataObject")
    first = await _data_object(client, user, collection, "firstChild", parentId=root)
    second = await _data_object(client, user, collection, "secondChild", parentId=root)
    grandchild = await _data_object(
        client, user, collection, "secondChildFirstGrandchild", parentId=second
    )
    successor = await _data_object(
        client, user, collection, "firstSuccessor", predecessorIds=[first, second]
    )
    cyclic = await _data_object(
        client, user, collection, "cyclicSuccessor", predecessorIds=[successor]
    )
    container = (await create_container(client, user, "DataContainer"))["id"]
    container_successor = (await create_container(client, user, "DataContainerSuccessor"))["id"]
    data = await upload(client, user, container, {"number1": 3, "number2": 456})
    data1 = await upload(client, user, container, {"number1": 0, "number2": 123})
    data_successor = await upload(client, user, container_successor, {"success": 0, "number2": 123})
    refs = {
        "reference": await _reference(
            client,
            user,
            collection=collection,
            data_object=second,
            container=container,
            oids=[data["oid"]],
        ),
        "reference1": await _reference(
            client,
            user,
            collection=collection,
            data_object=first,
            container=container,
            oids=[data1["oid"]],
        ),
        "referenceSuccessor": await _reference(
            client,
            user,
            collection=collection,
            data_object=successor,
            container=container_successor,
            oids=[data_successor["oid"]],
        ),
    }
    ids = {
        "root": root,
        "first": first,
        "second": second,
        "grandchild": grandchild,
        "successor": successor,
        "cyclic": cyclic,
    }
    return World(user, collection, ids, refs, {"c": container, "s": container_successor})


async def _search(
    client: httpx.AsyncClient,
    user: ApiUser,
    world: World,
    query: str,
    *,
    start: str | None = None,
    rules: tuple[str, ...] = (),
) -> dict[str, Any]:
    scope: dict[str, Any] = {"collectionId": world.collection, "traversalRules": list(rules)}
    if start is not None:
        scope["dataObjectId"] = world.ids[start]
    params = {"query": query, "queryType": "StructuredData"}
    response = await client.post(
        SEARCH, json={"scopes": [scope], "searchParams": params}, headers=user.headers
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    assert body["searchParams"] == params
    assert [item["id"] for item in body["results"]] == [
        triple["referenceId"] for triple in body["resultSet"]
    ]
    return body


def _triple(world: World, data_object: str, reference: str) -> dict[str, int]:
    return {
        "collectionId": world.collection,
        "dataObjectId": world.ids[data_object],
        "referenceId": world.refs[reference],
    }


def _triples(body: dict[str, Any]) -> list[dict[str, int]]:
    return list(body["resultSet"])


AND_QUERY = (
    '{"AND": [{"property": "number1", "value": 3, "operator": "ge"},'
    '{"property": "number1","value": 3, "operator": "le"}]}'
)
OR_QUERY = (
    '{"OR": [{"property": "number1", "value": 3, "operator": "ge"},'
    '{"property": "number1","value": 3, "operator": "le"}]}'
)
NOT_QUERY = '{"NOT": {"property": "number1", "value": 3, "operator": "eq"}}'
DE_MORGAN = (
    '{"NOT": {"OR": [{"property": "number1", "value": 4, "operator": "gt"},'
    ' {"property": "number1", "value": 1, "operator": "lt"}]}}'
)


@pytest.mark.parametrize(
    ("query", "start", "rules", "expected"),
    [
        ("number1: {$gt: 1}", "root", ("children",), [("second", "reference")]),
        ("number1: {$gt: 1}", None, (), [("second", "reference")]),
        (AND_QUERY, "root", ("children",), [("second", "reference")]),
        ("number1: {$lt: 0}", "root", ("children",), []),
        (OR_QUERY, "root", ("children",), [("second", "reference"), ("first", "reference1")]),
        ("number1: {$gt: 1}", "successor", ("predecessors",), [("second", "reference")]),
        (NOT_QUERY, "root", ("children",), [("first", "reference1")]),
        ("number1: {$lt: 0}", "successor", ("predecessors",), []),
        (DE_MORGAN, "root", ("children",), [("second", "reference")]),
        ("number1: {$gt: 1}", "grandchild", ("parents",), [("second", "reference")]),
        ("success: {$eq: 0}", "second", ("successors",), [("successor", "referenceSuccessor")]),
        (
            "number2: {$gt: 0}",
            "root",
            ("children",),
            [("second", "reference"), ("first", "reference1")],
        ),
        ("success: {$eq: 0}", "cyclic", ("predecessors",), [("successor", "referenceSuccessor")]),
        # the scope's own data object only, without traversal rules
        ("number2: {$gt: 0}", "second", (), [("second", "reference")]),
        ("number2: {$gt: 0}", "root", (), []),
        # several rules: the union of what each reaches
        (
            "number2: {$gt: 0}",
            "second",
            ("parents", "successors"),
            [("second", "reference"), ("successor", "referenceSuccessor")],
        ),
        # Mongo shell syntax with outer braces and strict JSON filters work too
        ("{ number1: { $gte: 0 }, number2: 123 }", None, (), [("first", "reference1")]),
        (
            '{"number2": {"$in": [123]}}',
            None,
            (),
            [("first", "reference1"), ("successor", "referenceSuccessor")],
        ),
    ],
)
async def test_structured_data_search(  # noqa: PLR0917 - pytest passes fixtures positionally
    client: httpx.AsyncClient,
    world: World,
    query: str,
    start: str | None,
    rules: tuple[str, ...],
    expected: list[tuple[str, str]],
) -> None:
    body = await _search(client, world.owner, world, query, start=start, rules=rules)
    want = sorted(
        (_triple(world, data_object, reference) for data_object, reference in expected),
        key=lambda triple: triple["referenceId"],
    )
    assert _triples(body) == want


async def test_results_are_basic_entities(client: httpx.AsyncClient, world: World) -> None:
    body = await _search(client, world.owner, world, "number1: {$gt: 1}")
    (entity,) = body["results"]
    assert set(entity) == {"id", "createdAt", "createdBy", "updatedAt", "updatedBy", "name"}
    assert entity["createdBy"] == world.owner.username


async def test_strangers_find_nothing_readers_and_reader_groups_do(
    client: httpx.AsyncClient, world: World, make_user: MakeUser
) -> None:
    reader, member = await make_user(), await make_user()
    query = "success: {$eq: 0}"
    assert (
        _triples(
            await _search(client, reader, world, query, start="cyclic", rules=("predecessors",))
        )
        == []
    )
    await share(client, world.owner, world.collection, readers=(reader,))
    # upstream checks only the collection; pyshepard also hides unreadable containers' documents
    assert (
        _triples(
            await _search(client, reader, world, query, start="cyclic", rules=("predecessors",))
        )
        == []
    )
    for container in world.containers.values():
        await share_container(client, world.owner, container, readers=(reader, member))
    found = await _search(client, reader, world, query, start="cyclic", rules=("predecessors",))
    assert _triples(found) == [_triple(world, "successor", "referenceSuccessor")]

    group = await client.post(
        f"{API}/userGroups",
        json={"name": unique("g"), "usernames": [member.username]},
        headers=world.owner.headers,
    )
    permissions = await client.get(
        f"{API}/collections/{world.collection}/permissions", headers=world.owner.headers
    )
    update = {**permissions.json(), "readerGroupIds": [group.json()["id"]]}
    await client.put(
        f"{API}/collections/{world.collection}/permissions",
        json=update,
        headers=world.owner.headers,
    )
    found = await _search(client, member, world, query, start="cyclic", rules=("predecessors",))
    assert len(found["resultSet"]) == 1


async def test_deleted_data_objects_references_and_containers_are_not_searched(
    client: httpx.AsyncClient, world: World
) -> None:
    owner = world.owner
    base = f"{API}/collections/{world.collection}/dataObjects"
    deleted = await client.delete(f"{base}/{world.ids['second']}", headers=owner.headers)
    assert deleted.status_code == 204
    assert (
        _triples(
            await _search(
                client, owner, world, "number1: {$gt: 1}", start="root", rules=("children",)
            )
        )
        == []
    )
    # a deleted node also breaks the path through it
    assert (
        _triples(
            await _search(
                client, owner, world, "success: {$eq: 0}", start="grandchild", rules=("parents",)
            )
        )
        == []
    )

    url = f"{base}/{world.ids['first']}/structuredDataReferences/{world.refs['reference1']}"
    assert (await client.delete(url, headers=owner.headers)).status_code == 204
    assert _triples(await _search(client, owner, world, "number2: 123")) == [
        _triple(world, "successor", "referenceSuccessor")
    ]
    container = world.containers["s"]
    await client.delete(f"{API}/structuredDataContainers/{container}", headers=owner.headers)
    assert _triples(await _search(client, owner, world, "number2: 123")) == []


async def test_traversal_survives_a_cycle(
    client: httpx.AsyncClient, world: World, db: Database
) -> None:
    # the API refuses cycles; close one in the database, as upstream's IT does through its API
    async def close_cycle(uow):  # type: ignore[no-untyped-def]
        uow.session.add(
            DataObjectLink(predecessor_id=world.ids["cyclic"], successor_id=world.ids["successor"])
        )

    await db.run(close_cycle)
    body = await _search(
        client, world.owner, world, "number2: {$gt: 0}", start="cyclic", rules=("predecessors",)
    )
    assert _triples(body) == sorted(
        [
            _triple(world, "second", "reference"),
            _triple(world, "first", "reference1"),
            _triple(world, "successor", "referenceSuccessor"),
        ],
        key=lambda triple: triple["referenceId"],
    )


async def test_a_reference_matches_if_any_of_its_documents_does(
    client: httpx.AsyncClient, world: World
) -> None:
    owner, container = world.owner, world.containers["c"]
    miss = await upload(client, owner, container, {"kind": "miss"})
    hit = await upload(client, owner, container, {"kind": "hit", "tags": ["x", "y"]})
    ref = await _reference(
        client,
        owner,
        collection=world.collection,
        data_object=world.ids["grandchild"],
        container=container,
        oids=[miss["oid"], hit["oid"]],
    )
    body = await _search(client, owner, world, "{tags: 'y', kind: /^h/}")
    assert [triple["referenceId"] for triple in body["resultSet"]] == [ref]
    # documents of the container that the reference does not list never match
    await upload(client, owner, container, {"kind": "unlisted"})
    assert _triples(await _search(client, owner, world, "kind: 'unlisted'")) == []


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"scopes": [], "searchParams": {"query": "a: 1", "queryType": "StructuredData"}}, 400),
        (
            {
                "scopes": [{"traversalRules": []}],
                "searchParams": {"query": "a: 1", "queryType": "StructuredData"},
            },
            400,
        ),
        (
            {
                "scopes": [{"collectionId": 1}],
                "searchParams": {"query": "a: 1", "queryType": "StructuredData"},
            },
            400,
        ),
        (
            {
                "scopes": [{"collectionId": 1, "traversalRules": ["siblings"]}],
                "searchParams": {"query": "a: 1", "queryType": "StructuredData"},
            },
            400,
        ),
        (
            {
                "scopes": [{"collectionId": 1, "traversalRules": []}],
                "searchParams": {"query": " ", "queryType": "StructuredData"},
            },
            400,
        ),
        (
            {
                "scopes": [{"collectionId": 1, "traversalRules": []}],
                "searchParams": {"query": "a: 1"},
            },
            400,
        ),
        (
            {
                "scopes": [{"collectionId": 1, "traversalRules": []}],
                "searchParams": {"query": "a: {$bad: 1}", "queryType": "StructuredData"},
            },
            400,
        ),
        (
            {
                "scopes": [{"collectionId": 1, "traversalRules": []}],
                "searchParams": {"query": "a: ", "queryType": "StructuredData"},
            },
            400,
        ),
        (
            {
                "scopes": [{"collectionId": 1, "traversalRules": []}],
                "searchParams": {"query": '{"XOR": []}', "queryType": "StructuredData"},
            },
            400,
        ),
    ],
)
async def test_bad_search_bodies(
    client: httpx.AsyncClient, user: ApiUser, body: dict[str, Any], status: int
) -> None:
    response = await client.post(SEARCH, json=body, headers=user.headers)
    assert response.status_code == status, response.text


async def test_missing_collection_in_scope_is_refused(
    client: httpx.AsyncClient, user: ApiUser
) -> None:
    body = {
        "scopes": [{"traversalRules": []}],
        "searchParams": {"query": "a: 1", "queryType": "StructuredData"},
    }
    assert_error(
        await client.post(SEARCH, json=body, headers=user.headers), 400, "Collection is necessary"
    )


async def test_unknown_collection_finds_nothing_and_search_needs_authentication(
    client: httpx.AsyncClient, user: ApiUser
) -> None:
    body = {
        "scopes": [
            {"collectionId": 987654321012, "traversalRules": ["children"], "dataObjectId": 5}
        ],
        "searchParams": {"query": json.dumps({"a": 1}), "queryType": "StructuredData"},
    }
    response = await client.post(SEARCH, json=body, headers=user.headers)
    assert response.status_code == 200
    assert response.json()["resultSet"] == []
    assert (await client.post(SEARCH, json=body)).status_code == 401


async def test_a_catastrophically_backtracking_regex_is_stopped(
    client: httpx.AsyncClient, world: World, db: Database
) -> None:
    """`^(a|aa)+$` against forty a's and a '!' backtracks for hours in a backtracking engine;
    SQLite stops it after a fraction of a second (400), PostgreSQL's engine does not backtrack."""
    user = world.owner
    evil = await upload(client, user, world.containers["c"], {"s": "a" * 40 + "!"})
    await _reference(
        client,
        user,
        collection=world.collection,
        data_object=world.ids["root"],
        container=world.containers["c"],
        oids=[evil["oid"]],
    )
    scope = {"collectionId": world.collection, "traversalRules": []}
    for pattern, found in (("^(a|aa)+$", 0), ("^a+!$", 1)):
        params = {"query": json.dumps({"s": {"$regex": pattern}}), "queryType": "StructuredData"}
        response = await client.post(
            SEARCH, json={"scopes": [scope], "searchParams": params}, headers=user.headers
        )
        if pattern == "^(a|aa)+$" and db.engine.dialect.name == "sqlite":
            assert_error(response, 400)
            assert "took longer than" in response.json()["message"]
        else:
            assert response.status_code == 200, response.text
            assert len(response.json()["resultSet"]) == found
