"""`POST /search/containers` (upstream ContainerSearcherIT plus kinds, paging, order, access)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest

from pyshepard.core.db import Database
from pyshepard.core.identity import Principal
from pyshepard.data.containers import service as containers
from pyshepard.data.containers.schemas import ContainerType
from tests.api.files_support import share
from tests.conftest import API, ApiUser

SEARCH = f"{API}/search/containers"


async def _container(db: Database, owner: ApiUser, kind: ContainerType, name: str) -> int:
    async def work(uow):  # type: ignore[no-untyped-def]
        actor = Principal(username=owner.username, via="apikey")
        return (await containers.create_container(uow, actor, kind, name)).id

    container_id: int = await db.run(work)
    return container_id


def _query(prop: str, value: Any, operator: str) -> str:
    return json.dumps({"property": prop, "value": value, "operator": operator})


async def _search(
    client: httpx.AsyncClient,
    user: ApiUser,
    query: str,
    kind: str,
    **params: Any,
) -> httpx.Response:
    return await client.post(
        SEARCH,
        json={"searchParams": {"query": query, "queryType": kind}},
        params=params,
        headers=user.headers,
    )


@pytest.fixture
async def world(db: Database, user: ApiUser) -> dict[str, int]:
    tag = uuid.uuid4().hex[:8]
    names = {
        "file1": (ContainerType.FILE, f"container1-{tag}"),
        "file2": (ContainerType.FILE, f"container2-{tag}"),
        "data1": (ContainerType.STRUCTUREDDATA, f"container1-{tag}"),
        "data2": (ContainerType.STRUCTUREDDATA, f"container2-{tag}"),
        "ts1": (ContainerType.TIMESERIES, f"timeseriesContainer1-{tag}"),
        "ts2": (ContainerType.TIMESERIES, f"timeseriesContainer2-{tag}"),
    }
    ids = {key: await _container(db, user, kind, name) for key, (kind, name) in names.items()}
    return {**ids, "tag": tag}  # type: ignore[dict-item]


def _ids(response: httpx.Response) -> list[int]:
    assert response.status_code == 200, response.text
    return [item["id"] for item in response.json()["results"]]


async def test_search_file_containers_by_name(
    client: httpx.AsyncClient, user: ApiUser, world: dict[str, Any]
) -> None:
    query = _query("name", f"container1-{world['tag']}", "eq")
    response = await _search(client, user, query, "FILE")

    assert _ids(response) == [world["file1"]]
    body = response.json()
    assert body["searchParams"] == {"query": query, "queryType": "FILE"}
    assert body["totalResults"] == 1
    assert set(body["results"][0]) == {
        "id",
        "createdAt",
        "createdBy",
        "updatedAt",
        "updatedBy",
        "name",
        "type",
    }
    assert body["results"][0]["type"] == "FILE"


@pytest.mark.parametrize(("kind", "key"), [("STRUCTUREDDATA", "data1"), ("TIMESERIES", "ts1")])
async def test_search_other_kinds_by_contains(
    client: httpx.AsyncClient, user: ApiUser, world: dict[str, Any], kind: str, key: str
) -> None:
    query = _query("name", f"ONTAINER1-{world['tag']}", "contains")  # case-insensitive
    response = await _search(client, user, query, kind)

    assert _ids(response) == [world[key]]


async def test_basic_searches_every_kind_newest_first(
    client: httpx.AsyncClient, user: ApiUser, world: dict[str, Any]
) -> None:
    response = await _search(client, user, _query("name", world["tag"], "contains"), "BASIC")

    expected = [world[key] for key in ("ts2", "ts1", "data2", "data1", "file2", "file1")]
    assert _ids(response) == expected
    assert response.json()["totalResults"] == 6


async def test_paging_ordering_and_total(
    client: httpx.AsyncClient, user: ApiUser, world: dict[str, Any]
) -> None:
    query = _query("name", world["tag"], "contains")

    by_name = await _search(client, user, query, "BASIC", orderBy="name", orderDesc="false")
    page = await _search(
        client, user, query, "BASIC", orderBy="id", orderDesc="false", page=1, size=4
    )
    by_type = await _search(client, user, query, "BASIC", orderBy="type", orderDesc="false")

    names = [item["name"] for item in by_name.json()["results"]]
    assert names == sorted(names, key=str.lower)
    ids = sorted(world[key] for key in ("file1", "file2", "data1", "data2", "ts1", "ts2"))
    assert _ids(page) == ids[4:]
    assert page.json()["totalResults"] == 6
    kinds = [item["type"] for item in by_type.json()["results"]]
    assert kinds == sorted(kinds)


async def test_only_readable_live_containers_are_found(
    client: httpx.AsyncClient,
    db: Database,
    make_user: Callable[..., Awaitable[ApiUser]],
) -> None:
    owner, other = await make_user(), await make_user()
    tag = uuid.uuid4().hex[:8]
    private = await _container(db, other, ContainerType.FILE, f"hidden-{tag}")
    readable = await _container(db, other, ContainerType.FILE, f"shared-{tag}")
    await share(client, other, f"/fileContainers/{readable}", permission_type="PublicReadable")
    mine = await _container(db, owner, ContainerType.FILE, f"mine-{tag}")
    gone = await _container(db, owner, ContainerType.FILE, f"gone-{tag}")
    deleted = await client.delete(f"{API}/fileContainers/{gone}", headers=owner.headers)
    assert deleted.status_code == 204

    response = await _search(client, owner, _query("name", tag, "contains"), "FILE")

    assert sorted(_ids(response)) == sorted([readable, mine])
    assert private not in _ids(response)


async def test_search_by_id_and_creator(
    client: httpx.AsyncClient, user: ApiUser, world: dict[str, Any]
) -> None:
    by_id = await _search(client, user, _query("id", world["data2"], "eq"), "BASIC")
    by_creator = await _search(
        client,
        user,
        json.dumps(
            {
                "AND": [
                    {"property": "createdBy", "value": user.username, "operator": "eq"},
                    {"property": "name", "value": world["tag"], "operator": "contains"},
                    {"NOT": {"property": "name", "value": "timeseries", "operator": "contains"}},
                ]
            }
        ),
        "BASIC",
        orderBy="id",
        orderDesc="false",
    )

    assert _ids(by_id) == [world["data2"]]
    assert _ids(by_creator) == sorted(world[key] for key in ("file1", "file2", "data1", "data2"))


@pytest.mark.parametrize(
    "body",
    [
        {"searchParams": {"query": "{not json", "queryType": "FILE"}},
        {"searchParams": {"query": "", "queryType": "FILE"}},
        {"searchParams": {"query": '{"property":"name","value":"x","operator":"eq"}'}},
        {
            "searchParams": {
                "query": '{"property":"name","value":"x","operator":"eq"}',
                "queryType": "X",
            }
        },
        {
            "searchParams": {
                "query": '{"property":"name","value":"x","operator":"nope"}',
                "queryType": "FILE",
            }
        },
        {},
    ],
)
async def test_bad_search_bodies_are_400(
    client: httpx.AsyncClient, user: ApiUser, body: dict[str, Any]
) -> None:
    response = await client.post(SEARCH, json=body, headers=user.headers)

    assert response.status_code == 400


@pytest.mark.parametrize("params", [{"size": 0}, {"page": -1}, {"orderBy": "updatedAt"}])
async def test_bad_search_parameters_are_400(
    client: httpx.AsyncClient, user: ApiUser, params: dict[str, Any]
) -> None:
    response = await _search(client, user, _query("name", "x", "eq"), "FILE", **params)

    assert response.status_code == 400


async def test_search_needs_authentication(client: httpx.AsyncClient) -> None:
    response = await client.post(
        SEARCH, json={"searchParams": {"query": _query("name", "x", "eq"), "queryType": "FILE"}}
    )

    assert response.status_code == 401
