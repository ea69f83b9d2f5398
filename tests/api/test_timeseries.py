"""Timeseries containers, channels and points (port of upstream's TimeseriesIT, plus the
same-timestamp rule, value-type locking, 5-tuple rules and bad input)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest

from pyshepard.core.db import Database
from tests.api.timeseries_support import (
    CONTAINERS,
    JAN_1_2024,
    SECOND,
    TUPLE,
    create_container,
    get_points,
    post_points,
    query_of,
    share_container,
    stored_state,
)
from tests.conftest import ApiUser

MakeUser = Callable[..., Awaitable[ApiUser]]
TUPLE_RULE = (
    "is not allowed to be empty or contain one of those characters: 'Space, Comma, Point, Slash'"
)
DUPLICATE = (
    "You provided the same timestamp value multiple times. Please make sure that there are only "
    "unique timestamps in a timeseries payload request!"
)


def _points(*values: Any, start: int = JAN_1_2024, step: int = SECOND) -> list[dict[str, Any]]:
    return [{"timestamp": start + i * step, "value": value} for i, value in enumerate(values)]


# -- TimeseriesIT ------------------------------------------------------------------------------


async def test_container_lifecycle(client: httpx.AsyncClient, user: ApiUser) -> None:
    created = await create_container(client, user)
    assert created["createdBy"] == user.username
    assert created["type"] == "TIMESERIES"
    assert created["updatedAt"] is None
    assert created["updatedBy"] is None
    listed = await client.get(CONTAINERS, headers=user.headers)
    assert created in listed.json()
    fetched = await client.get(f"{CONTAINERS}/{created['id']}", headers=user.headers)
    assert fetched.json() == created


async def test_unknown_and_negative_container(client: httpx.AsyncClient, user: ApiUser) -> None:
    missing = await client.get(f"{CONTAINERS}/99999", headers=user.headers)
    assert missing.status_code == 404
    assert missing.json()["message"] == (
        "ID ERROR - Timeseries Container with id 99999 is null or deleted"
    )
    negative = await client.get(f"{CONTAINERS}/-1", headers=user.headers)
    assert negative.status_code == 400
    assert negative.text == (
        '{"title":"Constraint Violation","status":400,"violations":[{"field":'
        '"getTimeseriesContainer.timeseriesContainerId","message":"must be greater than or '
        'equal to 0"}]}'
    )


async def test_create_and_read_timeseries(client: httpx.AsyncClient, user: ApiUser) -> None:
    container = await create_container(client, user)
    points = _points(22.1, 22.3, 22.2)
    created = await post_points(client, user, container["id"], points)
    assert created.status_code == 201, created.text
    assert created.json() == TUPLE
    available = await client.get(f"{CONTAINERS}/{container['id']}/available", headers=user.headers)
    assert available.json() == [TUPLE]
    read = await get_points(client, user, container["id"], JAN_1_2024, JAN_1_2024 + 2 * SECOND)
    assert read.status_code == 200
    assert read.json() == {"timeseries": TUPLE, "points": points}


async def test_window_is_inclusive_and_unknown_channel_is_empty(
    client: httpx.AsyncClient, user: ApiUser
) -> None:
    container = await create_container(client, user)
    await post_points(client, user, container["id"], _points(1, 2, 3, 4))
    inner = await get_points(
        client, user, container["id"], JAN_1_2024 + SECOND, JAN_1_2024 + 2 * SECOND
    )
    assert [p["value"] for p in inner.json()["points"]] == [2, 3]
    other = {**TUPLE, "field": "nothing"}
    unknown = await get_points(client, user, container["id"], 0, 2**62, timeseries=other)
    assert unknown.status_code == 200
    assert unknown.json() == {"timeseries": other, "points": []}


async def test_missing_start_and_blank_measurement(
    client: httpx.AsyncClient, user: ApiUser
) -> None:
    container = await create_container(client, user)
    params = query_of(TUPLE, 0, 10)
    del params["start"]
    no_start = await client.get(
        f"{CONTAINERS}/{container['id']}/payload", params=params, headers=user.headers
    )
    assert no_start.text == (
        '{"title":"Constraint Violation","status":400,"violations":[{"field":'
        '"getTimeseries.start","message":"must not be null"}]}'
    )
    blank = await client.get(
        f"{CONTAINERS}/{container['id']}/payload",
        params={**query_of(TUPLE, 0, 10), "measurement": "   "},
        headers=user.headers,
    )
    assert blank.text == (
        '{"title":"Constraint Violation","status":400,"violations":[{"field":'
        '"getTimeseries.measurement","message":"must not be blank"}]}'
    )


async def test_delete_container_removes_channels_and_points(
    client: httpx.AsyncClient, user: ApiUser, other_user: ApiUser, db: Database
) -> None:
    container = await create_container(client, user)
    await post_points(client, user, container["id"], _points(1.0, 2.0))
    await post_points(client, user, container["id"], _points("a"), {**TUPLE, "field": "s"})
    assert await stored_state(db, container["id"]) == (2, 3)
    await share_container(client, user, container["id"], writers=(other_user,))
    refused = await client.delete(f"{CONTAINERS}/{container['id']}", headers=other_user.headers)
    assert refused.status_code == 403
    assert await stored_state(db, container["id"]) == (2, 3)
    deleted = await client.delete(f"{CONTAINERS}/{container['id']}", headers=user.headers)
    assert deleted.status_code == 204
    assert (
        await client.get(f"{CONTAINERS}/{container['id']}", headers=user.headers)
    ).status_code == 404
    assert await stored_state(db, container["id"]) == (0, 0)


# -- channels ----------------------------------------------------------------------------------


async def test_channel_listing_and_lookup(client: httpx.AsyncClient, user: ApiUser) -> None:
    container = await create_container(client, user)
    other = await create_container(client, user)
    await post_points(client, user, container["id"], _points(1))
    await post_points(client, user, container["id"], _points(True), {**TUPLE, "device": "d2"})
    foreign = await post_points(client, user, other["id"], _points("x"))
    assert foreign.status_code == 201
    listed = await client.get(f"{CONTAINERS}/{container['id']}/timeseries", headers=user.headers)
    entities = listed.json()
    assert [(e["device"], e["valueType"], e["containerId"]) for e in entities] == [
        ("device", "Integer", container["id"]),
        ("d2", "Boolean", container["id"]),
    ]
    filtered = await client.get(
        f"{CONTAINERS}/{container['id']}/timeseries",
        params={"device": "d2", "symbolic_name": "symbolicName"},
        headers=user.headers,
    )
    assert [e["device"] for e in filtered.json()] == ["d2"]
    one = await client.get(
        f"{CONTAINERS}/{container['id']}/timeseries/{entities[1]['id']}", headers=user.headers
    )
    assert one.json() == entities[1]  # a single object, as upstream's server sends
    foreign_id = (
        await client.get(f"{CONTAINERS}/{other['id']}/timeseries", headers=user.headers)
    ).json()[0]["id"]
    elsewhere = await client.get(
        f"{CONTAINERS}/{container['id']}/timeseries/{foreign_id}", headers=user.headers
    )
    assert elsewhere.status_code == 404
    assert elsewhere.json()["message"] == (
        f"ID ERROR - Timeseries with id {foreign_id} in container {container['id']} "
        "is null or deleted"
    )


async def test_available_is_empty_for_unreadable_or_missing(
    client: httpx.AsyncClient, user: ApiUser, other_user: ApiUser
) -> None:
    container = await create_container(client, user)
    await post_points(client, user, container["id"], _points(1))
    stranger = await client.get(
        f"{CONTAINERS}/{container['id']}/available", headers=other_user.headers
    )
    assert (stranger.status_code, stranger.json()) == (200, [])
    missing = await client.get(f"{CONTAINERS}/99999999/available", headers=user.headers)
    assert (missing.status_code, missing.json()) == (200, [])


# -- writes ------------------------------------------------------------------------------------


async def test_later_request_overwrites_same_timestamp(
    client: httpx.AsyncClient, user: ApiUser, db: Database
) -> None:
    container = await create_container(client, user)
    await post_points(client, user, container["id"], _points(1.0, 2.0, 3.0))
    overwrite = await post_points(
        client, user, container["id"], _points(9.0, 8.0, start=JAN_1_2024 + 2 * SECOND)
    )
    assert overwrite.status_code == 201
    read = await get_points(client, user, container["id"], 0, 2**62)
    assert [p["value"] for p in read.json()["points"]] == [1.0, 2.0, 9.0, 8.0]
    assert await stored_state(db, container["id"]) == (1, 4)


async def test_duplicate_timestamp_in_one_request_stores_nothing(
    client: httpx.AsyncClient, user: ApiUser, db: Database
) -> None:
    container = await create_container(client, user)
    points = [
        {"timestamp": 5, "value": 1.0},
        {"timestamp": 6, "value": 1.5},
        {"timestamp": 5, "value": 2.0},
    ]
    response = await post_points(client, user, container["id"], points)
    assert response.status_code == 400
    assert response.json() == {
        "status": 400,
        "exception": "InvalidBodyException",
        "message": DUPLICATE,
    }
    assert await stored_state(db, container["id"]) == (0, 0)


async def test_value_type_is_fixed_by_the_first_write(
    client: httpx.AsyncClient, user: ApiUser, db: Database
) -> None:
    container = await create_container(client, user)
    assert (await post_points(client, user, container["id"], _points(1.5))).status_code == 201
    wrong = await post_points(client, user, container["id"], _points(2, start=1))
    assert wrong.status_code == 400
    assert wrong.json()["message"] == (
        "Timeseries already exists for data type Double but new data points are of type Integer"
    )
    assert await stored_state(db, container["id"]) == (1, 1)


async def test_mixed_types_in_one_request_store_nothing(
    client: httpx.AsyncClient, user: ApiUser, db: Database
) -> None:
    container = await create_container(client, user)
    mixed = await post_points(client, user, container["id"], _points(1.5, "two", 3.5))
    assert mixed.status_code == 400
    assert mixed.json()["message"] == (
        "Timeseries already exists for data type Double but new data points are of type String"
    )
    assert await stored_state(db, container["id"]) == (0, 0)


@pytest.mark.parametrize(
    ("wire", "name"),
    [
        ("device", "device"),
        ("field", "field"),
        ("location", "location"),
        ("measurement", "measurement"),
        ("symbolicName", "symbolicName"),
    ],
)
@pytest.mark.parametrize("bad", ["", "a b", "a,b", "a.b", "a/b"])
async def test_forbidden_characters_in_the_tuple(
    client: httpx.AsyncClient, user: ApiUser, db: Database, *, wire: str, name: str, bad: str
) -> None:
    container = await create_container(client, user)
    response = await post_points(client, user, container["id"], _points(1.0), {**TUPLE, wire: bad})
    assert response.status_code == 400
    assert response.json()["message"] == f"{name} {TUPLE_RULE}"
    assert await stored_state(db, container["id"]) == (0, 0)


@pytest.mark.parametrize(
    ("body", "status"),
    [
        (b"{not json", 400),
        (b"[]", 400),
        (b'{"timeseries": null, "points": [{"timestamp": 1, "value": 1}]}', 400),
        (b'{"timeseries": {}, "points": []}', 400),
        (b'{"timeseries": {}, "points": [1, 2]}', 400),
    ],
)
async def test_malformed_bodies(
    client: httpx.AsyncClient, user: ApiUser, db: Database, body: bytes, status: int
) -> None:
    container = await create_container(client, user)
    response = await client.post(
        f"{CONTAINERS}/{container['id']}/payload",
        content=body,
        headers={**user.headers, "Content-Type": "application/json"},
    )
    assert response.status_code == status, response.text
    assert await stored_state(db, container["id"]) == (0, 0)


async def test_empty_points_is_a_constraint_violation(
    client: httpx.AsyncClient, user: ApiUser
) -> None:
    container = await create_container(client, user)
    response = await post_points(client, user, container["id"], [])
    assert response.json() == {
        "title": "Constraint Violation",
        "status": 400,
        "violations": [
            {"field": "createTimeseries.payload.points", "message": "must not be empty"}
        ],
    }


@pytest.mark.parametrize(
    "timestamp", ["abc", 1.5, [1], {"a": 1}, True, 2**64, [-(2**63) - 1], {"a": 2**64}]
)
async def test_bad_timestamps_store_nothing(
    client: httpx.AsyncClient, user: ApiUser, db: Database, timestamp: Any
) -> None:
    container = await create_container(client, user)
    points = [{"timestamp": 1, "value": 1.0}, {"timestamp": timestamp, "value": 2.0}]
    response = await post_points(client, user, container["id"], points)
    assert response.status_code == 400, response.text
    assert await stored_state(db, container["id"]) == (0, 0)


@pytest.mark.parametrize(
    "points",
    [
        [{"timestamp": 5, "value": 1}, {"value": 2}],  # a missing timestamp is 0
        [{"timestamp": 5, "value": 1}, {"timestamp": None, "value": 2}],
        [{"timestamp": 0, "value": 1}, {"timestamp": 2**63 - 1, "value": 2}],
        # stored, though reads cannot ask for negative times (start >= 0, as upstream)
        [{"timestamp": -(2**63), "value": 1}, {"timestamp": 3, "value": 2}],
    ],
)
async def test_timestamps_of_the_usual_shape_and_their_edges(
    client: httpx.AsyncClient, user: ApiUser, points: list[dict[str, Any]]
) -> None:
    container = await create_container(client, user)
    assert (await post_points(client, user, container["id"], points)).status_code == 201
    read = await get_points(client, user, container["id"], 0, 2**63 - 1)
    stored = [{"timestamp": p.get("timestamp") or 0, "value": p["value"]} for p in points]
    expected = sorted(
        (point for point in stored if point["timestamp"] >= 0), key=lambda point: point["timestamp"]
    )
    assert read.json()["points"] == expected


async def test_numeric_string_timestamps_are_read_as_jackson_does(
    client: httpx.AsyncClient, user: ApiUser
) -> None:
    container = await create_container(client, user)
    points = [{"timestamp": "17", "value": 1}, {"timestamp": 18.0, "value": 2}, {"value": 3}]
    assert (await post_points(client, user, container["id"], points)).status_code == 201
    read = await get_points(client, user, container["id"], 0, 100)
    assert read.json()["points"] == [
        {"timestamp": 0, "value": 3},
        {"timestamp": 17, "value": 1},
        {"timestamp": 18, "value": 2},
    ]


@pytest.mark.parametrize("value", [None, {"a": 1}, [1], 2**63, "nul\x00"])
async def test_unusable_values_store_nothing(
    client: httpx.AsyncClient, user: ApiUser, db: Database, value: Any
) -> None:
    container = await create_container(client, user)
    response = await post_points(client, user, container["id"], _points(value))
    assert response.status_code == 400, response.text
    assert await stored_state(db, container["id"]) == (0, 0)


async def test_every_value_type_round_trips(client: httpx.AsyncClient, user: ApiUser) -> None:
    container = await create_container(client, user)
    samples = {
        "double": [0.0, -0.5, 1e-16, 1.2246467991473532e-16, 3.0, 1e300, -2.5e-10],
        "integer": [0, -(2**63), 2**63 - 1, 42],
        "boolean": [True, False, True],
        "string": ["running", 'quote " and \\ slash', "tab\tnew\nline", "ümlaut ✓", ""],
    }
    for field, values in samples.items():
        tuple_ = {**TUPLE, "field": field}
        assert (
            await post_points(client, user, container["id"], _points(*values), tuple_)
        ).status_code == 201
        read = await get_points(client, user, container["id"], 0, 2**63 - 1, timeseries=tuple_)
        got = [p["value"] for p in read.json()["points"]]
        assert got == values
        assert [type(v) for v in got] == [type(v) for v in values]


async def test_concurrent_writers_later_wins_consistently(
    client: httpx.AsyncClient, user: ApiUser, db: Database
) -> None:
    """Writers racing on the same timestamps: every request succeeds and the stored series is
    entirely one request's (the one that committed last), never a mix or a lost point."""
    container = await create_container(client, user)
    timestamps = list(range(0, 3000, 3))
    await post_points(
        client, user, container["id"], [{"timestamp": t, "value": -1} for t in timestamps]
    )

    async def write(writer: int) -> int:
        points = [{"timestamp": t, "value": writer} for t in timestamps]
        return (await post_points(client, user, container["id"], points)).status_code

    statuses = await asyncio.gather(*(write(writer) for writer in range(6)))
    assert statuses == [201] * 6
    read = await get_points(client, user, container["id"], 0, 10_000)
    values = {p["value"] for p in read.json()["points"]}
    assert len(read.json()["points"]) == len(timestamps)
    assert len(values) == 1
    assert values <= set(range(6))
    assert await stored_state(db, container["id"]) == (1, len(timestamps))


async def test_concurrent_first_writes_create_one_channel(
    client: httpx.AsyncClient, user: ApiUser, db: Database
) -> None:
    container = await create_container(client, user)
    statuses = await asyncio.gather(
        *(post_points(client, user, container["id"], _points(1.0, start=i * 10)) for i in range(5))
    )
    assert [r.status_code for r in statuses] == [201] * 5
    assert await stored_state(db, container["id"]) == (1, 5)


# -- permissions -------------------------------------------------------------------------------


async def test_read_and_write_need_container_permissions(
    client: httpx.AsyncClient, user: ApiUser, make_user: MakeUser, db: Database
) -> None:
    container = await create_container(client, user)
    await post_points(client, user, container["id"], _points(1.0))
    reader, stranger = await make_user(), await make_user()
    await share_container(client, user, container["id"], readers=(reader,))
    assert (await get_points(client, reader, container["id"], 0, 2**62)).status_code == 200
    refused_read = await get_points(client, stranger, container["id"], 0, 2**62)
    assert refused_read.status_code == 403
    refused_write = await post_points(client, reader, container["id"], _points(2.0, start=5))
    assert refused_write.status_code == 403
    assert await stored_state(db, container["id"]) == (1, 1)
    # validation comes before existence, existence before permission
    assert (await post_points(client, stranger, 99999999, [])).status_code == 400
    assert (await post_points(client, stranger, 99999999, _points(1.0))).status_code == 404
    anonymous = await client.get(
        f"{CONTAINERS}/{container['id']}/payload", params=query_of(TUPLE, 0, 1)
    )
    assert anonymous.status_code == 401


async def test_permissions_and_roles(
    client: httpx.AsyncClient, user: ApiUser, other_user: ApiUser
) -> None:
    container = await create_container(client, user)
    permissions = await client.get(
        f"{CONTAINERS}/{container['id']}/permissions", headers=user.headers
    )
    assert permissions.json()["owner"] == user.username
    roles = await client.get(f"{CONTAINERS}/{container['id']}/roles", headers=user.headers)
    assert roles.json() == {"owner": True, "manager": False, "writer": False, "reader": False}
    refused = await client.get(
        f"{CONTAINERS}/{container['id']}/permissions", headers=other_user.headers
    )
    assert refused.status_code == 403
