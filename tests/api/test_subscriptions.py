"""Subscriptions over HTTP: upstream's SubscriptionIT, validation and the callback-target rule."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from pyshepard.app import create_app
from pyshepard.core.config import Settings
from pyshepard.core.outbound import names_non_public_host
from tests.conftest import API, ApiUser

FORBIDDEN = "The requested action is forbidden by the permission policies"
WIRE_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}\+00:00$")


def subs_url(username: str, subscription_id: int | str | None = None) -> str:
    suffix = "" if subscription_id is None else f"/{subscription_id}"
    return f"{API}/users/{username}/subscriptions{suffix}"


def body(**overrides: Any) -> dict[str, Any]:
    return {
        "name": "SubscriptionDummy",
        "callbackURL": "http://my-callback-url.local",
        "requestMethod": "DELETE",
        "subscribedURL": "http://my-subscribed-url.local",
        **overrides,
    }


async def subscribe(client: httpx.AsyncClient, owner: ApiUser, **overrides: Any) -> dict[str, Any]:
    response = await client.post(
        subs_url(owner.username), json=body(**overrides), headers=owner.headers
    )
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


async def stored(client: httpx.AsyncClient, owner: ApiUser) -> list[dict[str, Any]]:
    response = await client.get(subs_url(owner.username), headers=owner.headers)
    assert response.status_code == 200
    listed: list[dict[str, Any]] = response.json()
    return listed


async def test_create_subscription(client: httpx.AsyncClient, user: ApiUser) -> None:
    created = await subscribe(client, user)
    assert isinstance(created["id"], int)
    assert WIRE_TIME.match(created["createdAt"])
    assert created == {
        "id": created["id"],
        "name": "SubscriptionDummy",
        "callbackURL": "http://my-callback-url.local",
        "subscribedURL": "http://my-subscribed-url.local",
        "requestMethod": "DELETE",
        "createdBy": user.username,
        "createdAt": created["createdAt"],
    }


async def test_get_subscription(client: httpx.AsyncClient, user: ApiUser) -> None:
    created = await subscribe(client, user)
    response = await client.get(subs_url(user.username, created["id"]), headers=user.headers)
    assert response.status_code == 200
    assert response.json() == created


async def test_unknown_subscription_is_404(client: httpx.AsyncClient, user: ApiUser) -> None:
    response = await client.get(subs_url(user.username, 99999999999), headers=user.headers)
    assert response.status_code == 404
    assert response.json()["message"] == "ID ERROR - Subscription does not exist"


async def test_subscription_under_other_users_path_is_403(
    client: httpx.AsyncClient, user: ApiUser, other_user: ApiUser
) -> None:
    created = await subscribe(client, user)
    response = await client.get(subs_url(user.username, created["id"]), headers=other_user.headers)
    assert response.status_code == 403
    assert response.json()["message"] == FORBIDDEN
    response = await client.get(subs_url(user.username), headers=other_user.headers)
    assert response.status_code == 403


async def test_other_users_subscription_under_own_path_is_403(
    client: httpx.AsyncClient, user: ApiUser, other_user: ApiUser
) -> None:
    created = await subscribe(client, user)
    response = await client.get(
        subs_url(other_user.username, created["id"]), headers=other_user.headers
    )
    assert response.status_code == 403
    assert response.json()["message"] == "You do not have permissions for this Subscription."


async def test_list_holds_exactly_own_subscriptions(
    client: httpx.AsyncClient, user: ApiUser, other_user: ApiUser
) -> None:
    first = await subscribe(client, user)
    second = await subscribe(client, user, name="second", requestMethod="POST")
    await subscribe(client, other_user)
    assert await stored(client, user) == [first, second]


async def test_delete_subscription(
    client: httpx.AsyncClient, user: ApiUser, other_user: ApiUser
) -> None:
    created = await subscribe(client, user)
    kept = await subscribe(client, user, name="kept")
    response = await client.delete(
        subs_url(user.username, created["id"]), headers=other_user.headers
    )
    assert response.status_code == 403
    response = await client.delete(
        subs_url(other_user.username, created["id"]), headers=other_user.headers
    )
    assert response.status_code == 403
    assert await stored(client, user) == [created, kept]
    response = await client.delete(subs_url(user.username, created["id"]), headers=user.headers)
    assert response.status_code == 204
    response = await client.get(subs_url(user.username, created["id"]), headers=user.headers)
    assert response.status_code == 404
    assert await stored(client, user) == [kept]
    response = await client.delete(subs_url(user.username, created["id"]), headers=user.headers)
    assert response.status_code == 404


async def test_subscribing_for_someone_else_is_403_and_stores_nothing(
    client: httpx.AsyncClient, user: ApiUser, other_user: ApiUser
) -> None:
    response = await client.post(subs_url(other_user.username), json=body(), headers=user.headers)
    assert response.status_code == 403
    assert response.json()["message"] == FORBIDDEN
    assert await stored(client, other_user) == []


async def test_unknown_user_is_404(client: httpx.AsyncClient, user: ApiUser) -> None:
    response = await client.post(subs_url("nobody-here"), json=body(), headers=user.headers)
    assert response.status_code == 404
    assert response.json()["message"] == "User with name nobody-here not found"
    response = await client.get(subs_url("nobody-here", 1), headers=user.headers)
    assert response.status_code == 404


async def test_ids_come_from_the_shared_entity_sequence(
    client: httpx.AsyncClient, user: ApiUser
) -> None:
    group = await client.post(
        f"{API}/userGroups", json={"name": "g", "usernames": []}, headers=user.headers
    )
    created = await subscribe(client, user)
    assert created["id"] > group.json()["id"]


async def test_callback_url_may_be_null(client: httpx.AsyncClient, user: ApiUser) -> None:
    created = await subscribe(client, user, callbackURL=None)
    assert created["callbackURL"] is None
    assert (await stored(client, user))[0]["callbackURL"] is None


@pytest.mark.parametrize(
    "overrides",
    [
        {"name": " "},
        {"name": None},
        {"subscribedURL": ""},
        {"subscribedURL": "("},
        {"subscribedURL": "[a-"},
        {"requestMethod": "FETCH"},
        {"requestMethod": None},
        {"callbackURL": "ftp://files.example.org/x"},
        {"callbackURL": "not a url"},
        {"callbackURL": "http://nodot"},
        {"name": "x" * 1025},
    ],
)
async def test_invalid_subscriptions_are_400_and_store_nothing(
    client: httpx.AsyncClient, user: ApiUser, overrides: dict[str, Any]
) -> None:
    response = await client.post(
        subs_url(user.username), json=body(**overrides), headers=user.headers
    )
    assert response.status_code == 400
    assert await stored(client, user) == []


async def test_callback_pattern_violation_names_upstreams_pattern(
    client: httpx.AsyncClient, user: ApiUser
) -> None:
    response = await client.post(
        subs_url(user.username), json=body(callbackURL="ftp://x.org"), headers=user.headers
    )
    violation = response.json()["violations"][0]
    assert violation["field"] == "createSubscription.callbackURL"
    assert violation["message"].startswith('must match "https?:')


async def test_bad_subscription_id_is_400(client: httpx.AsyncClient, user: ApiUser) -> None:
    for sid in ("-1", "abc", str(2**63)):
        response = await client.get(subs_url(user.username, sid), headers=user.headers)
        assert response.status_code == 400, sid


@pytest.mark.parametrize(
    "callback",
    [
        "http://127.0.0.1:9000/hook",
        "http://127.1.2.3/x",
        "http://10.1.2.3/x",
        "http://172.16.0.1/x",
        "http://192.168.1.20/x",
        "http://169.254.169.254/latest/meta-data",
        "http://0.0.0.0/x",
        "http://100.64.0.1/x",
        "http://224.0.0.1/x",
        "http://0x7f.1/x",
        "http://127.1/x",
        "https://example.org@10.0.0.1/x",
    ],
)
async def test_non_public_callbacks_are_refused(
    client: httpx.AsyncClient, user: ApiUser, callback: str
) -> None:
    response = await client.post(
        subs_url(user.username), json=body(callbackURL=callback), headers=user.headers
    )
    assert response.status_code == 400, callback
    assert response.json()["exception"] == "InvalidRequestException"
    assert "loopback, private or link-local" in response.json()["message"]
    assert await stored(client, user) == []


async def test_localhost_names_are_refused(client: httpx.AsyncClient, user: ApiUser) -> None:
    # upstream's pattern already rejects most of them; the host rule catches the rest
    for callback in ("http://localhost/x", "http://api.localhost/x", "http://a.localhost.:80/x"):
        response = await client.post(
            subs_url(user.username), json=body(callbackURL=callback), headers=user.headers
        )
        assert response.status_code == 400, callback
    assert await stored(client, user) == []


async def test_public_callbacks_are_accepted(client: httpx.AsyncClient, user: ApiUser) -> None:
    for callback in ("https://hooks.example.org/shepard", "http://93.184.216.34:8080/cb"):
        created = await subscribe(client, user, callbackURL=callback)
        assert created["callbackURL"] == callback


@pytest.fixture
async def permissive_client(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings.model_copy(update={"subscription_allow_private_callbacks": True}))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http
    await app.state.db.dispose()
    await app.state.http.aclose()


async def test_private_callbacks_allowed_by_setting(
    permissive_client: httpx.AsyncClient, user: ApiUser
) -> None:
    created = await subscribe(permissive_client, user, callbackURL="http://127.0.0.1:9000/hook")
    assert created["callbackURL"] == "http://127.0.0.1:9000/hook"


async def test_no_credentials_is_401(client: httpx.AsyncClient, user: ApiUser) -> None:
    assert (await client.post(subs_url(user.username), json=body())).status_code == 401
    assert await stored(client, user) == []


@pytest.mark.parametrize(
    ("url", "refused"),
    [
        ("http://localhost/x", True),
        ("http://a.localhost.:80/x", True),
        ("http://ip6-localhost/x", True),
        ("http://[::1]/x", True),
        ("http://[fe80::1]/x", True),
        ("http://[fd00::5]/x", True),
        ("http://[::ffff:127.0.0.1]/x", True),
        ("http://2130706433/x", True),
        ("http:///x", True),
        ("http://[2001:4860:4860::8888]/x", False),
        ("http://8.8.8.8/x", False),
        ("http://my-callback-url.local", False),  # names are checked again on delivery
        ("https://hooks.example.org/x", False),
    ],
)
def test_callback_host_rule(url: str, refused: bool) -> None:
    assert names_non_public_host(url) is refused
