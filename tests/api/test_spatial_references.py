"""Spatial-data references: saved queries on a spatial container (port of upstream's
SpatialDataReferenceIT, plus the container, permission and bad-query cases around it)."""

from __future__ import annotations

from typing import Any

import httpx

from tests.api.references_support import (
    BASIC_FIELDS,
    FORBIDDEN,
    MISSING_ID,
    NO_ASSOCIATION,
    TIMESTAMP,
    assert_error,
    create_collection,
    create_data_object,
    share,
)
from tests.api.spatial_support import CONTAINERS, create_container, diagonal, points_of, upload
from tests.conftest import API, ApiUser

READ_DENIED = (
    "The requested action is forbidden by the permission policies. User has no READ permissions."
)
KNN = {"type": "K_NEAREST_NEIGHBOR", "k": 3, "x": 1.0, "y": 1.0, "z": 1.0}


async def _data_object_url(client: httpx.AsyncClient, user: ApiUser) -> tuple[int, str]:
    collection = await create_collection(client, user)
    data_object = await create_data_object(client, user, collection["id"])
    return (
        collection["id"],
        f"{API}/collections/{collection['id']}/dataObjects/{data_object['id']}",
    )


async def _create(
    client: httpx.AsyncClient, user: ApiUser, base: str, body: dict[str, Any]
) -> httpx.Response:
    return await client.post(f"{base}/spatialDataReferences", json=body, headers=user.headers)


async def test_reference_lifecycle(client: httpx.AsyncClient, user: ApiUser) -> None:
    _, base = await _data_object_url(client, user)
    container = await create_container(client, user, "SpatialDataContainer")
    points = [
        {
            "timestamp": i,
            "x": float(i),
            "y": float(i),
            "z": float(i),
            "measurements": {"temperature": 20},
            "metadata": {},
        }
        for i in range(10)
    ]
    await upload(client, user, container["id"], points)
    created = await _create(
        client,
        user,
        base,
        {"name": "SpatialDataReferenceDummy", "spatialDataContainerId": container["id"]},
    )
    assert created.status_code == 201, created.text
    reference = created.json()
    assert set(reference) == BASIC_FIELDS | {
        "spatialDataContainerId",
        "geometryFilter",
        "measurementsFilter",
        "startTime",
        "endTime",
        "metadataFilter",
        "limit",
        "skip",
    }
    assert isinstance(reference["id"], int)
    assert TIMESTAMP.match(reference["createdAt"])
    assert reference["createdBy"] == user.username
    assert reference["dataObjectId"] == int(base.rsplit("/", 1)[1])
    assert reference["name"] == "SpatialDataReferenceDummy"
    assert reference["spatialDataContainerId"] == container["id"]
    assert reference["type"] == "SpatialDataReference"
    assert reference["updatedAt"] is None
    assert reference["updatedBy"] is None
    assert reference["geometryFilter"] is None
    assert reference["measurementsFilter"] == []
    assert reference["metadataFilter"] == {}
    for name in ("startTime", "endTime", "limit", "skip"):
        assert reference[name] is None

    url = f"{base}/spatialDataReferences/{reference['id']}"
    listed = await client.get(f"{base}/spatialDataReferences", headers=user.headers)
    assert listed.json() == [reference]
    fetched = await client.get(url, headers=user.headers)
    assert fetched.json() == reference
    payload = await client.get(f"{url}/payload", headers=user.headers)
    assert payload.status_code == 200
    assert payload.json() == points

    missing = await client.get(f"{base}/spatialDataReferences/99999", headers=user.headers)
    assert_error(missing, 404, "ID ERROR - SpatialData Reference with id 99999 is null or deleted")

    generic = await client.get(f"{base}/references", headers=user.headers)
    assert [item["type"] for item in generic.json()] == ["SpatialDataReference"]

    assert (await client.delete(url, headers=user.headers)).status_code == 204
    assert (await client.delete(url, headers=user.headers)).status_code == 404
    assert (await client.get(url, headers=user.headers)).status_code == 404
    assert (await client.get(f"{base}/spatialDataReferences", headers=user.headers)).json() == []


async def test_reference_of_another_data_object_is_not_associated(
    client: httpx.AsyncClient, user: ApiUser
) -> None:
    _, base = await _data_object_url(client, user)
    _, other_base = await _data_object_url(client, user)
    container = await create_container(client, user)
    other = await _create(
        client, user, other_base, {"name": "r", "spatialDataContainerId": container["id"]}
    )
    response = await client.get(
        f"{base}/spatialDataReferences/{other.json()['id']}", headers=user.headers
    )
    assert_error(response, 404, NO_ASSOCIATION)


async def test_saved_query_runs_like_the_container_query(
    client: httpx.AsyncClient, user: ApiUser
) -> None:
    _, base = await _data_object_url(client, user)
    container = (await create_container(client, user))["id"]
    await upload(client, user, container, diagonal())
    saved = {
        "name": "nearest",
        "spatialDataContainerId": container,
        "geometryFilter": KNN,
        "measurementsFilter": [{"key": "a_measurement", "operator": "LESS_THAN", "value": 2}],
        "metadataFilter": {"a_meta_data": "metadata_1"},
        "startTime": 0,
        "endTime": 100,
        "unknownProperty": "ignored",
    }
    created = await _create(client, user, base, saved)
    assert created.status_code == 201, created.text
    reference = created.json()
    assert reference["geometryFilter"] == {
        "type": "K_NEAREST_NEIGHBOR",
        "k": 3,
        "x": 1.0,
        "y": 1.0,
        "z": 1.0,
    }
    assert reference["measurementsFilter"] == [
        {"key": "a_measurement", "operator": "LESS_THAN", "value": 2.0}
    ]
    assert reference["metadataFilter"] == {"a_meta_data": "metadata_1"}
    assert (reference["startTime"], reference["endTime"]) == (0, 100)
    url = f"{base}/spatialDataReferences/{reference['id']}/payload"
    payload = (await client.get(url, headers=user.headers)).json()
    assert payload == [diagonal()[1]]
    assert payload == await points_of(
        client,
        user,
        container,
        geometryFilter=KNN,
        measurementsFilter=saved["measurementsFilter"],
        metadataFilter=saved["metadataFilter"],
        startTime=0,
        endTime=100,
    )

    box = {
        "type": "AXIS_ALIGNED_BOUNDING_BOX",
        "minX": 0,
        "minY": 0,
        "minZ": 0,
        "maxX": 100,
        "maxY": 100,
        "maxZ": 100,
    }
    limited = await _create(
        client,
        user,
        base,
        {"name": "box", "spatialDataContainerId": container, "geometryFilter": box, "limit": 4},
    )
    limited_url = f"{base}/spatialDataReferences/{limited.json()['id']}/payload"
    assert (await client.get(limited_url, headers=user.headers)).json() == diagonal()[:4]


async def test_invalid_saved_queries_are_refused(client: httpx.AsyncClient, user: ApiUser) -> None:
    _, base = await _data_object_url(client, user)
    container = (await create_container(client, user))["id"]
    prefix = "The specified parameters contain the following errors: "
    cases = [
        ({"geometryFilter": KNN, "limit": 3}, prefix + "Limit parameter is not accepted with KNN"),
        ({"skip": 0}, prefix + "Skip parameter must be greater than 0"),
        (
            {"startTime": 9, "endTime": 1},
            prefix + "startTime should be less than or equals endTime",
        ),
        (
            {"geometryFilter": {"type": "BOUNDING_SPHERE", "radius": -1}},
            prefix + "Invalid geometryFilter param",
        ),
    ]
    for extra, message in cases:
        response = await _create(
            client, user, base, {"name": "bad", "spatialDataContainerId": container, **extra}
        )
        assert_error(response, 400, message)
    for extra in (
        {"geometryFilter": {"type": "CYLINDER"}},
        {"measurementsFilter": [{"key": "a", "operator": "ABOUT", "value": 1}]},
        {"limit": -1},
        {"startTime": -5},
        {"metadataFilter": [1, 2]},
    ):
        response = await _create(
            client, user, base, {"name": "bad", "spatialDataContainerId": container, **extra}
        )
        assert response.status_code == 400, response.text
    nul = await _create(
        client,
        user,
        base,
        {"name": "bad", "spatialDataContainerId": container, "metadataFilter": {"a": "\u0000"}},
    )
    assert nul.status_code == 400
    assert (await client.get(f"{base}/spatialDataReferences", headers=user.headers)).json() == []


async def test_container_rules(
    client: httpx.AsyncClient, user: ApiUser, other_user: ApiUser
) -> None:
    _, base = await _data_object_url(client, user)
    missing = await _create(client, user, base, {"name": "r", "spatialDataContainerId": MISSING_ID})
    assert_error(
        missing, 400, f"ID ERROR - Spatial data container with id {MISSING_ID} is null or deleted"
    )
    assert missing.json()["exception"] == "InvalidBodyException"
    structured = await client.post(
        f"{API}/structuredDataContainers", json={"name": "s"}, headers=user.headers
    )
    wrong_kind = await _create(
        client, user, base, {"name": "r", "spatialDataContainerId": structured.json()["id"]}
    )
    assert wrong_kind.status_code == 400
    foreign = await create_container(client, other_user)
    refused = await _create(
        client, user, base, {"name": "r", "spatialDataContainerId": foreign["id"]}
    )
    assert_error(refused, 403, READ_DENIED)
    no_body = await _create(client, user, base, {"name": "r"})
    assert no_body.status_code == 400
    assert (await client.get(f"{base}/spatialDataReferences", headers=user.headers)).json() == []


async def test_payload_needs_the_container(
    client: httpx.AsyncClient, user: ApiUser, other_user: ApiUser
) -> None:
    collection_id, base = await _data_object_url(client, user)
    await share(client, user, collection_id, readers=(other_user,))
    container = await create_container(client, user)
    await upload(client, user, container["id"], diagonal(3))
    created = await _create(
        client, user, base, {"name": "r", "spatialDataContainerId": container["id"]}
    )
    reference_id = created.json()["id"]
    url = f"{base}/spatialDataReferences/{reference_id}"

    # the collection's reader sees the reference but not the container's points
    assert (await client.get(url, headers=other_user.headers)).status_code == 200
    assert_error(await client.get(f"{url}/payload", headers=other_user.headers), 403, READ_DENIED)
    stranger_refused = await client.delete(url, headers=other_user.headers)
    assert_error(stranger_refused, 403, FORBIDDEN)

    await client.delete(f"{CONTAINERS}/{container['id']}", headers=user.headers)
    gone = await client.get(f"{url}/payload", headers=user.headers)
    assert_error(
        gone,
        404,
        "Referenced SpatialDataContainer is not set or deleted in SpatialDataReference with id "
        f"{reference_id}",
    )
    assert gone.json()["exception"] == "NotFoundException"
    # the reference itself stays readable, as upstream
    assert (await client.get(url, headers=user.headers)).json()[
        "spatialDataContainerId"
    ] == container["id"]
