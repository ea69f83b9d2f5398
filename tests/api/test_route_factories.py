"""The routes the two factories generate: `data/containers/routes.py` for every container kind
(wire names of the path parameter in violations, the kind check, each kind's delete status) and
`context/references/routes.py` for every reference kind (wire names of the path parameter)."""

from __future__ import annotations

import uuid
from typing import NamedTuple

import httpx
import pytest

from tests.conftest import ApiUser

API = "/shepard/api"


class Kind(NamedTuple):
    path: str
    parameter: str
    get_operation: str
    delete_status: int


KINDS = [
    Kind("fileContainers", "fileContainerId", "getFileContainer", 204),
    Kind("timeseriesContainers", "timeseriesContainerId", "getTimeseriesContainer", 204),
    Kind(
        "structuredDataContainers", "structuredDataContainerId", "getStructuredDataContainer", 204
    ),
    Kind("spatialDataContainers", "spatialDataContainerId", "getSpatialDataContainer", 200),
]
KIND_IDS = [kind.path for kind in KINDS]


@pytest.mark.parametrize("kind", KINDS, ids=KIND_IDS)
async def test_a_bad_container_id_names_the_wire_parameter(
    client: httpx.AsyncClient,
    user: ApiUser,
    kind: Kind,
) -> None:
    response = await client.get(f"{API}/{kind.path}/-1", headers=user.headers)
    assert response.status_code == 400
    violations = response.json()["violations"]
    assert [violation["field"] for violation in violations] == [
        f"{kind.get_operation}.{kind.parameter}"
    ]


@pytest.mark.parametrize("kind", KINDS, ids=KIND_IDS)
async def test_container_round_trip_through_the_generated_routes(
    client: httpx.AsyncClient,
    user: ApiUser,
    other_user: ApiUser,
    kind: Kind,
) -> None:
    name = f"routes-{uuid.uuid4().hex}"
    created = await client.post(f"{API}/{kind.path}", json={"name": name}, headers=user.headers)
    assert created.status_code == 201
    container_id = created.json()["id"]
    item = f"{API}/{kind.path}/{container_id}"

    fetched = await client.get(item, headers=user.headers)
    assert fetched.status_code == 200
    assert fetched.json()["name"] == name
    listed = await client.get(f"{API}/{kind.path}", params={"name": name}, headers=user.headers)
    assert [row["id"] for row in listed.json()] == [container_id]
    assert (await client.get(item, headers=other_user.headers)).status_code == 403

    permissions = (await client.get(f"{item}/permissions", headers=user.headers)).json()
    permissions["reader"] = [other_user.username]
    edited = await client.put(f"{item}/permissions", json=permissions, headers=user.headers)
    assert edited.status_code == 200
    assert edited.json()["reader"] == [other_user.username]
    roles = await client.get(f"{item}/roles", headers=other_user.headers)
    assert roles.json() == {"owner": False, "manager": False, "writer": False, "reader": True}
    assert (await client.delete(item, headers=other_user.headers)).status_code == 403

    deleted = await client.delete(item, headers=user.headers)
    assert deleted.status_code == kind.delete_status
    assert deleted.content == b""
    assert (await client.get(item, headers=user.headers)).status_code == 404


async def test_a_container_of_another_kind_is_not_found(
    client: httpx.AsyncClient, user: ApiUser
) -> None:
    created = await client.post(
        f"{API}/fileContainers", json={"name": f"routes-{uuid.uuid4().hex}"}, headers=user.headers
    )
    container_id = created.json()["id"]
    for path in ("timeseriesContainers", "structuredDataContainers", "spatialDataContainers"):
        for suffix in ("", "/permissions", "/roles"):
            response = await client.get(
                f"{API}/{path}/{container_id}{suffix}", headers=user.headers
            )
            assert response.status_code == 404, (path, suffix)
    still_there = await client.get(f"{API}/fileContainers/{container_id}", headers=user.headers)
    assert still_there.status_code == 200


REFERENCE_KINDS = [
    "uri",
    "collection",
    "dataObject",
    "file",
    "timeseries",
    "structuredData",
    "spatialData",
]


@pytest.mark.parametrize("kind", REFERENCE_KINDS)
async def test_a_bad_reference_id_names_the_wire_parameter(
    client: httpx.AsyncClient, user: ApiUser, kind: str
) -> None:
    base = f"{API}/collections/1/dataObjects/1/{kind}References"
    operation = f"{kind[0].upper()}{kind[1:]}Reference"
    for method in ("GET", "DELETE"):
        response = await client.request(method, f"{base}/-1", headers=user.headers)
        assert response.status_code == 400
        fields = [violation["field"] for violation in response.json()["violations"]]
        assert fields == [f"{method.lower()}{operation}.{kind}ReferenceId"]
