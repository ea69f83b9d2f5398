"""Collection permissions and roles, ported from upstream's PermissionsIT and GracePeriodIT (5.4.0).

Groups are written straight to the tables (the user-group API is another issue); everything
else goes through the HTTP API.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from sqlalchemy import delete

from pyshepard.auth.groups.models import UserGroup, UserGroupMember
from pyshepard.auth.permissions.models import Permission
from pyshepard.core.db import Database, UnitOfWork
from pyshepard.core.ids import next_entity_id
from tests.api.test_collections import (
    FORBIDDEN,
    MISSING_ID,
    create_collection,
    create_data_object,
    get_collection,
    list_collections,
    set_permissions,
)
from tests.conftest import API, ApiUser

MakeUser = Callable[..., Awaitable[ApiUser]]


def roles(owner: bool, manager: bool, writer: bool, reader: bool) -> dict[str, bool]:
    return {"owner": owner, "manager": manager, "writer": writer, "reader": reader}


async def create_group(db: Database, *members: ApiUser, deleted: bool = False) -> int:
    async def work(uow: UnitOfWork) -> int:
        group_id = await next_entity_id(uow.session)
        uow.session.add(
            UserGroup(
                id=group_id,
                name=f"group-{uuid.uuid4().hex[:8]}",
                created_at=datetime.now(UTC),
                created_by="test",
                deleted=deleted,
            )
        )
        await uow.session.flush()
        for member in members:
            uow.session.add(UserGroupMember(group_id=group_id, username=member.username))
        await uow.session.flush()
        return group_id

    result: int = await db.run(work)
    return result


async def get_roles(client: httpx.AsyncClient, user: ApiUser, collection_id: int) -> Any:
    response = await client.get(f"{API}/collections/{collection_id}/roles", headers=user.headers)
    assert response.status_code == 200, response.text
    return response.json()


async def status_of_read(client: httpx.AsyncClient, user: ApiUser, collection_id: int) -> int:
    return (
        await client.get(f"{API}/collections/{collection_id}", headers=user.headers)
    ).status_code


async def status_of_write(client: httpx.AsyncClient, user: ApiUser, collection_id: int) -> int:
    response = await client.put(
        f"{API}/collections/{collection_id}",
        json={"name": f"written-by-{user.username}"},
        headers=user.headers,
    )
    return response.status_code


def permissions_url(collection_id: int) -> str:
    return f"{API}/collections/{collection_id}/permissions"


# --- PermissionsIT ------------------------------------------------------------------------


async def test_get_permissions_of_new_collection(client: httpx.AsyncClient, user: ApiUser) -> None:
    collection = await create_collection(client, user)
    response = await client.get(permissions_url(collection["id"]), headers=user.headers)
    assert response.status_code == 200
    body = response.json()
    assert body["entityId"] == collection["id"]
    assert body["owner"] == user.username
    assert body["reader"] == body["writer"] == body["manager"] == []


async def test_update_permissions_drops_unknown_users(
    client: httpx.AsyncClient, user: ApiUser
) -> None:
    collection = await create_collection(client, user)
    response = await client.put(
        permissions_url(collection["id"]),
        json={
            "reader": [user.username],
            "writer": [user.username],
            "manager": [user.username, "invalid"],
        },
        headers=user.headers,
    )
    assert response.status_code == 200
    assert response.json() == {
        "entityId": collection["id"],
        "owner": user.username,
        "permissionType": "Private",
        "reader": [user.username],
        "writer": [user.username],
        "readerGroupIds": [],
        "writerGroupIds": [],
        "manager": [user.username],
    }
    stored = await client.get(permissions_url(collection["id"]), headers=user.headers)
    assert stored.json() == response.json()


async def test_manager_may_change_type_but_not_ownership(
    client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    owner, manager = await make_user(), await make_user()
    collection = await create_collection(client, owner)
    granted = await set_permissions(client, owner, collection["id"], manager=[manager.username])
    assert granted["owner"] == owner.username
    assert granted["manager"] == [manager.username]

    # naming the current owner is not an ownership change (upstream bug #591)
    same_owner = await set_permissions(
        client,
        manager,
        collection["id"],
        owner=owner.username,
        manager=[manager.username],
        permissionType="Public",
    )
    assert same_owner["owner"] == owner.username
    assert same_owner["permissionType"] == "Public"
    no_owner = await set_permissions(
        client,
        manager,
        collection["id"],
        manager=[manager.username],
        permissionType="PublicReadable",
    )
    assert no_owner["owner"] == owner.username
    assert no_owner["permissionType"] == "PublicReadable"

    response = await client.put(
        permissions_url(collection["id"]),
        json={
            "owner": manager.username,
            "reader": [],
            "writer": [],
            "manager": [manager.username],
            "permissionType": "Private",
        },
        headers=manager.headers,
    )
    assert response.status_code == 403
    assert response.json() == {
        "status": 403,
        "exception": "InvalidAuthException",
        "message": "Action not allowed. Only Owners are allowed to change ownership.",
    }
    unchanged = await client.get(permissions_url(collection["id"]), headers=owner.headers)
    assert unchanged.json() == no_owner


async def test_owner_may_hand_over_ownership(
    client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    owner, heir = await make_user(), await make_user()
    collection = await create_collection(client, owner)
    handed = await set_permissions(
        client, owner, collection["id"], owner=heir.username, manager=[heir.username]
    )
    assert handed == {
        "entityId": collection["id"],
        "owner": heir.username,
        "permissionType": "Private",
        "reader": [],
        "writer": [],
        "readerGroupIds": [],
        "writerGroupIds": [],
        "manager": [heir.username],
    }
    assert await status_of_read(client, owner, collection["id"]) == 403
    assert await get_roles(client, heir, collection["id"]) == roles(True, True, False, False)


async def test_unknown_new_owner_is_ignored(client: httpx.AsyncClient, user: ApiUser) -> None:
    collection = await create_collection(client, user)
    result = await set_permissions(client, user, collection["id"], owner="nobody-" + user.username)
    assert result["owner"] == user.username


@pytest.mark.parametrize("name", ["nul\x00name", "\ud800"])
async def test_names_no_user_can_have_are_unknown_users(
    client: httpx.AsyncClient, user: ApiUser, name: str
) -> None:
    """A NUL byte or an unpaired surrogate names nobody: dropped like any unknown name, no 500."""
    collection = await create_collection(client, user)
    body = json.dumps(
        {"owner": name, "reader": [name, user.username], "writer": [name], "manager": [name]}
    )
    response = await client.put(
        permissions_url(collection["id"]),
        content=body,
        headers={**user.headers, "Content-Type": "application/json"},
    )
    assert response.status_code == 200, response.text
    assert response.json()["owner"] == user.username
    assert response.json()["reader"] == [user.username]
    assert response.json()["writer"] == response.json()["manager"] == []


async def test_owner_reads_and_has_only_the_owner_role(
    client: httpx.AsyncClient, user: ApiUser, other_user: ApiUser
) -> None:
    collection = await create_collection(client, user)
    assert await status_of_read(client, user, collection["id"]) == 200
    assert await get_roles(client, user, collection["id"]) == roles(True, False, False, False)
    assert await status_of_read(client, other_user, collection["id"]) == 403
    response = await client.get(
        f"{API}/collections/{collection['id']}/roles", headers=other_user.headers
    )
    assert response.status_code == 403
    assert response.json()["message"] == FORBIDDEN


async def test_public_readable_is_read_only_for_strangers(
    client: httpx.AsyncClient, user: ApiUser, other_user: ApiUser
) -> None:
    collection = await create_collection(client, user)
    await create_data_object(client, user, collection["id"])
    await set_permissions(client, user, collection["id"], permissionType="PublicReadable")
    assert await status_of_read(client, other_user, collection["id"]) == 200
    assert await get_roles(client, other_user, collection["id"]) == roles(False, False, False, True)
    assert await status_of_write(client, other_user, collection["id"]) == 403
    data_objects = await client.get(
        f"{API}/collections/{collection['id']}/dataObjects", headers=other_user.headers
    )
    assert data_objects.status_code == 200
    assert len(data_objects.json()) == 1
    created = await client.post(
        f"{API}/collections/{collection['id']}/dataObjects",
        json={"name": "intruder"},
        headers=other_user.headers,
    )
    assert created.status_code == 403
    assert (
        await client.get(permissions_url(collection["id"]), headers=other_user.headers)
    ).status_code == 403
    assert (await get_collection(client, user, collection["id"]))["name"] == collection["name"]
    listed = await list_collections(client, other_user, name=collection["name"])
    assert [entry["id"] for entry in listed] == [collection["id"]]


async def test_public_lets_strangers_write(
    client: httpx.AsyncClient, user: ApiUser, other_user: ApiUser
) -> None:
    collection = await create_collection(client, user)
    await set_permissions(client, user, collection["id"], permissionType="Public")
    assert await status_of_write(client, other_user, collection["id"]) == 200
    assert await get_roles(client, other_user, collection["id"]) == roles(False, False, True, True)
    assert (
        await client.put(
            permissions_url(collection["id"]),
            json={"reader": [], "writer": [], "manager": [other_user.username]},
            headers=other_user.headers,
        )
    ).status_code == 403


async def test_readers_list(client: httpx.AsyncClient, make_user: MakeUser) -> None:
    owner, reader = await make_user(), await make_user()
    collection = await create_collection(client, owner)
    await set_permissions(client, owner, collection["id"], reader=[reader.username])
    assert await status_of_read(client, reader, collection["id"]) == 200
    assert await status_of_write(client, reader, collection["id"]) == 403
    assert await get_roles(client, reader, collection["id"]) == roles(False, False, False, True)
    assert [c["id"] for c in await list_collections(client, reader, name=collection["name"])] == [
        collection["id"]
    ]


async def test_writers_list(client: httpx.AsyncClient, make_user: MakeUser) -> None:
    owner, writer = await make_user(), await make_user()
    collection = await create_collection(client, owner)
    await set_permissions(client, owner, collection["id"], writer=[writer.username])
    assert await status_of_write(client, writer, collection["id"]) == 200
    assert await status_of_read(client, writer, collection["id"]) == 200
    assert await get_roles(client, writer, collection["id"]) == roles(False, False, True, False)
    assert (
        await client.get(permissions_url(collection["id"]), headers=writer.headers)
    ).status_code == 403
    listed = await list_collections(client, writer, name=f"written-by-{writer.username}")
    assert [entry["id"] for entry in listed] == [collection["id"]]


async def test_managers_list(client: httpx.AsyncClient, make_user: MakeUser) -> None:
    owner, manager = await make_user(), await make_user()
    collection = await create_collection(client, owner)
    await set_permissions(client, owner, collection["id"], manager=[manager.username])
    assert await status_of_read(client, manager, collection["id"]) == 200
    assert await status_of_write(client, manager, collection["id"]) == 200
    assert await get_roles(client, manager, collection["id"]) == roles(False, True, False, False)
    response = await client.get(permissions_url(collection["id"]), headers=manager.headers)
    assert response.status_code == 200
    assert response.json()["manager"] == [manager.username]


async def test_reader_group(client: httpx.AsyncClient, db: Database, make_user: MakeUser) -> None:
    owner, member, outsider = await make_user(), await make_user(), await make_user()
    collection = await create_collection(client, owner)
    others = await create_group(db, outsider)
    await set_permissions(client, owner, collection["id"], readerGroupIds=[others])
    assert await status_of_read(client, member, collection["id"]) == 403
    assert await status_of_read(client, outsider, collection["id"]) == 200

    group = await create_group(db, member)
    result = await set_permissions(client, owner, collection["id"], readerGroupIds=[group])
    assert result["readerGroupIds"] == [group]
    assert await status_of_read(client, member, collection["id"]) == 200
    assert await status_of_read(client, outsider, collection["id"]) == 403
    assert await status_of_write(client, member, collection["id"]) == 403
    assert await get_roles(client, member, collection["id"]) == roles(False, False, False, True)
    assert [c["id"] for c in await list_collections(client, member, name=collection["name"])] == [
        collection["id"]
    ]


async def test_writer_group(client: httpx.AsyncClient, db: Database, make_user: MakeUser) -> None:
    owner, member, outsider = await make_user(), await make_user(), await make_user()
    collection = await create_collection(client, owner)
    others = await create_group(db, outsider)
    await set_permissions(client, owner, collection["id"], writerGroupIds=[others])
    assert await status_of_write(client, member, collection["id"]) == 403

    group = await create_group(db, member)
    await set_permissions(
        client, owner, collection["id"], readerGroupIds=[group], writerGroupIds=[group]
    )
    assert await status_of_write(client, member, collection["id"]) == 200
    assert await get_roles(client, member, collection["id"]) == roles(False, False, True, True)
    writer_only = await set_permissions(client, owner, collection["id"], writerGroupIds=[group])
    assert writer_only["readerGroupIds"] == []
    assert await status_of_read(client, member, collection["id"]) == 200
    listed = await list_collections(client, member, name=f"written-by-{member.username}")
    assert [entry["id"] for entry in listed] == [collection["id"]]


async def test_unknown_and_deleted_groups_are_dropped(
    client: httpx.AsyncClient, db: Database, user: ApiUser, other_user: ApiUser
) -> None:
    collection = await create_collection(client, user)
    gone = await create_group(db, other_user, deleted=True)
    result = await set_permissions(
        client, user, collection["id"], readerGroupIds=[MISSING_ID, gone], writerGroupIds=[gone]
    )
    assert result["readerGroupIds"] == []
    assert result["writerGroupIds"] == []
    assert await status_of_read(client, other_user, collection["id"]) == 403


async def test_lists_longer_than_a_bind_parameter_limit_are_looked_up(
    client: httpx.AsyncClient, db: Database, user: ApiUser, other_user: ApiUser
) -> None:
    """asyncpg takes at most 32 767 parameters per statement; unknown entries are dropped."""
    collection = await create_collection(client, user)
    group = await create_group(db, other_user)
    unknown = [f"nobody-{number}" for number in range(33_000)]
    result = await set_permissions(
        client,
        user,
        collection["id"],
        reader=[*unknown, other_user.username],
        readerGroupIds=[*range(MISSING_ID, MISSING_ID + 33_000), group],
    )
    assert result["reader"] == [other_user.username]
    assert result["readerGroupIds"] == [group]


# --- GracePeriodIT and change propagation --------------------------------------------------


async def test_owner_keeps_access_after_emptying_every_list(
    client: httpx.AsyncClient, user: ApiUser
) -> None:
    collection = await create_collection(client, user)
    assert await status_of_read(client, user, collection["id"]) == 200
    response = await client.put(
        permissions_url(collection["id"]),
        json={"reader": [], "writer": [], "manager": []},
        headers=user.headers,
    )
    assert response.status_code == 200
    assert response.json()["owner"] == user.username
    assert await status_of_read(client, user, collection["id"]) == 200
    assert await status_of_write(client, user, collection["id"]) == 200


async def test_permission_changes_apply_to_the_next_request(
    client: httpx.AsyncClient, user: ApiUser, other_user: ApiUser
) -> None:
    collection = await create_collection(client, user)
    await set_permissions(client, user, collection["id"], writer=[other_user.username])
    assert await status_of_write(client, other_user, collection["id"]) == 200
    await set_permissions(client, user, collection["id"], reader=[other_user.username])
    assert await status_of_write(client, other_user, collection["id"]) == 403
    assert await status_of_read(client, other_user, collection["id"]) == 200
    await set_permissions(client, user, collection["id"])
    assert await status_of_read(client, other_user, collection["id"]) == 403
    assert await list_collections(client, other_user, name=collection["name"]) == []


# --- request validation and lookup order ---------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"reader": [], "writer": []},
        {"reader": [], "writer": [], "manager": [], "permissionType": "Everybody"},
        {"reader": "alice", "writer": [], "manager": []},
        # group ids are `long` upstream: beyond int64 is a bad body, not an overflow
        {"reader": [], "writer": [], "manager": [], "readerGroupIds": [2**64]},
        {"reader": [], "writer": [], "manager": [], "writerGroupIds": [-(2**63) - 1]},
    ],
)
async def test_invalid_permission_bodies_are_400_and_change_nothing(
    client: httpx.AsyncClient, user: ApiUser, body: dict[str, Any]
) -> None:
    collection = await create_collection(client, user)
    url = permissions_url(collection["id"])
    before = (await client.get(url, headers=user.headers)).json()
    response = await client.put(url, json=body, headers=user.headers)
    assert response.status_code == 400
    assert response.json()["title"] == "Constraint Violation"
    assert (await client.get(url, headers=user.headers)).json() == before


async def test_permission_and_role_lookups(
    client: httpx.AsyncClient, user: ApiUser, other_user: ApiUser
) -> None:
    for suffix in ("permissions", "roles"):
        missing = await client.get(f"{API}/collections/{MISSING_ID}/{suffix}", headers=user.headers)
        assert missing.status_code == 404
        assert missing.json()["message"] == (
            f"ID ERROR - Collection with id {MISSING_ID} is null or deleted"
        )
        negative = await client.get(f"{API}/collections/-1/{suffix}", headers=user.headers)
        assert negative.status_code == 400
        assert (await client.get(f"{API}/collections/1/{suffix}")).status_code == 401
    collection = await create_collection(client, user)
    response = await client.put(
        permissions_url(collection["id"]),
        json={"reader": [other_user.username], "writer": [], "manager": [other_user.username]},
        headers=other_user.headers,
    )
    assert response.status_code == 403
    assert (await client.get(permissions_url(collection["id"]), headers=user.headers)).json()[
        "reader"
    ] == []


async def test_collection_without_permissions_is_open_to_everyone(
    client: httpx.AsyncClient, db: Database, user: ApiUser, other_user: ApiUser
) -> None:
    """Upstream's legacy rule: an entity without a Permissions node grants everything."""
    collection = await create_collection(client, user)

    async def drop_permissions(uow: UnitOfWork) -> None:
        await uow.session.execute(
            delete(Permission).where(Permission.entity_id == collection["id"])
        )

    await db.run(drop_permissions)
    assert await status_of_read(client, other_user, collection["id"]) == 200
    assert await get_roles(client, other_user, collection["id"]) == roles(False, True, True, True)
    assert await status_of_write(client, other_user, collection["id"]) == 200
    assert [c["id"] for c in await list_collections(client, other_user)].count(
        collection["id"]
    ) == 1
