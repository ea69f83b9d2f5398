"""User groups over HTTP: upstream's UserGroupIT, permissions, roles, listing and membership."""

from __future__ import annotations

import re
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import httpx

from tests.conftest import API, ApiUser

FORBIDDEN = "The requested action is forbidden by the permission policies"
WIRE_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}\+00:00$")
GROUPS = f"{API}/userGroups"


async def create_group(
    client: httpx.AsyncClient, owner: ApiUser, name: str = "userGroup", usernames: Any = ()
) -> dict[str, Any]:
    response = await client.post(
        GROUPS, json={"name": name, "usernames": list(usernames)}, headers=owner.headers
    )
    assert response.status_code == 201, response.text
    group: dict[str, Any] = response.json()
    return group


async def fetch(client: httpx.AsyncClient, caller: ApiUser, group_id: int) -> httpx.Response:
    return await client.get(f"{GROUPS}/{group_id}", headers=caller.headers)


async def grant(
    client: httpx.AsyncClient, owner: ApiUser, group_id: int, **permissions: Any
) -> None:
    body = {"permissionType": "Private", "reader": [], "writer": [], "manager": [], **permissions}
    response = await client.put(
        f"{GROUPS}/{group_id}/permissions", json=body, headers=owner.headers
    )
    assert response.status_code == 200, response.text


async def listed_ids(client: httpx.AsyncClient, caller: ApiUser, query: str = "") -> list[int]:
    response = await client.get(f"{GROUPS}{query}", headers=caller.headers)
    assert response.status_code == 200, response.text
    return [group["id"] for group in response.json()]


async def test_create_user_group(
    client: httpx.AsyncClient, user: ApiUser, other_user: ApiUser
) -> None:
    created = await create_group(client, user, usernames=[other_user.username])
    assert isinstance(created["id"], int)
    assert WIRE_TIME.match(created["createdAt"])
    assert created == {
        "id": created["id"],
        "createdAt": created["createdAt"],
        "createdBy": user.username,
        "updatedAt": None,
        "updatedBy": None,
        "name": "userGroup",
        "usernames": [other_user.username],
    }


async def test_unknown_and_duplicate_usernames_are_dropped(
    client: httpx.AsyncClient, user: ApiUser, other_user: ApiUser
) -> None:
    created = await create_group(
        client,
        user,
        usernames=["nobody-" + uuid.uuid4().hex, other_user.username, None, other_user.username],
    )
    assert created["usernames"] == [other_user.username]


async def test_get_user_group(client: httpx.AsyncClient, user: ApiUser) -> None:
    created = await create_group(client, user, usernames=[user.username])
    response = await fetch(client, user, created["id"])
    assert response.status_code == 200
    assert response.json() == created


async def test_unknown_group_is_404(client: httpx.AsyncClient, user: ApiUser) -> None:
    response = await fetch(client, user, 99999999999)
    assert response.status_code == 404
    assert response.json() == {
        "status": 404,
        "exception": "InvalidPathException",
        "message": "ID ERROR - User Group with id 99999999999 is null or deleted",
    }
    for path in ("permissions", "roles"):
        response = await client.get(f"{GROUPS}/99999999999/{path}", headers=user.headers)
        assert response.status_code == 404


async def test_negative_id_is_400(client: httpx.AsyncClient, user: ApiUser) -> None:
    response = await fetch(client, user, -1)
    assert response.status_code == 400
    assert response.json() == {
        "title": "Constraint Violation",
        "status": 400,
        "violations": [
            {
                "field": "getUserGroup.userGroupId",
                "message": "must be greater than or equal to 0",
            }
        ],
    }


async def test_private_group_is_hidden_from_strangers(
    client: httpx.AsyncClient, user: ApiUser, other_user: ApiUser
) -> None:
    created = await create_group(client, user, usernames=[other_user.username])
    response = await fetch(client, other_user, created["id"])
    assert response.status_code == 403
    assert response.json()["message"] == FORBIDDEN
    for path in ("permissions", "roles"):
        response = await client.get(f"{GROUPS}/{created['id']}/{path}", headers=other_user.headers)
        assert response.status_code == 403
    assert created["id"] in await listed_ids(client, user)
    assert created["id"] not in await listed_ids(client, other_user)


async def test_public_readable_group_is_listed_and_readable(
    client: httpx.AsyncClient, user: ApiUser, other_user: ApiUser
) -> None:
    created = await create_group(client, user)
    await grant(client, user, created["id"], permissionType="PublicReadable")
    assert (await fetch(client, other_user, created["id"])).status_code == 200
    assert created["id"] in await listed_ids(client, other_user)
    roles = await client.get(f"{GROUPS}/{created['id']}/roles", headers=other_user.headers)
    assert roles.json() == {"owner": False, "manager": False, "writer": False, "reader": True}


async def test_update_user_group(
    client: httpx.AsyncClient, user: ApiUser, other_user: ApiUser
) -> None:
    created = await create_group(client, user, usernames=[other_user.username])
    response = await client.put(
        f"{GROUPS}/{created['id']}",
        json={"id": created["id"], "name": "changedUserGroup", "usernames": [user.username]},
        headers=user.headers,
    )
    assert response.status_code == 200
    changed = response.json()
    assert changed["name"] == "changedUserGroup"
    assert changed["usernames"] == [user.username]
    assert WIRE_TIME.match(changed["updatedAt"])
    assert changed["updatedBy"] == user.username
    assert changed["createdAt"] == created["createdAt"]
    assert changed["createdBy"] == user.username
    assert (await fetch(client, user, created["id"])).json() == changed


async def test_update_needs_write(
    client: httpx.AsyncClient, user: ApiUser, make_user: Callable[..., Awaitable[ApiUser]]
) -> None:
    reader, writer, stranger = await make_user(), await make_user(), await make_user()
    created = await create_group(client, user, usernames=[user.username])
    await grant(client, user, created["id"], reader=[reader.username], writer=[writer.username])
    for caller in (stranger, reader):
        response = await client.put(
            f"{GROUPS}/{created['id']}",
            json={"name": "taken over", "usernames": [caller.username]},
            headers=caller.headers,
        )
        assert response.status_code == 403
        assert (await fetch(client, user, created["id"])).json() == created
    response = await client.put(
        f"{GROUPS}/{created['id']}",
        json={"name": "by writer", "usernames": [user.username, writer.username]},
        headers=writer.headers,
    )
    assert response.status_code == 200
    assert response.json()["updatedBy"] == writer.username
    assert sorted(response.json()["usernames"]) == sorted([user.username, writer.username])


async def test_bad_bodies_are_400_and_change_nothing(
    client: httpx.AsyncClient, user: ApiUser
) -> None:
    before = await listed_ids(client, user)
    for bad in ({"name": " ", "usernames": []}, {"usernames": []}, {"name": "x"}, {}):
        response = await client.post(GROUPS, json=bad, headers=user.headers)
        assert response.status_code == 400, bad
    response = await client.post(
        GROUPS, json={"name": "x" * 1025, "usernames": []}, headers=user.headers
    )
    assert response.status_code == 400
    assert await listed_ids(client, user) == before
    created = await create_group(client, user)
    response = await client.put(
        f"{GROUPS}/{created['id']}", json={"name": "", "usernames": []}, headers=user.headers
    )
    assert response.status_code == 400
    assert response.json()["violations"] == [
        {"field": "updateUserGroup.name", "message": "must not be blank"}
    ]
    assert (await fetch(client, user, created["id"])).json() == created


async def test_delete_user_group(
    client: httpx.AsyncClient, user: ApiUser, other_user: ApiUser
) -> None:
    created = await create_group(client, user)
    response = await client.delete(f"{GROUPS}/{created['id']}", headers=other_user.headers)
    assert response.status_code == 403
    assert (await fetch(client, user, created["id"])).json() == created
    response = await client.delete(f"{GROUPS}/{created['id']}", headers=user.headers)
    assert response.status_code == 204
    response = await fetch(client, user, created["id"])
    assert response.status_code == 404
    assert created["id"] not in await listed_ids(client, user)
    response = await client.delete(f"{GROUPS}/{created['id']}", headers=user.headers)
    assert response.status_code == 404


async def test_writer_may_delete(
    client: httpx.AsyncClient, user: ApiUser, other_user: ApiUser
) -> None:
    created = await create_group(client, user)
    await grant(client, user, created["id"], writer=[other_user.username])
    response = await client.delete(f"{GROUPS}/{created['id']}", headers=other_user.headers)
    assert response.status_code == 204
    assert (await fetch(client, user, created["id"])).status_code == 404


async def test_permissions_of_a_new_group(client: httpx.AsyncClient, user: ApiUser) -> None:
    created = await create_group(client, user)
    response = await client.get(f"{GROUPS}/{created['id']}/permissions", headers=user.headers)
    assert response.status_code == 200
    assert response.json() == {
        "entityId": created["id"],
        "owner": user.username,
        "permissionType": "Private",
        "reader": [],
        "writer": [],
        "readerGroupIds": [],
        "writerGroupIds": [],
        "manager": [],
    }
    roles = await client.get(f"{GROUPS}/{created['id']}/roles", headers=user.headers)
    assert roles.status_code == 200
    assert roles.json()["owner"] is True


async def test_permissions_need_manage(
    client: httpx.AsyncClient, user: ApiUser, make_user: Callable[..., Awaitable[ApiUser]]
) -> None:
    writer, manager = await make_user(), await make_user()
    created = await create_group(client, user)
    await grant(client, user, created["id"], writer=[writer.username], manager=[manager.username])
    url = f"{GROUPS}/{created['id']}/permissions"
    assert (await client.get(url, headers=writer.headers)).status_code == 403
    body = {"permissionType": "Public", "reader": [], "writer": [], "manager": []}
    assert (await client.put(url, json=body, headers=writer.headers)).status_code == 403
    unchanged = await client.get(url, headers=manager.headers)
    assert unchanged.status_code == 200
    assert unchanged.json()["permissionType"] == "Private"
    assert unchanged.json()["writer"] == [writer.username]
    roles = await client.get(f"{GROUPS}/{created['id']}/roles", headers=manager.headers)
    assert roles.json() == {"owner": False, "manager": True, "writer": False, "reader": False}


async def test_membership_grants_access_through_group_permissions(
    client: httpx.AsyncClient, user: ApiUser, make_user: Callable[..., Awaitable[ApiUser]]
) -> None:
    member, outsider = await make_user(), await make_user()
    team = await create_group(client, user, "team", usernames=[member.username])
    guarded = await create_group(client, user, "guarded")
    await grant(client, user, guarded["id"], readerGroupIds=[team["id"]])
    assert (await fetch(client, member, guarded["id"])).status_code == 200
    assert guarded["id"] in await listed_ids(client, member)
    assert (await fetch(client, outsider, guarded["id"])).status_code == 403
    response = await client.put(
        f"{GROUPS}/{team['id']}", json={"name": "team", "usernames": []}, headers=user.headers
    )
    assert response.status_code == 200
    assert (await fetch(client, member, guarded["id"])).status_code == 403
    assert guarded["id"] not in await listed_ids(client, member)


async def test_deleting_a_group_revokes_what_it_granted(
    client: httpx.AsyncClient, user: ApiUser, other_user: ApiUser
) -> None:
    team = await create_group(client, user, "team", usernames=[other_user.username])
    guarded = await create_group(client, user, "guarded")
    await grant(client, user, guarded["id"], writerGroupIds=[team["id"]])
    assert (await fetch(client, other_user, guarded["id"])).status_code == 200
    assert (await client.delete(f"{GROUPS}/{team['id']}", headers=user.headers)).status_code == 204
    assert (await fetch(client, other_user, guarded["id"])).status_code == 403


async def test_pagination_and_ordering(
    client: httpx.AsyncClient, make_user: Callable[..., Awaitable[ApiUser]]
) -> None:
    # other tests leave public groups behind, so compare with the caller's whole readable list
    owner = await make_user()
    ids = {name: (await create_group(client, owner, name))["id"] for name in ("b", "C", "a")}
    mine = set(ids.values())

    async def own(query: str = "") -> list[int]:
        return [group_id for group_id in await listed_ids(client, owner, query) if group_id in mine]

    assert await own() == [ids["b"], ids["C"], ids["a"]]
    by_name = [ids["a"], ids["b"], ids["C"]]
    assert await own("?orderBy=name") == by_name
    assert await own("?orderBy=name&orderDesc=true") == by_name[::-1]
    assert await own("?orderBy=createdAt&orderDesc=true") == [ids["a"], ids["C"], ids["b"]]
    everything = await listed_ids(client, owner, "?orderBy=name")
    assert await listed_ids(client, owner, "?orderBy=name&page=0&size=2") == everything[:2]
    assert await listed_ids(client, owner, "?orderBy=name&page=1&size=2") == everything[2:4]
    assert await listed_ids(client, owner, "?page=0&size=0") == []
    assert await listed_ids(client, owner, "?page=1") == await listed_ids(client, owner)
    assert await listed_ids(client, owner, "?size=1") == await listed_ids(client, owner)
    await client.put(
        f"{GROUPS}/{ids['a']}", json={"name": "a", "usernames": []}, headers=owner.headers
    )
    assert (await own("?orderBy=updatedAt"))[0] == ids["a"]
    assert (await own("?orderBy=updatedAt&orderDesc=true"))[-1] == ids["a"]


async def test_bad_list_parameters_are_400(client: httpx.AsyncClient, user: ApiUser) -> None:
    for query in ("?page=-1", "?size=-1", "?orderBy=owner", "?orderDesc=maybe", "?page=x"):
        response = await client.get(f"{GROUPS}{query}", headers=user.headers)
        assert response.status_code == 400, query


async def test_no_credentials_is_401(client: httpx.AsyncClient, user: ApiUser) -> None:
    before = await listed_ids(client, user)
    assert (await client.get(GROUPS)).status_code == 401
    response = await client.post(GROUPS, json={"name": "x", "usernames": []})
    assert response.status_code == 401
    assert await listed_ids(client, user) == before


async def test_deleted_group_disappears_from_other_permissions(
    client: httpx.AsyncClient, user: ApiUser, other_user: ApiUser
) -> None:
    group = await create_group(client, user, usernames=[other_user.username])
    collection = await client.post(f"{API}/collections", json={"name": "c"}, headers=user.headers)
    permissions_url = f"{API}/collections/{collection.json()['id']}/permissions"
    body = {
        "permissionType": "Private",
        "reader": [],
        "writer": [],
        "manager": [],
        "readerGroupIds": [group["id"]],
        "writerGroupIds": [group["id"]],
    }
    assert (await client.put(permissions_url, json=body, headers=user.headers)).status_code == 200
    assert (await client.delete(f"{GROUPS}/{group['id']}", headers=user.headers)).status_code == 204
    permissions = (await client.get(permissions_url, headers=user.headers)).json()
    assert permissions["readerGroupIds"] == []
    assert permissions["writerGroupIds"] == []
