"""Spatial-data containers and points (port of upstream's SpatialDataIT, plus the oriented box,
bad input, cleanup and feature-toggle cases around it)."""

from __future__ import annotations

import math
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from pyshepard.app import create_app
from pyshepard.core.config import Settings
from pyshepard.core.db import Database
from pyshepard.data.spatial.errors import BadRequest
from pyshepard.data.spatial.store import SpatialStore
from tests.api.references_support import MISSING_ID, TIMESTAMP, assert_error, unique
from tests.api.spatial_support import (
    CONTAINERS,
    create_container,
    diagonal,
    points_of,
    query,
    stored_points,
    upload,
)
from tests.conftest import ApiUser

READ_DENIED = (
    "The requested action is forbidden by the permission policies. User has no READ permissions."
)
WRITE_DENIED = (
    "The requested action is forbidden by the permission policies. User has no WRITE permissions."
)
MANAGE_DENIED = (
    "The requested action is forbidden by the permission policies. User has no MANAGE permissions."
)
NOT_OWNER = "The requested action is forbidden by the permission policies. User is not owner."


def _permissions(owner: ApiUser, kind: str, **lists: list[str]) -> dict[str, Any]:
    return {
        "owner": owner.username,
        "permissionType": kind,
        "reader": lists.get("reader", []),
        "writer": lists.get("writer", []),
        "readerGroupIds": [],
        "writerGroupIds": [],
        "manager": lists.get("manager", []),
    }


def _untimed(points: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{key: value for key, value in point.items() if key != "timestamp"} for point in points]


# --- SpatialDataIT: containers ---------------------------------------------------------------


async def test_create_get_and_list_containers(client: httpx.AsyncClient, user: ApiUser) -> None:
    created = await create_container(client, user, "SpatialContainer")
    assert isinstance(created["id"], int)
    assert TIMESTAMP.match(created["createdAt"])
    assert created["createdBy"] == user.username
    assert created["name"] == "SpatialContainer"
    assert created["type"] == "SPATIALDATA"
    assert created["updatedAt"] is None
    assert created["updatedBy"] is None
    assert set(created) == {
        "id",
        "createdAt",
        "createdBy",
        "updatedAt",
        "updatedBy",
        "name",
        "type",
    }

    fetched = await client.get(f"{CONTAINERS}/{created['id']}", headers=user.headers)
    assert fetched.status_code == 200
    assert fetched.json() == created
    listed = await client.get(CONTAINERS, headers=user.headers)
    assert created in listed.json()
    by_name = await client.get(
        CONTAINERS, params={"name": "SpatialContainer"}, headers=user.headers
    )
    assert created in by_name.json()
    other_name = await client.get(CONTAINERS, params={"name": unique("x")}, headers=user.headers)
    assert other_name.json() == []


async def test_pages_and_order(client: httpx.AsyncClient, make_user: Any) -> None:
    owner = await make_user()
    # Public containers of other tests are readable too, so a shared unique name scopes the list.
    name = unique("paged")
    created = [await create_container(client, owner, name) for _ in range(10)]
    mine = {"name": name}
    everything = (await client.get(CONTAINERS, params=mine, headers=owner.headers)).json()
    assert everything == created  # oldest first
    first = await client.get(
        CONTAINERS, params={**mine, "page": 0, "size": 3}, headers=owner.headers
    )
    third = await client.get(
        CONTAINERS, params={**mine, "page": 2, "size": 3}, headers=owner.headers
    )
    assert first.json() == everything[0:3]
    assert third.json() == everything[6:9]
    descending = await client.get(
        CONTAINERS,
        params={**mine, "orderBy": "createdAt", "orderDesc": True},
        headers=owner.headers,
    )
    ascending = await client.get(
        CONTAINERS,
        params={**mine, "orderBy": "createdAt", "orderDesc": False},
        headers=owner.headers,
    )
    stamps = [item["createdAt"] for item in ascending.json()]
    assert stamps == sorted(stamps)
    assert [item["createdAt"] for item in descending.json()] == sorted(stamps, reverse=True)
    invalid = await client.get(CONTAINERS, params={"size": -1, "page": 0}, headers=owner.headers)
    assert invalid.status_code == 400


async def test_other_users_and_missing_containers(
    client: httpx.AsyncClient, user: ApiUser, other_user: ApiUser
) -> None:
    container = await create_container(client, user)
    url = f"{CONTAINERS}/{container['id']}"
    assert_error(await client.get(url, headers=other_user.headers), 403, READ_DENIED)
    assert container not in (await client.get(CONTAINERS, headers=other_user.headers)).json()
    missing = await client.get(f"{CONTAINERS}/999999", headers=user.headers)
    assert_error(
        missing, 404, "ID ERROR - Spatial data container with id 999999 is null or deleted"
    )
    negative = await client.get(f"{CONTAINERS}/-1", headers=user.headers)
    assert negative.status_code == 400
    assert (
        negative.json()["violations"][0]["field"]
        == "getSpatialDataContainer.spatialDataContainerId"
    )
    anonymous = await client.get(url)
    assert anonymous.status_code == 401


async def test_a_container_of_another_kind_is_not_found(
    client: httpx.AsyncClient, user: ApiUser
) -> None:
    response = await client.post(
        "/shepard/api/structuredDataContainers", json={"name": "s"}, headers=user.headers
    )
    other = response.json()["id"]
    assert_error(
        await client.get(f"{CONTAINERS}/{other}", headers=user.headers),
        404,
        f"ID ERROR - Spatial data container with id {other} is null or deleted",
    )


# --- SpatialDataIT: points and filters -------------------------------------------------------


@pytest.fixture
async def diagonal_container(client: httpx.AsyncClient, user: ApiUser) -> int:
    container = await create_container(client, user)
    await upload(client, user, container["id"], diagonal())
    container_id: int = container["id"]
    return container_id


async def test_all_points_come_back_as_sent(
    client: httpx.AsyncClient, user: ApiUser, diagonal_container: int
) -> None:
    assert await points_of(client, user, diagonal_container) == diagonal()


async def test_bounding_sphere(
    client: httpx.AsyncClient, user: ApiUser, diagonal_container: int
) -> None:
    sphere = {"type": "BOUNDING_SPHERE", "radius": 49, "centerX": 0, "centerY": 0, "centerZ": 0}
    found = await points_of(client, user, diagonal_container, geometryFilter=sphere)
    # radius 49 holds (0,0,0), (10,10,10) and (20,20,20): |(20,20,20)| = 34.6, |(30,30,30)| = 52
    assert found == diagonal()[:3]


async def test_axis_aligned_bounding_box(
    client: httpx.AsyncClient, user: ApiUser, diagonal_container: int
) -> None:
    box = {
        "type": "AXIS_ALIGNED_BOUNDING_BOX",
        "minX": -1,
        "minY": -1,
        "minZ": -1,
        "maxX": 49,
        "maxY": 49,
        "maxZ": 49,
    }
    assert await points_of(client, user, diagonal_container, geometryFilter=box) == diagonal()[:5]
    # boundaries are inside, as PostGIS' &&& has them
    edge = {**box, "minX": 10, "minY": 10, "minZ": 10, "maxX": 30, "maxY": 30, "maxZ": 30}
    assert await points_of(client, user, diagonal_container, geometryFilter=edge) == diagonal()[1:4]


async def test_k_nearest_neighbours(
    client: httpx.AsyncClient, user: ApiUser, diagonal_container: int
) -> None:
    knn = {"type": "K_NEAREST_NEIGHBOR", "k": 3, "x": 1, "y": 1, "z": 1}
    assert await points_of(client, user, diagonal_container, geometryFilter=knn) == diagonal()[:3]
    far = {"type": "K_NEAREST_NEIGHBOR", "k": 4, "x": 100, "y": 100, "z": 95}
    found = await points_of(client, user, diagonal_container, geometryFilter=far)
    assert found == [diagonal()[9], diagonal()[8], diagonal()[7], diagonal()[6]]
    everything = {"type": "K_NEAREST_NEIGHBOR", "k": 50, "x": 46, "y": 46, "z": 46}
    found = await points_of(client, user, diagonal_container, geometryFilter=everything)
    assert [point["timestamp"] for point in found] == [5, 4, 6, 3, 7, 2, 8, 1, 9, 0]
    none = {"type": "K_NEAREST_NEIGHBOR", "k": 0, "x": 1, "y": 1, "z": 1}
    assert await points_of(client, user, diagonal_container, geometryFilter=none) == []


async def test_k_nearest_neighbours_with_metadata_measurement_and_time_filters(
    client: httpx.AsyncClient, user: ApiUser, diagonal_container: int
) -> None:
    knn = {"type": "K_NEAREST_NEIGHBOR", "k": 3, "x": 1, "y": 1, "z": 1}
    by_metadata = await points_of(
        client,
        user,
        diagonal_container,
        geometryFilter=knn,
        metadataFilter={"a_meta_data": "metadata_1"},
    )
    assert by_metadata == [diagonal()[1]]
    by_measurement = await points_of(
        client,
        user,
        diagonal_container,
        geometryFilter=knn,
        measurementsFilter=[{"key": "a_measurement", "operator": "EQUALS", "value": 1}],
    )
    assert by_measurement == [diagonal()[1]]
    wide = {**knn, "k": 50}
    in_time = await points_of(
        client, user, diagonal_container, geometryFilter=wide, startTime=0, endTime=4
    )
    assert in_time == diagonal()[:5]


async def test_limit_and_skip(
    client: httpx.AsyncClient, user: ApiUser, diagonal_container: int
) -> None:
    sphere = {"type": "BOUNDING_SPHERE", "radius": 110, "centerX": 0, "centerY": 0, "centerZ": 0}
    limited = await points_of(client, user, diagonal_container, geometryFilter=sphere, limit=5)
    assert limited == diagonal()[:5]
    big = {**sphere, "radius": 200}
    skipped = await points_of(client, user, diagonal_container, geometryFilter=big, skip=2)
    # every second point by id: ids of one upload are consecutive
    assert len(skipped) == 5
    assert {point["timestamp"] % 2 for point in skipped} in ({0}, {1})
    assert await points_of(client, user, diagonal_container, limit=0) == []


async def test_measurement_conditions_follow_paths_and_compare_numbers(
    client: httpx.AsyncClient, user: ApiUser
) -> None:
    container = (await create_container(client, user))["id"]
    points = [
        {"x": 0, "y": 0, "z": 0, "measurements": {"temperature": {"val": 5}}, "metadata": {}},
        {"x": 1, "y": 0, "z": 0, "measurements": {"temperature": {"val": 20.5}}, "metadata": {}},
        {"x": 2, "y": 0, "z": 0, "measurements": {"temperature": {"val": "20"}}, "metadata": {}},
        {"x": 3, "y": 0, "z": 0, "measurements": {"temperature": 20}, "metadata": None},
        {"x": 4, "y": 0, "z": 0, "measurements": {"list": [1, 30, {"v": 7}]}, "metadata": {}},
    ]
    await upload(client, user, container, points)

    async def xs(*conditions: dict[str, Any]) -> list[float]:
        found = await points_of(client, user, container, measurementsFilter=list(conditions))
        return [point["x"] for point in found]

    assert await xs({"key": "temperature,val", "operator": "GREATER_THAN", "value": 10}) == [1.0]
    assert await xs({"key": "temperature, val", "operator": "LESS_THAN", "value": 10}) == [0.0]
    assert await xs({"key": "temperature", "operator": "EQUALS", "value": 20}) == [3.0]
    assert await xs(
        {"key": "temperature,val", "operator": "GREATER_THAN", "value": 1},
        {"key": "temperature,val", "operator": "LESS_THAN", "value": 10},
    ) == [0.0]
    # `#>` semantics: a numeric path element indexes arrays
    assert await xs({"key": "list,1", "operator": "EQUALS", "value": 30}) == [4.0]
    assert await xs({"key": "list,2,v", "operator": "GREATER_THAN", "value": 6.5}) == [4.0]
    assert await xs({"key": "missing", "operator": "LESS_THAN", "value": 1e9}) == []


async def test_metadata_containment(client: httpx.AsyncClient, user: ApiUser) -> None:
    container = (await create_container(client, user))["id"]
    metadata = [
        {"track": 1, "layer": 4, "key": {"subKey": "some data", "n": 2}, "tags": ["a", "b"]},
        {"track": 1.0, "layer": 5, "key": {"subKey": "other"}, "tags": ["b"], "ok": True},
        {"track": "1", "ok": False, "nothing": None},
        None,
    ]
    await upload(
        client,
        user,
        container,
        [
            {"x": i, "y": 0, "z": 0, "measurements": {"m": i}, "metadata": item}
            for i, item in enumerate(metadata)
        ],
    )

    async def xs(wanted: dict[str, Any]) -> list[float]:
        found = await points_of(client, user, container, metadataFilter=wanted)
        return [point["x"] for point in found]

    assert await xs({"track": 1}) == [0.0, 1.0]
    assert await xs({"track": "1"}) == [2.0]
    assert await xs({"track": 1, "layer": 4, "key": {"subKey": "some data"}}) == [0.0]
    assert await xs({"key": {}}) == [0.0, 1.0]
    assert await xs({"tags": ["b"]}) == [0.0, 1.0]
    assert await xs({"tags": ["a", "b"]}) == [0.0]
    assert await xs({"tags": "b"}) == []
    assert await xs({"ok": True}) == [1.0]
    assert await xs({"ok": False}) == [2.0]
    assert await xs({"nothing": None}) == [2.0]
    assert await xs({}) == [0.0, 1.0, 2.0, 3.0]


async def test_oriented_bounding_box(client: httpx.AsyncClient, user: ApiUser) -> None:
    container = (await create_container(client, user))["id"]
    grid = [
        {"x": float(x), "y": float(y), "z": float(z), "measurements": {"i": i}, "metadata": {}}
        for i, (x, y, z) in enumerate(
            (x, y, z) for x in range(-5, 6) for y in range(-5, 6) for z in range(-2, 3)
        )
    ]
    await upload(client, user, container, grid)
    # a 8 x 2 x 2 box around the origin, turned 45° about z: its long side runs along x = y
    obb = {
        "type": "ORIENTED_BOUNDING_BOX",
        "centerX": 0,
        "centerY": 0,
        "centerZ": 0,
        "roll": 0,
        "pitch": 0,
        "yaw": 45,
        "width": 8,
        "height": 2,
        "depth": 2,
    }
    found = _untimed(await points_of(client, user, container, geometryFilter=obb))
    u, v = (math.sqrt(0.5), math.sqrt(0.5)), (-math.sqrt(0.5), math.sqrt(0.5))
    expected = [
        point
        for point in grid
        if abs(point["x"] * u[0] + point["y"] * u[1]) <= 4 + 1e-9
        and abs(point["x"] * v[0] + point["y"] * v[1]) <= 1 + 1e-9
        and abs(point["z"]) <= 1
    ]
    assert found == expected
    assert {(p["x"], p["y"]) for p in found} >= {(2.0, 2.0), (-2.0, -2.0), (0.0, 0.0)}
    assert (2.0, -2.0) not in {(p["x"], p["y"]) for p in found}
    # no rotation: the same as an axis-aligned box
    plain = {**obb, "yaw": 0, "centerX": 1, "width": 4, "height": 2, "depth": 0}
    found = _untimed(await points_of(client, user, container, geometryFilter=plain))
    assert found == [p for p in grid if -1 <= p["x"] <= 3 and -1 <= p["y"] <= 1 and p["z"] == 0]


async def test_missing_timestamp_is_the_server_time(
    client: httpx.AsyncClient, user: ApiUser
) -> None:
    container = (await create_container(client, user))["id"]
    before = time.time_ns()
    await upload(client, user, container, [{"x": 1, "y": 2, "z": 3, "measurements": {"a": 1}}])
    after = time.time_ns()
    [point] = await points_of(client, user, container)
    assert before - 1_000_000 <= point["timestamp"] <= after
    assert point["timestamp"] % 1_000_000 == 0  # milliseconds, as upstream
    assert point["metadata"] is None
    assert (point["x"], point["y"], point["z"]) == (1.0, 2.0, 3.0)


async def test_values_round_trip(client: httpx.AsyncClient, user: ApiUser) -> None:
    container = (await create_container(client, user))["id"]
    point = {
        "timestamp": 2**62,
        "x": -0.1,
        "y": 1e-300,
        "z": 123456789.123456789,
        "measurements": {"data": [1.5, 2, -3e10], "nested": {"ok": True, "s": 'ü ✓ " \\'}},
        "metadata": {"orientation": [0.1] * 10, "base": {"A": 1, "X": 2.5}},
    }
    await upload(client, user, container, [point])
    assert await points_of(client, user, container) == [point]


# --- SpatialDataIT: permissions -----------------------------------------------------------------


async def test_permissions_roles_and_sharing(
    client: httpx.AsyncClient, user: ApiUser, other_user: ApiUser, db: Database
) -> None:
    container = await create_container(client, user)
    url = f"{CONTAINERS}/{container['id']}"
    await upload(client, user, container["id"], diagonal(4))
    sphere = {"type": "BOUNDING_SPHERE", "radius": 200, "centerX": 0, "centerY": 0, "centerZ": 0}

    refused = await client.post(f"{url}/payload", json=diagonal(2), headers=other_user.headers)
    assert_error(refused, 403, READ_DENIED)
    assert await stored_points(db, container["id"]) == 4
    assert_error(
        await query(client, other_user, container["id"], geometryFilter=sphere, skip=2),
        403,
        READ_DENIED,
    )
    assert_error(await client.get(f"{url}/permissions", headers=other_user.headers), 403)

    permissions = await client.get(f"{url}/permissions", headers=user.headers)
    assert permissions.json() == {
        "entityId": container["id"],
        **_permissions(user, "Private"),
    }
    roles = await client.get(f"{url}/roles", headers=user.headers)
    assert roles.json() == {"owner": True, "manager": False, "writer": False, "reader": False}

    shared = _permissions(user, "PublicReadable", writer=[other_user.username])
    updated = await client.put(f"{url}/permissions", json=shared, headers=user.headers)
    assert updated.status_code == 200
    assert updated.json() == {"entityId": container["id"], **shared}
    readable = await query(client, other_user, container["id"], geometryFilter=sphere, skip=2)
    assert readable.status_code == 200
    await upload(client, other_user, container["id"], diagonal(3))
    assert await stored_points(db, container["id"]) == 7

    not_manager = await client.put(f"{url}/permissions", json=shared, headers=other_user.headers)
    assert_error(not_manager, 403, MANAGE_DENIED)

    read_only = _permissions(user, "Private", reader=[other_user.username])
    await client.put(f"{url}/permissions", json=read_only, headers=user.headers)
    refused = await client.post(f"{url}/payload", json=diagonal(2), headers=other_user.headers)
    assert_error(refused, 403, WRITE_DENIED)
    assert await stored_points(db, container["id"]) == 7


async def test_delete_removes_the_points(
    client: httpx.AsyncClient, user: ApiUser, other_user: ApiUser, db: Database
) -> None:
    container = await create_container(client, user)
    kept = await create_container(client, user)
    url = f"{CONTAINERS}/{container['id']}"
    await upload(client, user, container["id"], diagonal(6))
    await upload(client, user, kept["id"], diagonal(2))
    shared = _permissions(user, "Private", manager=[other_user.username])
    await client.put(f"{url}/permissions", json=shared, headers=user.headers)

    assert_error(await client.delete(url, headers=other_user.headers), 403, NOT_OWNER)
    assert await stored_points(db, container["id"]) == 6
    deleted = await client.delete(url, headers=user.headers)
    assert deleted.status_code == 200
    assert deleted.content == b""
    assert (await client.get(url, headers=user.headers)).status_code == 404
    assert (await client.delete(url, headers=user.headers)).status_code == 404
    assert (await query(client, user, container["id"])).status_code == 404
    assert await stored_points(db, container["id"]) == 0
    assert await stored_points(db, kept["id"]) == 2
    assert len(await points_of(client, user, kept["id"])) == 2


# --- bad input --------------------------------------------------------------------------------


async def test_invalid_uploads_store_nothing(
    client: httpx.AsyncClient, user: ApiUser, db: Database
) -> None:
    container = (await create_container(client, user))["id"]
    url = f"{CONTAINERS}/{container}/payload"
    good = diagonal(3)
    cases: list[tuple[Any, str | None]] = [
        ({"x": 1}, "The body must be a JSON array of SpatialDataPoint objects"),
        ([*good, 5], "Point 3 is not a JSON object"),
        ([*good, {**good[0], "x": "east"}], 'Invalid coordinate "east": a number is expected'),
        ([*good, {**good[0], "timestamp": "soon"}], None),
        ([*good, {**good[0], "measurements": [1, 2]}], None),
        ([*good, {**good[0], "metadata": "x"}], None),
        ([*good, {**good[0], "measurements": {"s": "a\u0000b"}}], None),
        ([*good, {**good[0], "timestamp": 2**63}], None),
        (
            [*good, {**good[0], "z": -1e39}],
            "Invalid coordinate -1e+39 (point 3): coordinates must lie within ±1e+38",
        ),
        ([*good, {**good[0], "x": 1e300}], None),
        (
            [*good, {**good[0], "x": [10**20]}],
            "Invalid coordinate [100000000000000000000]: a number is expected",
        ),
        ([*good, {**good[0], "timestamp": {"a": 2**64}}], None),
    ]
    for body, message in cases:
        response = await client.post(url, json=body, headers=user.headers)
        assert_error(response, 400, message)
        assert response.json()["exception"] == "InvalidBodyException"
    broken = await client.post(
        url, content=b"[{", headers={**user.headers, "Content-Type": "application/json"}
    )
    assert broken.status_code == 400
    assert broken.json()["message"].startswith("Malformed JSON body")

    missing = [*good, {"y": 1, "z": None, "measurements": {}}]
    response = await client.post(url, json=missing, headers=user.headers)
    assert response.status_code == 400
    assert response.json() == {
        "title": "Constraint Violation",
        "status": 400,
        "violations": [
            {"field": "createSpatialDataPoints.dataPoints[3].x", "message": "must not be null"},
            {"field": "createSpatialDataPoints.dataPoints[3].z", "message": "must not be null"},
            {
                "field": "createSpatialDataPoints.dataPoints[3].measurements",
                "message": "must not be empty",
            },
        ],
    }
    assert await stored_points(db, container) == 0
    assert await points_of(client, user, container) == []
    # an empty batch is accepted, as upstream
    await upload(client, user, container, [])
    # bad bodies are a 400 even for a missing container; a good one is a 404 there
    assert (
        await client.post(f"{CONTAINERS}/{MISSING_ID}/payload", json={}, headers=user.headers)
    ).status_code == 400
    assert_error(
        await client.post(f"{CONTAINERS}/{MISSING_ID}/payload", json=good, headers=user.headers),
        404,
        f"ID ERROR - Spatial data container with id {MISSING_ID} is null or deleted",
    )


@pytest.mark.parametrize(
    ("geometry", "reason"),
    [
        ('{"type":"AXIS_ALIGNED_BOUNDING_BOX","minX":5,"maxX":1}', "must not exceed"),
        ('{"type":"BOUNDING_SPHERE","radius":-1}', "radius must not be negative"),
        ('{"type":"K_NEAREST_NEIGHBOR","k":-3}', "k must not be negative"),
        ('{"type":"K_NEAREST_NEIGHBOR","k":2.5}', "k"),
        ('{"type":"ORIENTED_BOUNDING_BOX","width":-1}', "must not be negative"),
        ('{"type":"BOUNDING_SPHERE","radius":"Infinity"}', "finite"),
        ('{"type":"BOUNDING_SPHERE","radius":1,"centerX":1e39}', "must lie within ±1e+38"),
        ('{"type":"K_NEAREST_NEIGHBOR","k":3,"x":1e155}', "x, y, z must lie within"),
        ('{"type":"ORIENTED_BOUNDING_BOX","centerY":-2e38}', "must lie within"),
        ('{"type":"CYLINDER"}', None),
        ('{"radius":1}', None),
        ('{"type":"BOUNDING_SPHERE","radius":"big"}', "radius"),
        ("[1,2]", None),
        ("{nope", None),
    ],
)
async def test_invalid_geometry_filters(
    client: httpx.AsyncClient, user: ApiUser, geometry: str, reason: str | None
) -> None:
    container = (await create_container(client, user))["id"]
    for target in (container, MISSING_ID):  # parsed before the container is looked up
        response = await client.get(
            f"{CONTAINERS}/{target}/payload",
            params={"geometryFilter": geometry},
            headers=user.headers,
        )
        assert response.status_code == 400, response.text
        body = response.json()
        assert body["exception"] == "BadRequestException"
        assert body["message"].startswith("Invalid geometryFilter param")
        if reason:
            assert reason in body["message"]


async def test_extreme_coordinates_and_radii_are_answered_exactly(
    client: httpx.AsyncClient, user: ApiUser
) -> None:
    """Points at the edge of the coordinate range are found by every geometry (SQLite's R*Tree
    holds float32 bounds; PostgreSQL raises on float8 overflow), a radius far beyond them
    reaches them all, and points closer together than any float32 step stay distinct."""
    container = (await create_container(client, user))["id"]
    edge = [
        {"x": x, "y": y, "z": 0.0, "timestamp": i, "measurements": {"i": i}}
        for i, (x, y) in enumerate([(1e38, 0.0), (-1e38, -1e38), (0.0, 1e-150), (0.0, 0.0)])
    ]
    await upload(client, user, container, edge)
    everything = [point["measurements"]["i"] for point in edge]

    def indices(points: list[dict[str, Any]]) -> list[int]:
        return [point["measurements"]["i"] for point in points]

    huge_box = {"type": "AXIS_ALIGNED_BOUNDING_BOX", "minX": -1e300, "minY": -1e300}
    huge_box |= {"minZ": -1e300, "maxX": 1e300, "maxY": 1e300, "maxZ": 1e300}
    assert indices(await points_of(client, user, container, geometryFilter=huge_box)) == everything
    near_edge = {"type": "AXIS_ALIGNED_BOUNDING_BOX", "minX": 9e37, "maxX": 1e38}
    near_edge |= {"minY": -1, "maxY": 1, "minZ": -1, "maxZ": 1}
    assert indices(await points_of(client, user, container, geometryFilter=near_edge)) == [0]
    for radius in (1e300, 1.5e38):
        sphere = {"type": "BOUNDING_SPHERE", "radius": radius, "centerX": 0, "centerY": 0}
        sphere |= {"centerZ": 0}
        found = await points_of(client, user, container, geometryFilter=sphere)
        assert indices(found) == everything
    huge_oriented = {"type": "ORIENTED_BOUNDING_BOX", "centerX": 0, "centerY": 0, "centerZ": 0}
    huge_oriented |= {"roll": 10, "pitch": 20, "yaw": 30}
    huge_oriented |= {"width": 1.7e308, "height": 1.7e308, "depth": 1.7e308}
    found = await points_of(client, user, container, geometryFilter=huge_oriented)
    assert indices(found) == everything
    tiny = {"type": "AXIS_ALIGNED_BOUNDING_BOX", "minX": 0, "maxX": 0, "minY": 5e-151}
    tiny |= {"maxY": 1, "minZ": 0, "maxZ": 0}
    assert indices(await points_of(client, user, container, geometryFilter=tiny)) == [2]
    for origin, expected in (((0.0, 0.0), [3, 2, 0, 1]), ((-1e38, -1e38), [1, 2, 3, 0])):
        knn = {"type": "K_NEAREST_NEIGHBOR", "k": 10, "x": origin[0], "y": origin[1], "z": 0}
        assert indices(await points_of(client, user, container, geometryFilter=knn)) == expected


async def test_integers_beyond_64_bits_are_kept_exactly(
    client: httpx.AsyncClient, user: ApiUser
) -> None:
    """As upstream's Jackson BigInteger; orjson alone would turn them into floats."""
    container = (await create_container(client, user))["id"]
    measurements = {"wide": 2**70, "negative": -(2**80), "u64": 2**64 - 1, "real": 1.5}
    metadata = {"serial": 12345678901234567890123, "low": -(2**63) - 1, "note": "0.1234567890123"}
    point = {"x": 1.0, "y": 2.0, "z": 3.0, "timestamp": 5}
    await upload(
        client, user, container, [{**point, "measurements": measurements, "metadata": metadata}]
    )
    [stored] = await points_of(client, user, container)
    assert stored["measurements"] == measurements
    assert stored["metadata"] == metadata
    assert isinstance(stored["measurements"]["wide"], int)


async def test_nearest_neighbours_in_a_container_of_tiny_extent(
    client: httpx.AsyncClient, user: ApiUser
) -> None:
    """The density estimate of a container whose box has a volume below the smallest float."""
    container = (await create_container(client, user))["id"]
    points = [
        {
            "x": i * 1e-120,
            "y": i * 1e-120,
            "z": i * 1e-120,
            "timestamp": i,
            "measurements": {"i": i},
        }
        for i in range(5)
    ]
    await upload(client, user, container, points)
    knn = {"type": "K_NEAREST_NEIGHBOR", "k": 2, "x": 4e-120, "y": 4e-120, "z": 4e-120}
    found = await points_of(client, user, container, geometryFilter=knn)
    assert [point["measurements"]["i"] for point in found] == [4, 3]


async def test_a_query_failing_at_once_is_an_error_response_not_a_broken_200(
    client: httpx.AsyncClient, user: ApiUser, monkeypatch: pytest.MonkeyPatch
) -> None:
    container = (await create_container(client, user))["id"]
    await upload(client, user, container, diagonal(3))

    async def refused(*_: Any) -> AsyncIterator[bytes]:
        raise BadRequest("Invalid geometryFilter param: refused")
        yield b""  # an async generator, as the store's

    monkeypatch.setattr(SpatialStore, "stream_json", refused)
    assert_error(await query(client, user, container), 400, "Invalid geometryFilter param: refused")


async def test_invalid_attribute_filters(client: httpx.AsyncClient, user: ApiUser) -> None:
    container = (await create_container(client, user))["id"]
    cases = {
        "metadataFilter": ("[1]", "Invalid metadata filter param"),
        "measurementsFilter": (
            '[{"key":"a","operator":"ABOUT","value":1}]',
            "Invalid measurements filter param",
        ),
    }
    for name, (value, message) in cases.items():
        response = await client.get(
            f"{CONTAINERS}/{container}/payload", params={name: value}, headers=user.headers
        )
        assert response.status_code == 400
        assert response.json()["message"].startswith(message)
    for name in ("metadataFilter", "measurementsFilter"):
        response = await client.get(
            f"{CONTAINERS}/{container}/payload", params={name: "{oops"}, headers=user.headers
        )
        assert response.status_code == 400
    for params in ({"startTime": -1}, {"limit": -1}, {"skip": -2}, {"endTime": "x"}):
        response = await client.get(
            f"{CONTAINERS}/{container}/payload", params=params, headers=user.headers
        )
        assert response.status_code == 400
        assert response.json()["title"] == "Constraint Violation"


async def test_query_rules_are_checked_after_the_container(
    client: httpx.AsyncClient, user: ApiUser, other_user: ApiUser
) -> None:
    container = (await create_container(client, user))["id"]
    knn = {"type": "K_NEAREST_NEIGHBOR", "k": 3, "x": 0, "y": 0, "z": 0}
    checks = [
        (
            {"geometryFilter": knn, "limit": 1, "skip": 2},
            "Skip parameter is not accepted with KNN, Limit parameter is not accepted with KNN",
        ),
        ({"skip": 0}, "Skip parameter must be greater than 0"),
        ({"startTime": 5, "endTime": 4}, "startTime should be less than or equals endTime"),
    ]
    for params, message in checks:
        response = await query(client, user, container, **params)
        assert_error(response, 400, f"The following errors occurred: {message}")
        assert response.json()["exception"] == "InvalidRequestException"
        assert (await query(client, user, MISSING_ID, **params)).status_code == 404
        assert (await query(client, other_user, container, **params)).status_code == 403


# --- feature toggle ---------------------------------------------------------------------------


async def test_spatial_endpoints_are_absent_when_disabled(
    settings: Settings, user: ApiUser, tmp_path: Any
) -> None:
    disabled = Settings(
        data_dir=tmp_path, database_url=settings.database_url, spatial_enabled=False
    )
    app = create_app(disabled)
    try:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            for method, path in (
                ("GET", CONTAINERS),
                ("POST", CONTAINERS),
                ("GET", f"{CONTAINERS}/1"),
                ("DELETE", f"{CONTAINERS}/1"),
                ("GET", f"{CONTAINERS}/1/payload"),
                ("POST", f"{CONTAINERS}/1/payload"),
                ("GET", f"{CONTAINERS}/1/permissions"),
                ("GET", f"{CONTAINERS}/1/roles"),
            ):
                response = await http.request(
                    method, path, headers=user.headers, json={"name": "x"}
                )
                assert_error(response, 404, "HTTP 404 Not Found")
                assert response.json()["exception"] == "NotFoundException"
            still = await http.get("/shepard/api/collections", headers=user.headers)
            assert still.status_code == 200
    finally:
        await app.state.db.dispose()
        await app.state.http.aclose()
