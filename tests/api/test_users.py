"""Users over HTTP: upstream's UserIT and the User view's id lists."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import httpx

from pyshepard.auth.users import service as users
from pyshepard.core.db import Database
from tests.conftest import API, ApiUser


async def test_current_user(client: httpx.AsyncClient, user: ApiUser) -> None:
    response = await client.get(f"{API}/users", headers=user.headers)
    assert response.status_code == 200
    assert response.json() == {
        "username": user.username,
        "firstName": "Test",
        "lastName": "User",
        "email": "test@example.org",
        "subscriptionIds": [],
        "apiKeyIds": [user.key_uid],
    }


async def test_user_by_name_equals_current_user(client: httpx.AsyncClient, user: ApiUser) -> None:
    current = (await client.get(f"{API}/users", headers=user.headers)).json()
    response = await client.get(f"{API}/users/{user.username}", headers=user.headers)
    assert response.status_code == 200
    assert response.json() == current


async def test_any_authenticated_user_may_look_others_up(
    client: httpx.AsyncClient, user: ApiUser, other_user: ApiUser
) -> None:
    response = await client.get(f"{API}/users/{user.username}", headers=other_user.headers)
    assert response.status_code == 200
    assert response.json()["username"] == user.username
    assert response.json()["email"] == "test@example.org"


async def test_profile_lists_subscriptions_and_keys(
    client: httpx.AsyncClient, user: ApiUser
) -> None:
    key = await client.post(
        f"{API}/users/{user.username}/apikeys", json={"name": "k"}, headers=user.headers
    )
    subscription = await client.post(
        f"{API}/users/{user.username}/subscriptions",
        json={
            "name": "s",
            "callbackURL": "https://hooks.example.org/cb",
            "subscribedURL": ".*/collections/.*",
            "requestMethod": "PUT",
        },
        headers=user.headers,
    )
    assert key.status_code == 201
    assert subscription.status_code == 201
    body = (await client.get(f"{API}/users/{user.username}", headers=user.headers)).json()
    assert body["apiKeyIds"] == [user.key_uid, key.json()["uid"]]
    assert body["subscriptionIds"] == [subscription.json()["id"]]


async def test_unknown_user_is_404(client: httpx.AsyncClient, user: ApiUser) -> None:
    response = await client.get(f"{API}/users/fake-user-id", headers=user.headers)
    assert response.status_code == 404
    assert response.json() == {
        "status": 404,
        "exception": "InvalidPathException",
        "message": "User with name fake-user-id not found",
    }


async def test_soft_deleted_user_is_404(
    client: httpx.AsyncClient,
    db: Database,
    user: ApiUser,
    make_user: Callable[..., Awaitable[ApiUser]],
) -> None:
    gone = await make_user()

    async def delete(uow):  # type: ignore[no-untyped-def]
        await users.delete_user(uow, gone.username)

    await db.run(delete)
    response = await client.get(f"{API}/users/{gone.username}", headers=user.headers)
    assert response.status_code == 404
    assert response.json()["message"] == f"User with name {gone.username} not found"


async def test_a_deleted_users_keys_stay_revoked_when_the_name_returns(
    client: httpx.AsyncClient, db: Database, make_user: Callable[..., Awaitable[ApiUser]]
) -> None:
    gone = await make_user()
    assert (await client.get(f"{API}/users", headers=gone.headers)).status_code == 200

    async def delete(uow):  # type: ignore[no-untyped-def]
        await users.delete_user(uow, gone.username)

    async def create_again(uow):  # type: ignore[no-untyped-def]
        await users.create_user(uow, gone.username)

    await db.run(delete)
    assert (await client.get(f"{API}/users", headers=gone.headers)).status_code == 401
    await db.run(create_again)
    assert (await client.get(f"{API}/users", headers=gone.headers)).status_code == 401
    back = await make_user()  # any live user may look the returned account up
    shown = await client.get(f"{API}/users/{gone.username}", headers=back.headers)
    assert shown.status_code == 200
    assert shown.json()["apiKeyIds"] == []


async def test_blank_username_is_400(client: httpx.AsyncClient, user: ApiUser) -> None:
    response = await client.get(f"{API}/users/%20", headers=user.headers)
    assert response.status_code == 400
    assert response.json()["violations"] == [
        {"field": "getUser.username", "message": "must not be blank"}
    ]


async def test_no_credentials_is_401(client: httpx.AsyncClient, user: ApiUser) -> None:
    assert (await client.get(f"{API}/users")).status_code == 401
    assert (await client.get(f"{API}/users/{user.username}")).status_code == 401
