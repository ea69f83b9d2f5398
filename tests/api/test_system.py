from __future__ import annotations

import httpx

from tests.conftest import API, ApiUser


async def test_versionz_is_public(client: httpx.AsyncClient) -> None:
    response = await client.get(f"{API}/versionz")
    assert response.status_code == 200
    assert response.json() == {"version": "5.4.0"}


async def test_healthz_is_public_and_up(client: httpx.AsyncClient) -> None:
    response = await client.get(f"{API}/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "UP"
    assert {check["name"] for check in body["checks"]} >= {"Database connection health check"}


async def test_missing_credentials_give_upstream_401(client: httpx.AsyncClient) -> None:
    response = await client.get(f"{API}/collections")
    assert response.status_code == 401
    assert response.json() == {
        "status": 401,
        "exception": "AuthenticationException",
        "message": "Invalid/missing authorization header",
    }


async def test_api_key_authenticates(client: httpx.AsyncClient, user: ApiUser) -> None:
    response = await client.get(f"{API}/versionz", headers=user.headers)
    assert response.status_code == 200


async def test_health_subpaths(client: httpx.AsyncClient) -> None:
    for path in ("ready", "started", "live"):
        response = await client.get(f"{API}/healthz/{path}")
        assert response.status_code == 200
        assert response.json()["status"] == "UP"
