"""POST /search/users and /search/userGroups: upstream's UserSearcherIT and UserGroupSearcherIT,
plus the query language over HTTP and the readability filter on groups."""

from __future__ import annotations

import json
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest

from pyshepard.auth.users import service as users
from pyshepard.core.db import Database
from tests.conftest import API, ApiUser

MakeUser = Callable[..., Awaitable[ApiUser]]


def leaf(prop: str, operator: str, value: Any) -> dict[str, Any]:
    return {"property": prop, "value": value, "operator": operator}


async def search(
    client: httpx.AsyncClient, caller: ApiUser, kind: str, query: Any
) -> httpx.Response:
    text = query if isinstance(query, str) else json.dumps(query)
    return await client.post(
        f"{API}/search/{kind}", json={"searchParams": {"query": text}}, headers=caller.headers
    )


async def found_users(client: httpx.AsyncClient, caller: ApiUser, query: Any) -> list[str]:
    response = await search(client, caller, "users", query)
    assert response.status_code == 200, response.text
    return [found["username"] for found in response.json()["results"]]


async def found_groups(client: httpx.AsyncClient, caller: ApiUser, query: Any) -> list[int]:
    response = await search(client, caller, "userGroups", query)
    assert response.status_code == 200, response.text
    return [found["id"] for found in response.json()["results"]]


@pytest.fixture
def tag() -> str:
    return uuid.uuid4().hex[:8]


async def test_find_user_by_exact_username(client: httpx.AsyncClient, user: ApiUser) -> None:
    query = json.dumps(leaf("username", "eq", user.username))
    response = await search(client, user, "users", query)
    assert response.status_code == 200
    own = (await client.get(f"{API}/users", headers=user.headers)).json()
    assert response.json() == {"searchParams": {"query": query}, "results": [own]}


async def test_find_users_by_email(
    client: httpx.AsyncClient, make_user: MakeUser, tag: str
) -> None:
    email = f"integration-{tag}@test.org"
    first = await make_user(f"user1{tag}", email=email)
    second = await make_user(f"user2{tag}", email=email)
    await make_user(f"user3{tag}", email=f"other-{tag}@test.org")
    assert await found_users(client, first, leaf("email", "eq", email.upper())) == [
        first.username,
        second.username,
    ]


async def test_find_one_or_two_users_by_substring(
    client: httpx.AsyncClient, make_user: MakeUser, tag: str
) -> None:
    first = await make_user(f"{tag}user1")
    second = await make_user(f"{tag}user2")
    await make_user(f"{tag}admin")
    assert await found_users(client, first, leaf("username", "contains", f"{tag}user1")) == [
        first.username
    ]
    assert await found_users(client, first, leaf("username", "contains", f"{tag}USER")) == [
        first.username,
        second.username,
    ]


async def test_names_combinators_and_regex(
    client: httpx.AsyncClient, make_user: MakeUser, tag: str
) -> None:
    ada = await make_user(f"ada{tag}", first_name="Ada", last_name="Lovelace")
    alan = await make_user(f"alan{tag}", first_name="Alan", last_name="Turing")
    grace = await make_user(f"grace{tag}", first_name="Grace", last_name="Hopper")
    mine = leaf("username", "contains", tag)
    assert await found_users(client, ada, {"AND": [mine, leaf("firstName", "eq", "ada")]}) == [
        ada.username
    ]
    assert await found_users(
        client,
        ada,
        {
            "AND": [
                mine,
                {"OR": [leaf("lastName", "eq", "HOPPER"), leaf("firstName", "eq", "alan")]},
            ]
        },
    ) == [alan.username, grace.username]
    assert await found_users(
        client, ada, {"AND": [mine, {"NOT": leaf("firstName", "ne", "grace")}]}
    ) == [grace.username]
    assert await found_users(
        client, ada, {"AND": [mine, leaf("lastName", "regmatch", "t.*g|l.*e")]}
    ) == [ada.username, alan.username]
    assert await found_users(
        client, ada, {"AND": [mine, leaf("firstName", "in", ["GRACE", "Ada", "Linus"])]}
    ) == [ada.username, grace.username]
    assert await found_users(
        client,
        ada,
        {"AND": [mine, {"XOR": [leaf("firstName", "gt", "b"), leaf("lastName", "lt", "m")]}]},
    ) == [ada.username]  # grace is on both sides, alan on neither


async def test_unknown_property_finds_nobody(client: httpx.AsyncClient, user: ApiUser) -> None:
    assert await found_users(client, user, leaf("name", "contains", "")) == []


async def test_soft_deleted_users_are_not_found(
    client: httpx.AsyncClient, db: Database, make_user: MakeUser, tag: str
) -> None:
    staying = await make_user(f"staying{tag}")
    leaving = await make_user(f"leaving{tag}")

    async def delete(uow):  # type: ignore[no-untyped-def]
        await users.delete_user(uow, leaving.username)

    await db.run(delete)
    assert await found_users(client, staying, leaf("username", "contains", tag)) == [
        staying.username
    ]


@pytest.mark.parametrize("kind", ["users", "userGroups"])
@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("{not json", "could not parse JSON"),
        (json.dumps(leaf("username", "like", "x")), "unknown comparison operator like"),
        (json.dumps({"NAND": [leaf("username", "eq", "x")]}), "unknown boolean operator: NAND"),
        (json.dumps(leaf("username", "regmatch", "([")), "invalid regular expression"),
        (json.dumps(leaf("username", "in", "x")), "needs an array"),
    ],
)
async def test_bad_queries_are_400(
    client: httpx.AsyncClient, user: ApiUser, kind: str, query: str, message: str
) -> None:
    response = await search(client, user, kind, query)
    assert response.status_code == 400
    body = response.json()
    assert body["status"] == 400
    assert body["exception"] == "ShepardParserException"
    assert message in body["message"]


@pytest.mark.parametrize("kind", ["users", "userGroups"])
async def test_bad_bodies_are_400(client: httpx.AsyncClient, user: ApiUser, kind: str) -> None:
    for body in ({}, {"searchParams": {}}, {"searchParams": {"query": " "}}, {"searchParams": 1}):
        response = await client.post(f"{API}/search/{kind}", json=body, headers=user.headers)
        assert response.status_code == 400, body


@pytest.mark.parametrize("kind", ["users", "userGroups"])
async def test_no_credentials_is_401(client: httpx.AsyncClient, kind: str) -> None:
    query = json.dumps(leaf("name", "contains", ""))
    response = await client.post(f"{API}/search/{kind}", json={"searchParams": {"query": query}})
    assert response.status_code == 401


# ---------------------------------------------------------------------------- user groups


async def create_group(
    client: httpx.AsyncClient, owner: ApiUser, name: str, usernames: list[str] | None = None
) -> dict[str, Any]:
    response = await client.post(
        f"{API}/userGroups",
        json={"name": name, "usernames": usernames or []},
        headers=owner.headers,
    )
    assert response.status_code == 201, response.text
    group: dict[str, Any] = response.json()
    return group


async def test_find_one_or_two_groups_by_name(
    client: httpx.AsyncClient, user: ApiUser, tag: str
) -> None:
    first = await create_group(client, user, f"userGroup1{tag}", [user.username])
    second = await create_group(client, user, f"userGroup2{tag}")
    query = json.dumps(leaf("name", "contains", f"usergroup1{tag}"))
    response = await search(client, user, "userGroups", query)
    assert response.json() == {"searchParams": {"query": query}, "results": [first]}
    assert await found_groups(client, user, leaf("name", "contains", tag)) == [
        first["id"],
        second["id"],
    ]


async def test_group_search_shows_readable_groups_only(
    client: httpx.AsyncClient, user: ApiUser, other_user: ApiUser, tag: str
) -> None:
    private = await create_group(client, user, f"private{tag}")
    shared = await create_group(client, user, f"shared{tag}")
    response = await client.put(
        f"{API}/userGroups/{shared['id']}/permissions",
        json={"permissionType": "PublicReadable", "reader": [], "writer": [], "manager": []},
        headers=user.headers,
    )
    assert response.status_code == 200
    by_tag = leaf("name", "contains", tag)
    assert await found_groups(client, user, by_tag) == [private["id"], shared["id"]]
    assert await found_groups(client, other_user, by_tag) == [shared["id"]]


async def test_deleted_groups_are_not_found(
    client: httpx.AsyncClient, user: ApiUser, tag: str
) -> None:
    kept = await create_group(client, user, f"kept{tag}")
    gone = await create_group(client, user, f"gone{tag}")
    response = await client.delete(f"{API}/userGroups/{gone['id']}", headers=user.headers)
    assert response.status_code == 204
    assert await found_groups(client, user, leaf("name", "contains", tag)) == [kept["id"]]


async def test_group_special_properties(
    client: httpx.AsyncClient, user: ApiUser, other_user: ApiUser, tag: str
) -> None:
    first = await create_group(client, user, f"a{tag}")
    second = await create_group(client, other_user, f"b{tag}")
    response = await client.put(
        f"{API}/userGroups/{second['id']}/permissions",
        json={"permissionType": "PublicReadable", "reader": [], "writer": [], "manager": []},
        headers=other_user.headers,
    )
    assert response.status_code == 200
    mine = leaf("name", "contains", tag)
    assert await found_groups(client, user, leaf("id", "eq", first["id"])) == [first["id"]]
    assert await found_groups(
        client, user, {"AND": [mine, leaf("id", "in", [second["id"], 0])]}
    ) == [second["id"]]
    assert await found_groups(
        client, user, {"AND": [mine, leaf("createdBy", "eq", other_user.username.upper())]}
    ) == [second["id"]]
    assert (
        await found_groups(client, user, {"AND": [mine, leaf("updatedBy", "eq", user.username)]})
        == []
    )
    assert await found_groups(
        client, user, {"AND": [mine, leaf("createdAt", "ge", first["createdAt"])]}
    ) == [first["id"], second["id"]]
    assert await found_groups(client, user, {"AND": [mine, leaf("createdAt", "lt", 0)]}) == []
    response = await search(client, user, "userGroups", leaf("id", "contains", 1))
    assert response.status_code == 400
