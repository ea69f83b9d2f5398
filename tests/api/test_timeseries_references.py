"""Timeseries references (port of upstream's TimeseriesReferenceIT and TimeseriesCsvIT, plus
payload filters and aggregates, metrics, wrong container kinds and deleted containers)."""

from __future__ import annotations

import math
from typing import Any

import httpx
import pytest

from pyshepard.core.db import Database
from tests.api.references_support import (
    MISSING_ID,
    NO_ASSOCIATION,
    TIMESTAMP,
    assert_error,
    create_collection,
    create_data_object,
    data_object_url,
    reference_rows,
    share,
)
from tests.api.test_structured_data import create_container as create_structured_container
from tests.api.timeseries_support import (
    CONTAINERS,
    SECOND,
    TEST_DATA,
    create_container,
    post_points,
    share_container,
)
from tests.conftest import ApiUser

NUM_POINTS = 32
SERIES = {
    "measurement": "meas",
    "device": "dev",
    "location": "loc",
    "symbolicName": "symName",
    "field": "field",
}
BASE_TIME = 1_708_067_683_056_880_000


def _sine() -> list[dict[str, Any]]:
    step = 2 * math.pi / (NUM_POINTS - 1)
    return [
        {"timestamp": BASE_TIME + i * SECOND, "value": math.sin(step * i)}
        for i in range(NUM_POINTS)
    ]


async def _world(client: httpx.AsyncClient, user: ApiUser) -> dict[str, Any]:
    collection = await create_collection(client, user)
    data_object = await create_data_object(client, user, collection["id"])
    container = await create_container(client, user)
    points = _sine()
    assert (await post_points(client, user, container["id"], points, SERIES)).status_code == 201
    url = data_object_url(collection["id"], data_object["id"]) + "/timeseriesReferences"
    return {
        "collection": collection,
        "data_object": data_object,
        "container": container,
        "points": points,
        "url": url,
    }


def _body(
    container_id: int, timeseries: list[dict[str, str]], start: int, end: int
) -> dict[str, Any]:
    return {
        "name": "TimeseriesReferenceDummy",
        "start": start,
        "end": end,
        "timeseries": timeseries,
        "timeseriesContainerId": container_id,
    }


async def _create(
    client: httpx.AsyncClient, user: ApiUser, world: dict[str, Any], **override: Any
) -> httpx.Response:
    body = _body(
        world["container"]["id"], [SERIES], BASE_TIME - SECOND, BASE_TIME + SECOND * NUM_POINTS
    )
    return await client.post(world["url"], json={**body, **override}, headers=user.headers)


async def test_reference_lifecycle(client: httpx.AsyncClient, user: ApiUser, db: Database) -> None:
    world = await _world(client, user)
    created = await _create(client, user, world)
    assert created.status_code == 201, created.text
    reference = created.json()
    assert TIMESTAMP.match(reference["createdAt"])
    assert reference["createdBy"] == user.username
    assert reference["dataObjectId"] == world["data_object"]["id"]
    assert (reference["start"], reference["end"]) == (
        BASE_TIME - SECOND,
        BASE_TIME + SECOND * NUM_POINTS,
    )
    assert reference["timeseries"] == [SERIES]
    assert reference["timeseriesContainerId"] == world["container"]["id"]
    assert reference["type"] == "TimeseriesReference"
    assert (reference["updatedAt"], reference["updatedBy"]) == (None, None)
    listed = await client.get(world["url"], headers=user.headers)
    assert listed.json() == [reference]
    fetched = await client.get(f"{world['url']}/{reference['id']}", headers=user.headers)
    assert fetched.json() == reference
    generic = await client.get(
        world["url"].replace("timeseriesReferences", "references"), headers=user.headers
    )
    assert [r["type"] for r in generic.json()] == ["TimeseriesReference"]
    payload = await client.get(f"{world['url']}/{reference['id']}/payload", headers=user.headers)
    assert payload.json() == [{"timeseries": SERIES, "points": world["points"]}]
    deleted = await client.delete(f"{world['url']}/{reference['id']}", headers=user.headers)
    assert deleted.status_code == 204
    again = await client.delete(f"{world['url']}/{reference['id']}", headers=user.headers)
    assert again.status_code == 404
    assert (
        await client.get(f"{world['url']}/{reference['id']}", headers=user.headers)
    ).status_code == 404
    rows = await reference_rows(db, world["data_object"]["id"])
    assert [row.deleted for row in rows] == [True]


async def test_unknown_reference_and_other_data_object(
    client: httpx.AsyncClient, user: ApiUser
) -> None:
    world = await _world(client, user)
    missing = await client.get(f"{world['url']}/{MISSING_ID}", headers=user.headers)
    assert_error(
        missing, 404, f"ID ERROR - Timeseries Reference with id {MISSING_ID} is null or deleted"
    )
    other = await _world(client, user)
    foreign = (await _create(client, user, other)).json()
    wrong = await client.get(f"{world['url']}/{foreign['id']}", headers=user.headers)
    assert_error(wrong, 404, NO_ASSOCIATION)


async def test_csv_reference_export_is_upstreams_file(
    client: httpx.AsyncClient, user: ApiUser
) -> None:
    """TimeseriesCsvIT: import `timeseries_export.csv`, reference both channels, export it."""
    collection = await create_collection(client, user)
    data_object = await create_data_object(client, user, collection["id"])
    container = await create_container(client, user)
    source = (TEST_DATA / "timeseries_export.csv").read_bytes()
    imported = await client.post(
        f"{CONTAINERS}/{container['id']}/import",
        files={"file": ("timeseries_export.csv", source)},
        headers=user.headers,
    )
    assert imported.status_code == 200
    url = data_object_url(collection["id"], data_object["id"]) + "/timeseriesReferences"
    ts1 = {
        "measurement": "MyMeas",
        "device": "MyDev",
        "location": "MyLoc",
        "symbolicName": "MySymName",
        "field": "value",
    }
    ts2 = {
        "measurement": "Different",
        "device": "Just",
        "location": "For",
        "symbolicName": "Testing",
        "field": "Purposes",
    }
    body = _body(container["id"], [ts1, ts2], 1708067683056000000, 1708068043057000000)
    reference = (await client.post(url, json=body, headers=user.headers)).json()
    exported = await client.get(f"{url}/{reference['id']}/export", headers=user.headers)
    assert exported.status_code == 200
    assert exported.content == source
    column = await client.get(
        f"{url}/{reference['id']}/export", params={"csv_format": "COLUMN"}, headers=user.headers
    )
    lines = column.text.splitlines()
    assert (
        lines[0]
        == "timestamp,Different-Just-For-Testing-Purposes,MyMeas-MyDev-MyLoc-MySymName-value"
    )
    assert lines[1] == "1708067683056880000,,0.0"
    assert lines[-1] == "1708068043056880000,123.0,"
    filtered = await client.get(
        f"{url}/{reference['id']}/payload",
        params={"device": ["Just", "Nobody"]},
        headers=user.headers,
    )
    assert filtered.json() == [
        {"timeseries": ts2, "points": [{"timestamp": 1708068043056880000, "value": 123.0}]}
    ]


async def test_payload_aggregates_and_unknown_channels(
    client: httpx.AsyncClient, user: ApiUser
) -> None:
    world = await _world(client, user)
    absent = {**SERIES, "field": "absent"}
    body = _body(world["container"]["id"], [SERIES, absent], BASE_TIME, BASE_TIME + 9 * SECOND)
    reference = (await client.post(world["url"], json=body, headers=user.headers)).json()
    counted = await client.get(
        f"{world['url']}/{reference['id']}/payload",
        params={"function": "COUNT", "group_by": 5 * SECOND},
        headers=user.headers,
    )
    assert counted.status_code == 200
    first, second = counted.json()
    assert second == {"timeseries": absent, "points": []}
    assert sum(point["value"] for point in first["points"]) == 10
    integral = await client.get(
        f"{world['url']}/{reference['id']}/payload",
        params={"function": "INTEGRAL"},
        headers=user.headers,
    )
    assert_error(integral, 400, "Aggregation function 'integral' is currently not implemented.")


async def test_metrics(client: httpx.AsyncClient, user: ApiUser) -> None:
    world = await _world(client, user)
    reference = (await _create(client, user, world)).json()
    params = {
        "measurement": "meas",
        "device": "dev",
        "location": "loc",
        "symbolic_name": "symName",
        "field": "field",
    }
    url = f"{world['url']}/{reference['id']}"
    metrics = await client.get(f"{url}/metrics", params=params, headers=user.headers)
    assert metrics.status_code == 200
    values = {m["function"]: m["value"] for m in metrics.json()}
    assert list(values) == ["COUNT", "MAX", "MIN", "STDDEV", "MEAN", "MEDIAN", "FIRST", "LAST"]
    sines = [p["value"] for p in world["points"]]
    assert values["COUNT"] == NUM_POINTS
    assert values["MAX"] == max(sines)
    assert values["MIN"] == min(sines)
    assert values["FIRST"] == sines[0]
    assert values["LAST"] == sines[-1]
    assert values["MEAN"] == pytest.approx(sum(sines) / NUM_POINTS, abs=1e-12)
    mean = sum(sines) / NUM_POINTS
    stddev = math.sqrt(sum((s - mean) ** 2 for s in sines) / (NUM_POINTS - 1))
    assert values["STDDEV"] == pytest.approx(stddev, rel=1e-9)
    assert values["MEDIAN"] == pytest.approx(
        sorted(sines)[15] / 2 + sorted(sines)[16] / 2, abs=1e-12
    )
    single = await client.get(
        f"{url}/metric", params={**params, "function": "SPREAD"}, headers=user.headers
    )
    assert single.json() == {"function": "SPREAD", "value": max(sines) - min(sines)}
    integral = await client.get(
        f"{url}/metric", params={**params, "function": "INTEGRAL"}, headers=user.headers
    )
    assert integral.status_code == 400
    unknown = await client.get(
        f"{url}/metrics", params={**params, "field": "other"}, headers=user.headers
    )
    assert_error(
        unknown,
        404,
        "Timeseries (meas, dev, loc, symName, other) in the referenced TimeseriesContainer under "
        f"TimeseriesReference with id {reference['id']}",
    )
    assert unknown.json()["exception"] == "NotFoundException"


async def test_metrics_of_text_channels_are_not_applicable(
    client: httpx.AsyncClient, user: ApiUser
) -> None:
    world = await _world(client, user)
    text = {**SERIES, "field": "text"}
    await post_points(
        client, user, world["container"]["id"], [{"timestamp": BASE_TIME, "value": "on"}], text
    )
    reference = (await _create(client, user, world, timeseries=[text])).json()
    params = {
        "measurement": "meas",
        "device": "dev",
        "location": "loc",
        "symbolic_name": "symName",
        "field": "text",
    }
    metrics = await client.get(
        f"{world['url']}/{reference['id']}/metrics", params=params, headers=user.headers
    )
    values = {m["function"]: m["value"] for m in metrics.json()}
    assert values == {
        "COUNT": 1,
        "MAX": "N/A",
        "MIN": "N/A",
        "STDDEV": "N/A",
        "MEAN": "N/A",
        "MEDIAN": "N/A",
        "FIRST": "on",
        "LAST": "on",
    }


async def test_create_refusals_store_nothing(
    client: httpx.AsyncClient, user: ApiUser, other_user: ApiUser, db: Database
) -> None:
    world = await _world(client, user)
    structured = await create_structured_container(client, user)
    wrong_kind = await _create(client, user, world, timeseriesContainerId=structured["id"])
    assert_error(
        wrong_kind,
        400,
        f"ID ERROR - Timeseries Container with id {structured['id']} is null or deleted",
    )
    missing = await _create(client, user, world, timeseriesContainerId=MISSING_ID)
    assert missing.status_code == 400
    bad_tuple = await _create(client, user, world, timeseries=[{**SERIES, "device": "a b"}])
    assert_error(
        bad_tuple,
        400,
        "device is not allowed to be empty or contain one of those characters: "
        "'Space, Comma, Point, Slash'",
    )
    empty = await _create(client, user, world, timeseries=[])
    assert empty.status_code == 400
    # a writer of the collection who cannot read the container
    await share(client, user, world["collection"]["id"], writers=(other_user,))
    unreadable = await _create(client, other_user, world)
    assert unreadable.status_code == 403
    assert await reference_rows(db, world["data_object"]["id"]) == []
    await share_container(client, user, world["container"]["id"], readers=(other_user,))
    assert (await _create(client, other_user, world)).status_code == 201


async def test_deleted_container_behind_a_reference(
    client: httpx.AsyncClient, user: ApiUser
) -> None:
    world = await _world(client, user)
    reference = (await _create(client, user, world)).json()
    await client.delete(f"{CONTAINERS}/{world['container']['id']}", headers=user.headers)
    url = f"{world['url']}/{reference['id']}"
    kept = await client.get(url, headers=user.headers)
    assert kept.json()["timeseriesContainerId"] == world["container"]["id"]
    payload = await client.get(f"{url}/payload", headers=user.headers)
    assert_error(
        payload,
        404,
        f"Referenced Timeseries Container from reference with id {reference['id']} "
        "is null or has been deleted",
    )
    exported = await client.get(f"{url}/export", headers=user.headers)
    assert_error(
        exported,
        404,
        "The referenced TimeseriesContainer is null or deleted for Reference with id "
        f"{reference['id']}",
    )
    params = {
        "measurement": "meas",
        "device": "dev",
        "location": "loc",
        "symbolic_name": "symName",
        "field": "field",
    }
    metrics = await client.get(f"{url}/metrics", params=params, headers=user.headers)
    assert_error(
        metrics,
        404,
        "Referenced TimeseriesContainer is not set or deleted in TimeseriesReference with id "
        f"{reference['id']}",
    )


async def test_payload_needs_read_on_the_container(
    client: httpx.AsyncClient, user: ApiUser, other_user: ApiUser
) -> None:
    world = await _world(client, user)
    reference = (await _create(client, user, world)).json()
    await share(client, user, world["collection"]["id"], readers=(other_user,))
    url = f"{world['url']}/{reference['id']}"
    assert (await client.get(url, headers=other_user.headers)).status_code == 200
    assert (await client.get(f"{url}/payload", headers=other_user.headers)).status_code == 403
    assert (await client.get(f"{url}/export", headers=other_user.headers)).status_code == 403
    refused_delete = await client.delete(url, headers=other_user.headers)
    assert refused_delete.status_code == 403
