"""API keys over HTTP: upstream's ApiKeyIT, plus revocation and input checks."""

from __future__ import annotations

import re
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import httpx

from pyshepard.auth.users import service as users
from pyshepard.core.db import Database
from tests.conftest import API, ApiUser

FORBIDDEN = "The requested action is forbidden by the permission policies"
WIRE_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}\+00:00$")


def keys_url(username: str, uid: str | None = None) -> str:
    return f"{API}/users/{username}/apikeys" + (f"/{uid}" if uid else "")


async def create_key(client: httpx.AsyncClient, owner: ApiUser, name: str) -> dict[str, Any]:
    response = await client.post(
        keys_url(owner.username), json={"name": name}, headers=owner.headers
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def key_uids(client: httpx.AsyncClient, owner: ApiUser) -> set[str]:
    response = await client.get(keys_url(owner.username), headers=owner.headers)
    assert response.status_code == 200
    return {key["uid"] for key in response.json()}


async def test_create_key_returns_it_once_and_it_authenticates(
    client: httpx.AsyncClient, user: ApiUser
) -> None:
    created = await create_key(client, user, "ApiKeyDummy")
    assert set(created) == {"uid", "name", "createdAt", "belongsTo", "jwt"}
    assert uuid.UUID(created["uid"])
    assert WIRE_TIME.match(created["createdAt"])
    assert created["belongsTo"] == user.username
    assert created["name"] == "ApiKeyDummy"
    fresh = {"X-API-KEY": created["jwt"]}
    response = await client.get(keys_url(user.username), headers=fresh)
    assert response.status_code == 200
    listed = {key["uid"]: key for key in response.json()}
    assert listed[created["uid"]] == {k: v for k, v in created.items() if k != "jwt"}
    assert all("jwt" not in key for key in listed.values())


async def test_get_existing_key(client: httpx.AsyncClient, user: ApiUser) -> None:
    created = await create_key(client, user, "mine")
    response = await client.get(keys_url(user.username, created["uid"]), headers=user.headers)
    assert response.status_code == 200
    assert response.json() == {k: v for k, v in created.items() if k != "jwt"}


async def test_get_unknown_key_is_404(client: httpx.AsyncClient, user: ApiUser) -> None:
    response = await client.get(keys_url(user.username, str(uuid.uuid4())), headers=user.headers)
    assert response.status_code == 404
    assert response.json()["message"] == "ID ERROR - ApiKey does not exist"


async def test_uids_are_checked_like_upstreams_uuid_constraint(
    client: httpx.AsyncClient, user: ApiUser
) -> None:
    """Hibernate's `@UUID` on `apikeyUid`: lower case, versions 1-5 (the nil UUID is valid)."""
    created = await create_key(client, user, "case")
    for uid in (created["uid"].upper(), "00000000-0000-7000-8000-000000000000"):
        response = await client.get(keys_url(user.username, uid), headers=user.headers)
        assert response.status_code == 400
        assert response.json()["violations"][0]["message"] == "must be a valid UUID"
    nil = await client.get(keys_url(user.username, str(uuid.UUID(int=0))), headers=user.headers)
    assert nil.status_code == 404


async def test_key_of_other_user_under_own_path_is_403(
    client: httpx.AsyncClient, user: ApiUser, other_user: ApiUser
) -> None:
    response = await client.get(keys_url(user.username, other_user.key_uid), headers=user.headers)
    assert response.status_code == 403
    assert response.json()["message"] == "You do not have permissions for this ApiKey."


async def test_keys_under_other_users_path_are_403(
    client: httpx.AsyncClient, user: ApiUser, other_user: ApiUser
) -> None:
    for uid in (other_user.key_uid, str(uuid.uuid4())):
        response = await client.get(keys_url(other_user.username, uid), headers=user.headers)
        assert response.status_code == 403
        assert response.json() == {
            "status": 403,
            "exception": "InvalidAuthException",
            "message": FORBIDDEN,
        }
    response = await client.get(keys_url(other_user.username), headers=user.headers)
    assert response.status_code == 403
    assert response.json()["message"] == FORBIDDEN


async def test_list_holds_own_keys_only(
    client: httpx.AsyncClient, user: ApiUser, other_user: ApiUser
) -> None:
    created = await create_key(client, user, "listed")
    uids = await key_uids(client, user)
    assert uids == {user.key_uid, created["uid"]}
    assert other_user.key_uid not in uids


async def test_delete_revokes_the_key_at_once(client: httpx.AsyncClient, user: ApiUser) -> None:
    created = await create_key(client, user, "short-lived")
    fresh = {"X-API-KEY": created["jwt"]}
    assert (await client.get(f"{API}/users", headers=fresh)).status_code == 200
    response = await client.delete(keys_url(user.username, created["uid"]), headers=user.headers)
    assert response.status_code == 204
    assert response.content == b""
    response = await client.get(keys_url(user.username, created["uid"]), headers=user.headers)
    assert response.status_code == 404
    refused = await client.get(f"{API}/users", headers=fresh)
    assert refused.status_code == 401
    assert refused.json()["message"] == "Invalid Authentication"
    assert await key_uids(client, user) == {user.key_uid}


async def test_a_key_can_delete_itself(client: httpx.AsyncClient, user: ApiUser) -> None:
    created = await create_key(client, user, "self-destruct")
    fresh = {"X-API-KEY": created["jwt"]}
    response = await client.delete(keys_url(user.username, created["uid"]), headers=fresh)
    assert response.status_code == 204
    assert (await client.get(f"{API}/users", headers=fresh)).status_code == 401


async def test_delete_unknown_key_is_404(client: httpx.AsyncClient, user: ApiUser) -> None:
    response = await client.delete(keys_url(user.username, str(uuid.uuid4())), headers=user.headers)
    assert response.status_code == 404
    assert response.json()["message"] == "ID ERROR - ApiKey does not exist"


async def test_delete_keys_of_other_user_is_403_and_keeps_them(
    client: httpx.AsyncClient, user: ApiUser, other_user: ApiUser
) -> None:
    for uid in (str(uuid.uuid4()), other_user.key_uid):
        response = await client.delete(keys_url(other_user.username, uid), headers=user.headers)
        assert response.status_code == 403
        assert response.json()["message"] == FORBIDDEN
    response = await client.delete(
        keys_url(user.username, other_user.key_uid), headers=user.headers
    )
    assert response.status_code == 403
    assert response.json()["message"] == "You do not have permissions for this ApiKey."
    assert (await client.get(f"{API}/users", headers=other_user.headers)).status_code == 200
    assert await key_uids(client, other_user) == {other_user.key_uid}


async def test_create_for_other_user_is_403_and_creates_nothing(
    client: httpx.AsyncClient, user: ApiUser, other_user: ApiUser
) -> None:
    response = await client.post(
        keys_url(other_user.username), json={"name": "sneaky"}, headers=user.headers
    )
    assert response.status_code == 403
    assert response.json()["message"] == FORBIDDEN
    assert await key_uids(client, other_user) == {other_user.key_uid}
    assert await key_uids(client, user) == {user.key_uid}


async def test_create_for_unknown_user_is_404(client: httpx.AsyncClient, user: ApiUser) -> None:
    response = await client.post(keys_url("nobody-here"), json={"name": "x"}, headers=user.headers)
    assert response.status_code == 404
    assert response.json()["message"] == "User with name nobody-here not found"


async def test_bad_names_are_400_and_create_nothing(
    client: httpx.AsyncClient, user: ApiUser
) -> None:
    for body in ({"name": "   "}, {"name": ""}, {}, {"name": None}, {"name": "x" * 256}):
        response = await client.post(keys_url(user.username), json=body, headers=user.headers)
        assert response.status_code == 400, body
    response = await client.post(keys_url(user.username), json={"name": " "}, headers=user.headers)
    assert response.json() == {
        "title": "Constraint Violation",
        "status": 400,
        "violations": [{"field": "createApiKey.name", "message": "must not be blank"}],
    }
    assert await key_uids(client, user) == {user.key_uid}


async def test_read_only_and_unknown_fields_are_ignored(
    client: httpx.AsyncClient, user: ApiUser, other_user: ApiUser
) -> None:
    forged = str(uuid.uuid4())
    body = {
        "name": "plain",
        "uid": forged,
        "belongsTo": other_user.username,
        "createdAt": "2000-01-01T00:00:00.000+00:00",
        "jwt": "x",
        "colour": "blue",
    }
    response = await client.post(keys_url(user.username), json=body, headers=user.headers)
    assert response.status_code == 201
    created = response.json()
    assert created["uid"] != forged
    assert created["belongsTo"] == user.username
    assert not created["createdAt"].startswith("2000")
    assert created["jwt"] != "x"


async def test_malformed_uid_is_400(client: httpx.AsyncClient, user: ApiUser) -> None:
    for method in ("GET", "DELETE"):
        response = await client.request(
            method, keys_url(user.username, "not-a-uuid"), headers=user.headers
        )
        assert response.status_code == 400
        assert response.json()["violations"][0]["message"] == "must be a valid UUID"
    assert await key_uids(client, user) == {user.key_uid}


async def test_no_credentials_is_401(client: httpx.AsyncClient, user: ApiUser) -> None:
    assert (await client.get(keys_url(user.username))).status_code == 401
    response = await client.post(keys_url(user.username), json={"name": "x"})
    assert response.status_code == 401
    assert await key_uids(client, user) == {user.key_uid}


async def test_keys_of_a_soft_deleted_user_stop_working(
    client: httpx.AsyncClient,
    db: Database,
    make_user: Callable[..., Awaitable[ApiUser]],
) -> None:
    leaving = await make_user()
    created = await create_key(client, leaving, "second")

    async def delete(uow):  # type: ignore[no-untyped-def]
        await users.delete_user(uow, leaving.username)

    await db.run(delete)
    for key in (leaving.api_key, created["jwt"]):
        response = await client.get(f"{API}/users", headers={"X-API-KEY": key})
        assert response.status_code == 401
