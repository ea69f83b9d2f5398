"""Spatial queries against a brute-force evaluation in Python, on whichever database the suite
runs on: random boxes, spheres, oriented boxes and kNN searches with metadata, measurement,
time, limit and skip filters must return exactly the points (and order) the definitions give.
This pins PostgreSQL's `@>` / `#>` rebuilt in SQLite JSON1, the index prefilters (R*Tree,
SP-GiST) never dropping a boundary point, and the kNN radius search being exact."""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from pyshepard.core.db import Database
from pyshepard.data.spatial.query import OrientedBox, to_geometry
from pyshepard.data.spatial.schemas import AbstractGeometryFilter
from pyshepard.data.spatial.sql import PROBE_CAP
from tests.api.spatial_support import create_container, points_of, upload
from tests.conftest import ApiUser

Point = dict[str, Any]
SEED = 20261122


def _metadata(rng: random.Random) -> dict[str, Any] | None:
    if rng.random() < 0.1:
        return None
    item: dict[str, Any] = {"track": rng.randrange(4), "ok": rng.random() < 0.5}
    if rng.random() < 0.5:
        item["layer"] = rng.choice([1, 2, 2.0, "2", None])
    if rng.random() < 0.4:
        item["tags"] = rng.sample(["a", "b", "c", 1, {"k": 1}], rng.randrange(1, 4))
    if rng.random() < 0.3:
        item["base"] = {"A": rng.randrange(3), "B": {"C": rng.choice(["x", "y"])}}
    return item


def _measurements(rng: random.Random) -> dict[str, Any]:
    item: dict[str, Any] = {"temperature": {"val": round(rng.uniform(-10, 40), 2)}}
    if rng.random() < 0.5:
        item["force"] = rng.choice([rng.uniform(0, 1), "high", True, None])
    if rng.random() < 0.5:
        item["data"] = [round(rng.uniform(0, 10), 1) for _ in range(3)]
    return item


def _dataset(rng: random.Random, count: int) -> list[Point]:
    points = []
    for index in range(count):
        if index % 10 == 0:  # grid points: many exact distance ties for kNN
            x, y, z = (float(rng.randrange(0, 100, 10)) for _ in range(3))
        else:
            x, y, z = (rng.uniform(0, 100) for _ in range(3))
        points.append(
            {
                "timestamp": rng.randrange(0, 1000),
                "x": x,
                "y": y,
                "z": z,
                "measurements": _measurements(rng),
                "metadata": _metadata(rng),
            }
        )
    return points


# -- the definitions ------------------------------------------------------------------------------


def _contains(target: Any, wanted: Any) -> bool:
    """PostgreSQL's jsonb `@>` below the top level."""
    if isinstance(wanted, dict):
        return isinstance(target, dict) and all(
            key in target and _contains(target[key], value) for key, value in wanted.items()
        )
    if isinstance(wanted, list):
        return isinstance(target, list) and all(
            any(_contains(item, element) for item in target) for element in wanted
        )
    if isinstance(wanted, bool) or wanted is None or isinstance(target, bool) or target is None:
        return target is wanted
    if isinstance(wanted, str) or isinstance(target, str):
        return target == wanted
    return bool(target == wanted)


def _at(document: Any, path: list[str]) -> Any:
    """PostgreSQL's `#>`: object members by key, array elements by numeric position."""
    for key in path:
        if isinstance(document, dict):
            document = document.get(key)
        elif isinstance(document, list) and key.isdigit() and int(key) < len(document):
            document = document[int(key)]
        else:
            return None
    return document


def _measured(point: Point, condition: dict[str, Any]) -> bool:
    value = _at(point["measurements"], [part.strip() for part in condition["key"].split(",")])
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    wanted = float(condition["value"])
    return {
        "EQUALS": float(value) == wanted,
        "GREATER_THAN": float(value) > wanted,
        "LESS_THAN": float(value) < wanted,
    }[condition["operator"]]


def _distance2(point: Point, x: float, y: float, z: float) -> float:
    dx, dy, dz = point["x"] - x, point["y"] - y, point["z"] - z
    return dx * dx + dy * dy + dz * dz


def _inside(shape: dict[str, Any]) -> Callable[[Point], bool]:
    kind = shape["type"]
    if kind == "AXIS_ALIGNED_BOUNDING_BOX":
        return lambda p: all(shape[f"min{a}"] <= p[a.lower()] <= shape[f"max{a}"] for a in "XYZ")
    if kind == "BOUNDING_SPHERE":
        center = (shape["centerX"], shape["centerY"], shape["centerZ"])
        return lambda p: _distance2(p, *center) <= float(shape["radius"]) ** 2
    obb = to_geometry(AbstractGeometryFilter.model_validate(shape))
    assert isinstance(obb, OrientedBox)
    cx, cy, cz = obb.center

    def inside(p: Point) -> bool:
        return all(
            abs((p["x"] - cx) * u[0] + (p["y"] - cy) * u[1] + (p["z"] - cz) * u[2]) <= half
            for u, half in zip(obb.axes, obb.half, strict=True)
        )

    return inside


def expected(points: list[Point], ids: list[int], params: dict[str, Any]) -> list[Point]:
    rows = list(zip(ids, points, strict=True))
    if "startTime" in params:
        rows = [(i, p) for i, p in rows if p["timestamp"] >= params["startTime"]]
    if "endTime" in params:
        rows = [(i, p) for i, p in rows if p["timestamp"] <= params["endTime"]]
    if params.get("metadataFilter"):
        wanted = params["metadataFilter"]
        rows = [
            (i, p)
            for i, p in rows
            if p["metadata"] is not None and _contains(p["metadata"], wanted)
        ]
    for condition in params.get("measurementsFilter", []):
        rows = [(i, p) for i, p in rows if _measured(p, condition)]
    shape = params.get("geometryFilter")
    if shape and shape["type"] == "K_NEAREST_NEIGHBOR":
        rows.sort(key=lambda row: (_distance2(row[1], shape["x"], shape["y"], shape["z"]), row[0]))
        return [p for _, p in rows[: shape["k"]]]
    if shape:
        inside = _inside(shape)
        rows = [(i, p) for i, p in rows if inside(p)]
    if "skip" in params:
        rows = [(i, p) for i, p in rows if i % params["skip"] == 0]
    result = [p for _, p in rows]
    return result[: params["limit"]] if "limit" in params else result


# -- random queries -------------------------------------------------------------------------------


def _geometry(rng: random.Random) -> dict[str, Any] | None:
    kind = rng.choice(["box", "sphere", "obb", "knn", "knn", None])
    if kind == "box":
        low = [rng.choice([rng.uniform(-10, 90), float(rng.randrange(0, 100, 10))]) for _ in "xyz"]
        high = [lo + rng.choice([rng.uniform(0, 50), 10.0, 0.0]) for lo in low]
        return {
            "type": "AXIS_ALIGNED_BOUNDING_BOX",
            **{f"min{a}": v for a, v in zip("XYZ", low, strict=True)},
            **{f"max{a}": v for a, v in zip("XYZ", high, strict=True)},
        }
    if kind == "sphere":
        return {
            "type": "BOUNDING_SPHERE",
            "radius": rng.choice([rng.uniform(0, 40), 10.0, 0.0]),
            **{f"center{a}": rng.choice([rng.uniform(-20, 120), 50.0]) for a in "XYZ"},
        }
    if kind == "obb":
        return {
            "type": "ORIENTED_BOUNDING_BOX",
            **{f"center{a}": rng.uniform(0, 100) for a in "XYZ"},
            **{angle: rng.uniform(-180, 180) for angle in ("roll", "pitch", "yaw")},
            **{size: rng.uniform(0, 60) for size in ("width", "height", "depth")},
        }
    if kind == "knn":
        return {
            "type": "K_NEAREST_NEIGHBOR",
            "k": rng.choice([1, 3, 10, 57, 400, 5000]),
            **{a: rng.choice([rng.uniform(-50, 150), 50.0, 0.0]) for a in "xyz"},
        }
    return None


def _query(rng: random.Random) -> dict[str, Any]:
    params: dict[str, Any] = {}
    shape = _geometry(rng)
    if shape:
        params["geometryFilter"] = shape
    if rng.random() < 0.35:
        params["metadataFilter"] = rng.choice(
            [
                {"ok": True},
                {"track": 1},
                {"layer": 2},
                {"layer": "2"},
                {"layer": None},
                {"tags": ["a"]},
                {"tags": [{"k": 1}, "b"]},
                {"base": {"B": {"C": "x"}}},
                {"base": {}, "ok": False},
                {},
            ]
        )
    if rng.random() < 0.35:
        params["measurementsFilter"] = rng.sample(
            [
                {"key": "temperature,val", "operator": "GREATER_THAN", "value": 15},
                {"key": "temperature, val", "operator": "LESS_THAN", "value": 30.5},
                {"key": "force", "operator": "LESS_THAN", "value": 0.5},
                {"key": "data,1", "operator": "GREATER_THAN", "value": 4},
                {"key": "temperature", "operator": "EQUALS", "value": 1},
            ],
            rng.randrange(1, 3),
        )
    if rng.random() < 0.3:
        params["startTime"] = rng.randrange(0, 500)
    if rng.random() < 0.3:
        params["endTime"] = rng.randrange(500, 1000)
    nearest = shape is not None and shape["type"] == "K_NEAREST_NEIGHBOR"
    if not nearest and rng.random() < 0.3:
        params["limit"] = rng.choice([0, 1, 5, 50])
    if not nearest and rng.random() < 0.2:
        params["skip"] = rng.choice([1, 2, 7])
    return params


async def _ids(db: Database, container_id: int) -> list[int]:
    async with db.sessions() as session:
        rows = await session.execute(
            text("SELECT id FROM spatial_points WHERE container_id = :c ORDER BY id"),
            {"c": container_id},
        )
        return [row[0] for row in rows]


@pytest.mark.slow
async def test_random_queries_match_the_definitions(
    client: httpx.AsyncClient, user: ApiUser, db: Database
) -> None:
    rng = random.Random(SEED)  # noqa: S311 - reproducible test data
    points = _dataset(rng, 1200)
    container = (await create_container(client, user))["id"]
    # a neighbour container with points at the same places must never leak in
    neighbour = (await create_container(client, user))["id"]
    for start in range(0, len(points), 500):
        await upload(client, user, container, points[start : start + 500])
        await upload(client, user, neighbour, points[start : start + 100])
    ids = await _ids(db, container)
    assert len(ids) == len(points)
    answered = 0
    for _ in range(160):
        params = _query(rng)
        found = await points_of(client, user, container, **params)
        assert found == expected(points, ids, params), json.dumps(params)
        answered += bool(found)
    assert answered > 80, "the random queries should mostly find something"


async def test_nearest_neighbours_far_away_and_in_sparse_matches(
    client: httpx.AsyncClient, user: ApiUser, db: Database
) -> None:
    rng = random.Random(SEED + 1)  # noqa: S311
    points = _dataset(rng, 600)
    # a dense cluster far from the rest: density estimates from the extent are way off
    points += [
        {**point, "x": 1e6 + point["x"] / 1e3, "y": 1e6, "z": -1e6, "metadata": {"rare": True}}
        for point in points[:5]
    ]
    container = (await create_container(client, user))["id"]
    await upload(client, user, container, points)
    ids = await _ids(db, container)
    cases = [
        {"type": "K_NEAREST_NEIGHBOR", "k": 3, "x": 50, "y": 50, "z": 50},
        {"type": "K_NEAREST_NEIGHBOR", "k": 7, "x": 1e6, "y": 1e6, "z": -1e6},
        {"type": "K_NEAREST_NEIGHBOR", "k": 2, "x": -5e6, "y": 0, "z": 0},
        {"type": "K_NEAREST_NEIGHBOR", "k": 10_000, "x": 0, "y": 0, "z": 0},
    ]
    for shape in cases:
        for extra in ({}, {"metadataFilter": {"rare": True}}, {"metadataFilter": {"none": 1}}):
            params = {"geometryFilter": shape, **extra}
            found = await points_of(client, user, container, **params)
            assert found == expected(points, ids, params), json.dumps(params)


async def test_nearest_neighbours_in_a_cluster_denser_than_the_probe_cap(
    client: httpx.AsyncClient, user: ApiUser, db: Database
) -> None:
    rng = random.Random(SEED + 2)  # noqa: S311
    # the extent says "sparse", the cluster holds more points than one probe reads
    points = [
        {
            "timestamp": i,
            "x": rng.uniform(0, 1),
            "y": rng.uniform(0, 1),
            "z": rng.uniform(0, 1),
            "measurements": {"i": i},
            "metadata": {"even": i % 2 == 0},
        }
        for i in range(PROBE_CAP + 500)
    ]
    points += [
        {**points[0], "x": 1000.0 * i, "y": 1000.0, "z": 1000.0, "timestamp": -i}
        for i in range(1, 4)
    ]
    container = (await create_container(client, user))["id"]
    await upload(client, user, container, points)
    ids = await _ids(db, container)
    for params in (
        {"geometryFilter": {"type": "K_NEAREST_NEIGHBOR", "k": 5, "x": 0.5, "y": 0.5, "z": 0.5}},
        {
            "geometryFilter": {"type": "K_NEAREST_NEIGHBOR", "k": 3, "x": 0.2, "y": 0.9, "z": 0},
            "metadataFilter": {"even": False},
        },
    ):
        found = await points_of(client, user, container, **params)
        assert found == expected(points, ids, params), json.dumps(params)
