"""Structured-data references (port of upstream's StructuredDataReferenceIT, plus wrong
container kinds, dropped oids, payload lists after deletions and the generic endpoints)."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

import httpx

from pyshepard.core.db import Database
from pyshepard.core.identity import Principal
from pyshepard.data.containers import service as containers
from pyshepard.data.containers.schemas import ContainerType
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
from tests.api.test_structured_data import (
    CONTAINERS,
    READ_DENIED,
    create_container,
    share_container,
    upload,
)
from tests.conftest import ApiUser

MakeUser = Callable[..., Awaitable[ApiUser]]
DOCUMENT = {"Hallo": "Welt", "number": 123, "list": ["a", "b"], "object": {"a": "b"}}


async def _world(client: httpx.AsyncClient, user: ApiUser) -> dict[str, Any]:
    collection = await create_collection(client, user)
    data_object = await create_data_object(client, user, collection["id"])
    container = await create_container(client, user)
    info = await upload(client, user, container["id"], DOCUMENT, name="My Structured Data")
    url = data_object_url(collection["id"], data_object["id"]) + "/structuredDataReferences"
    return {
        "collection": collection,
        "data_object": data_object,
        "container": container,
        "info": info,
        "url": url,
    }


async def _create(
    client: httpx.AsyncClient, user: ApiUser, url: str, container_id: int, oids: list[str]
) -> httpx.Response:
    return await client.post(
        url,
        json={
            "name": "StructuredDataReferenceDummy",
            "structuredDataOids": oids,
            "structuredDataContainerId": container_id,
        },
        headers=user.headers,
    )


async def test_reference_lifecycle(client: httpx.AsyncClient, user: ApiUser) -> None:
    world = await _world(client, user)
    url, info = world["url"], world["info"]
    response = await _create(client, user, url, world["container"]["id"], [info["oid"]])
    assert response.status_code == 201, response.text
    reference = response.json()
    assert isinstance(reference["id"], int)
    assert TIMESTAMP.match(reference["createdAt"])
    assert reference["createdBy"] == user.username
    assert reference["dataObjectId"] == world["data_object"]["id"]
    assert reference["name"] == "StructuredDataReferenceDummy"
    assert reference["structuredDataContainerId"] == world["container"]["id"]
    assert reference["structuredDataOids"] == [info["oid"]]
    assert reference["type"] == "StructuredDataReference"
    assert reference["updatedAt"] is None
    assert reference["updatedBy"] is None

    listed = await client.get(url, headers=user.headers)
    assert listed.json() == [reference]
    fetched = await client.get(f"{url}/{reference['id']}", headers=user.headers)
    assert fetched.json() == reference

    payload = await client.get(
        f"{url}/{reference['id']}/payload/{info['oid']}", headers=user.headers
    )
    assert payload.status_code == 200
    assert payload.json()["structuredData"] == info
    stored = json.loads(payload.json()["payload"])
    assert {key: stored[key] for key in DOCUMENT} == DOCUMENT

    payloads = await client.get(f"{url}/{reference['id']}/payload", headers=user.headers)
    assert payloads.status_code == 200
    assert [item["structuredData"] for item in payloads.json()] == [info]
    assert json.loads(payloads.json()[0]["payload"])["Hallo"] == "Welt"

    assert (
        await client.delete(f"{url}/{reference['id']}", headers=user.headers)
    ).status_code == 204
    assert (
        await client.delete(f"{url}/{reference['id']}", headers=user.headers)
    ).status_code == 404
    assert (await client.get(f"{url}/{reference['id']}", headers=user.headers)).status_code == 404


async def test_unknown_reference_ids(client: httpx.AsyncClient, user: ApiUser) -> None:
    world = await _world(client, user)
    url = world["url"]
    assert_error(
        await client.get(f"{url}/99999", headers=user.headers),
        404,
        "ID ERROR - Structured Data Reference with id 99999 is null or deleted",
    )
    collection_id = world["collection"]["id"]
    assert_error(
        await client.get(f"{url}/{collection_id}", headers=user.headers),
        404,
        f"ID ERROR - Structured Data Reference with id {collection_id} is null or deleted",
    )


async def test_reference_of_another_data_object_is_not_associated(
    client: httpx.AsyncClient, user: ApiUser
) -> None:
    world = await _world(client, user)
    other = await create_data_object(client, user, world["collection"]["id"])
    other_url = (
        data_object_url(world["collection"]["id"], other["id"]) + "/structuredDataReferences"
    )
    created = await _create(
        client, user, other_url, world["container"]["id"], [world["info"]["oid"]]
    )
    assert created.status_code == 201
    response = await client.get(f"{world['url']}/{created.json()['id']}", headers=user.headers)
    assert_error(response, 404, NO_ASSOCIATION)


async def test_reference_to_private_container_of_other_user_is_forbidden(
    client: httpx.AsyncClient, user: ApiUser, other_user: ApiUser, db: Database
) -> None:
    world = await _world(client, user)
    collection = await create_collection(client, other_user)
    data_object = await create_data_object(client, other_user, collection["id"])
    url = data_object_url(collection["id"], data_object["id"]) + "/structuredDataReferences"
    response = await _create(
        client, other_user, url, world["container"]["id"], [world["info"]["oid"]]
    )
    assert_error(response, 403, READ_DENIED)
    assert await reference_rows(db, data_object["id"]) == []


async def test_missing_or_wrong_kind_container_is_a_bad_request(
    client: httpx.AsyncClient, user: ApiUser, db: Database
) -> None:
    world = await _world(client, user)

    async def work(uow):  # type: ignore[no-untyped-def]
        actor = Principal(username=user.username, via="test")
        return await containers.create_container(uow, actor, ContainerType.FILE, "files")

    file_container = await db.run(work)
    for container_id in (MISSING_ID, file_container.id):
        response = await _create(client, user, world["url"], container_id, ["x" * 24])
        assert_error(
            response,
            400,
            f"ID ERROR - Structured Data Container with id {container_id} is null or deleted",
        )
        assert response.json()["exception"] == "InvalidBodyException"
    deleted = await create_container(client, user)
    await client.delete(f"{CONTAINERS}/{deleted['id']}", headers=user.headers)
    response = await _create(client, user, world["url"], deleted["id"], ["x" * 24])
    assert response.status_code == 400
    assert await reference_rows(db, world["data_object"]["id"]) == []


async def test_unknown_and_duplicate_oids_are_dropped(
    client: httpx.AsyncClient, user: ApiUser
) -> None:
    world = await _world(client, user)
    second = await upload(client, user, world["container"]["id"], {"second": True})
    other_container = await create_container(client, user)
    foreign = await upload(client, user, other_container["id"], {"foreign": True})
    oids = [second["oid"], "nope", world["info"]["oid"], foreign["oid"], second["oid"]]
    response = await _create(client, user, world["url"], world["container"]["id"], oids)
    assert response.status_code == 201
    assert response.json()["structuredDataOids"] == [second["oid"], world["info"]["oid"]]


async def test_a_reference_to_unknown_oids_only_keeps_none(
    client: httpx.AsyncClient, user: ApiUser
) -> None:
    world = await _world(client, user)
    response = await _create(client, user, world["url"], world["container"]["id"], ["nope"])
    assert response.status_code == 201
    created = response.json()
    assert created["structuredDataOids"] == []
    fetched = await client.get(f"{world['url']}/{created['id']}", headers=user.headers)
    assert fetched.status_code == 200
    assert fetched.json() == created
    payload = await client.get(f"{world['url']}/{created['id']}/payload", headers=user.headers)
    assert payload.status_code == 200
    assert payload.json() == []


async def test_more_oids_than_a_statement_takes_bind_parameters(
    client: httpx.AsyncClient, user: ApiUser
) -> None:
    # asyncpg and SQLite cap a statement at ~32 767 parameters; the oid lookup must not hit it
    world = await _world(client, user)
    oids = [f"{index:024x}" for index in range(40_000)] + [world["info"]["oid"]]
    response = await _create(client, user, world["url"], world["container"]["id"], oids)
    assert response.status_code == 201
    assert response.json()["structuredDataOids"] == [world["info"]["oid"]]
    payload = await client.get(
        f"{world['url']}/{response.json()['id']}/payload", headers=user.headers
    )
    assert payload.status_code == 200
    [only] = payload.json()
    assert only["structuredData"]["oid"] == world["info"]["oid"]
    assert {
        key: value for key, value in json.loads(only["payload"]).items() if key in DOCUMENT
    } == (DOCUMENT)


async def test_reference_body_is_validated(
    client: httpx.AsyncClient, user: ApiUser, db: Database
) -> None:
    world = await _world(client, user)
    container_id = world["container"]["id"]
    for body in (
        {"name": "r", "structuredDataOids": [], "structuredDataContainerId": container_id},
        {"name": "r", "structuredDataContainerId": container_id},
        {"name": "r", "structuredDataOids": ["a"]},
        {"name": " ", "structuredDataOids": ["a"], "structuredDataContainerId": container_id},
        {"name": "r", "structuredDataOids": ["a"], "structuredDataContainerId": 2**63},
        {},
    ):
        response = await client.post(world["url"], json=body, headers=user.headers)
        assert response.status_code == 400, (body, response.text)
    assert await reference_rows(db, world["data_object"]["id"]) == []


async def test_creating_needs_write_on_the_collection(
    client: httpx.AsyncClient, user: ApiUser, make_user: MakeUser, db: Database
) -> None:
    reader = await make_user()
    world = await _world(client, user)
    await share(client, user, world["collection"]["id"], readers=(reader,))
    await share_container(client, user, world["container"]["id"], readers=(reader,))
    response = await _create(
        client, reader, world["url"], world["container"]["id"], [world["info"]["oid"]]
    )
    assert_error(response, 403, "The requested action is forbidden by the permission policies")
    assert await reference_rows(db, world["data_object"]["id"]) == []
    listed = await client.get(world["url"], headers=reader.headers)
    assert listed.status_code == 200


async def test_payload_needs_read_on_the_container(
    client: httpx.AsyncClient, user: ApiUser, make_user: MakeUser
) -> None:
    reader = await make_user()
    world = await _world(client, user)
    created = await _create(
        client, user, world["url"], world["container"]["id"], [world["info"]["oid"]]
    )
    reference_url = f"{world['url']}/{created.json()['id']}"
    await share(client, user, world["collection"]["id"], readers=(reader,))
    assert (await client.get(reference_url, headers=reader.headers)).status_code == 200
    assert_error(await client.get(f"{reference_url}/payload", headers=reader.headers), 403)
    specific = await client.get(
        f"{reference_url}/payload/{world['info']['oid']}", headers=reader.headers
    )
    assert_error(specific, 403, READ_DENIED)
    await share_container(client, user, world["container"]["id"], readers=(reader,))
    assert (await client.get(f"{reference_url}/payload", headers=reader.headers)).status_code == 200


async def test_payloads_after_deletions(client: httpx.AsyncClient, user: ApiUser) -> None:
    world = await _world(client, user)
    container_id, info = world["container"]["id"], world["info"]
    second = await upload(client, user, container_id, {"second": 2}, name="second")
    created = await _create(client, user, world["url"], container_id, [info["oid"], second["oid"]])
    reference_url = f"{world['url']}/{created.json()['id']}"

    await client.delete(f"{CONTAINERS}/{container_id}/payload/{info['oid']}", headers=user.headers)
    payloads = (await client.get(f"{reference_url}/payload", headers=user.headers)).json()
    assert payloads[0] == {"structuredData": info, "payload": None}
    assert json.loads(payloads[1]["payload"])["second"] == 2
    gone = await client.get(f"{reference_url}/payload/{info['oid']}", headers=user.headers)
    assert_error(gone, 404, f"Could not find document with oid: {info['oid']}")
    # still listed: upstream keeps the reference's link to the deleted document
    fetched = await client.get(reference_url, headers=user.headers)
    assert fetched.json()["structuredDataOids"] == [info["oid"], second["oid"]]

    await client.delete(f"{CONTAINERS}/{container_id}", headers=user.headers)
    assert_error(
        await client.get(f"{reference_url}/payload", headers=user.headers),
        404,
        "StructuredData Container referenced by StructuredData Reference with Id "
        f"{created.json()['id']} is null or deleted",
    )
    assert_error(
        await client.get(f"{reference_url}/payload/{second['oid']}", headers=user.headers),
        400,
        "Structured Data Container referenced by StructuredDataReference with id "
        f"{created.json()['id']} is deleted",
    )
    assert (await client.get(reference_url, headers=user.headers)).status_code == 200


async def test_generic_reference_endpoints_see_structured_references(
    client: httpx.AsyncClient, user: ApiUser, db: Database
) -> None:
    world = await _world(client, user)
    created = await _create(
        client, user, world["url"], world["container"]["id"], [world["info"]["oid"]]
    )
    reference_id = created.json()["id"]
    base = data_object_url(world["collection"]["id"], world["data_object"]["id"])
    listed = await client.get(f"{base}/references", headers=user.headers)
    assert [(item["id"], item["type"]) for item in listed.json()] == [
        (reference_id, "StructuredDataReference")
    ]
    basic = await client.get(f"{base}/references/{reference_id}", headers=user.headers)
    assert basic.json()["type"] == "StructuredDataReference"
    assert (
        await client.delete(f"{base}/references/{reference_id}", headers=user.headers)
    ).status_code == 204
    assert (
        await client.get(f"{world['url']}/{reference_id}", headers=user.headers)
    ).status_code == 404
    rows = await reference_rows(db, world["data_object"]["id"])
    assert [row.deleted for row in rows] == [True]


async def test_other_kinds_are_not_structured_references(
    client: httpx.AsyncClient, user: ApiUser
) -> None:
    world = await _world(client, user)
    base = data_object_url(world["collection"]["id"], world["data_object"]["id"])
    uri = await client.post(
        f"{base}/uriReferences", json={"name": "u", "uri": "https://e.org"}, headers=user.headers
    )
    uri_id = uri.json()["id"]
    assert_error(
        await client.get(f"{world['url']}/{uri_id}", headers=user.headers),
        404,
        f"ID ERROR - Structured Data Reference with id {uri_id} is null or deleted",
    )
    assert (await client.get(world["url"], headers=user.headers)).json() == []
    assert (
        await client.delete(f"{world['url']}/{uri_id}", headers=user.headers)
    ).status_code == 404
