"""Structured-data containers and their documents (port of upstream's StructuredDataIT, plus
the bad-input, permission and cleanup cases around it)."""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from pyshepard.core.db import Database
from pyshepard.core.identity import Principal
from pyshepard.data.containers import service as containers
from pyshepard.data.containers.schemas import ContainerType
from pyshepard.data.structured.models import StructuredDocument
from tests.api.references_support import MISSING_ID, TIMESTAMP, assert_error, unique
from tests.conftest import API, ApiUser

CONTAINERS = f"{API}/structuredDataContainers"
OID = re.compile(r"^[0-9a-f]{24}$")
READ_DENIED = (
    "The requested action is forbidden by the permission policies. User has no READ permissions."
)
WRITE_DENIED = (
    "The requested action is forbidden by the permission policies. User has no WRITE permissions."
)
NOT_OWNER = "The requested action is forbidden by the permission policies. User is not owner."

MakeUser = Callable[..., Awaitable[ApiUser]]


async def create_container(
    client: httpx.AsyncClient, user: ApiUser, name: str | None = None
) -> dict[str, Any]:
    response = await client.post(
        CONTAINERS, json={"name": name or unique("sdc")}, headers=user.headers
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def upload(
    client: httpx.AsyncClient,
    user: ApiUser,
    container_id: int,
    document: Any,
    name: str | None = "doc",
) -> dict[str, Any]:
    response = await client.post(
        f"{CONTAINERS}/{container_id}/payload",
        json={"structuredData": {"name": name}, "payload": json.dumps(document)},
        headers=user.headers,
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def share_container(
    client: httpx.AsyncClient,
    owner: ApiUser,
    container_id: int,
    *,
    readers: tuple[ApiUser, ...] = (),
    writers: tuple[ApiUser, ...] = (),
    permission_type: str = "Private",
) -> None:
    response = await client.put(
        f"{CONTAINERS}/{container_id}/permissions",
        json={
            "owner": owner.username,
            "permissionType": permission_type,
            "reader": [user.username for user in readers],
            "writer": [user.username for user in writers],
            "readerGroupIds": [],
            "writerGroupIds": [],
            "manager": [],
        },
        headers=owner.headers,
    )
    assert response.status_code == 200, response.text


async def stored_documents(db: Database, container_id: int) -> int:
    async with db.sessions() as session:
        count = await session.scalar(
            select(func.count()).where(StructuredDocument.container_id == container_id)
        )
        return int(count or 0)


# --- StructuredDataIT ----------------------------------------------------------------------


async def test_structured_data_lifecycle(client: httpx.AsyncClient, user: ApiUser) -> None:
    created = await create_container(client, user, "StructuredDataContainer")
    assert isinstance(created["id"], int)
    assert TIMESTAMP.match(created["createdAt"])
    assert created["createdBy"] == user.username
    assert created["oid"]
    assert created["name"] == "StructuredDataContainer"
    assert created["type"] == "STRUCTUREDDATA"
    assert created["updatedAt"] is None
    assert created["updatedBy"] is None
    url = f"{CONTAINERS}/{created['id']}"

    listed = await client.get(CONTAINERS, headers=user.headers)
    assert listed.status_code == 200
    assert created in listed.json()
    fetched = await client.get(url, headers=user.headers)
    assert fetched.status_code == 200
    assert fetched.json() == created

    document = {"Hallo": "Welt", "number": 123, "object": {"a": "b"}, "list": ["a", "b"]}
    info = await upload(client, user, created["id"], document, name="My Structured Data")
    assert OID.match(info["oid"])
    assert TIMESTAMP.match(info["createdAt"])
    assert info["name"] == "My Structured Data"

    infos = await client.get(f"{url}/payload", headers=user.headers)
    assert infos.status_code == 200
    assert infos.json() == [info]

    payload = await client.get(f"{url}/payload/{info['oid']}", headers=user.headers)
    assert payload.status_code == 200
    body = payload.json()
    assert body["structuredData"] == info
    stored = json.loads(body["payload"])
    assert {key: stored[key] for key in document} == document
    # upstream's Document.toJson(): the ObjectId first, the metadata last
    assert next(iter(stored)) == "_id"
    assert stored["_id"] == {"$oid": info["oid"]}
    assert stored["_meta"]["name"] == "My Structured Data"
    assert re.match(
        r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$", stored["_meta"]["createdAt"]["$date"]
    )

    deleted = await client.delete(f"{url}/payload/{info['oid']}", headers=user.headers)
    assert deleted.status_code == 204
    gone = await client.get(f"{url}/payload/{info['oid']}", headers=user.headers)
    assert_error(gone, 404, f"Could not find document with oid: {info['oid']}")
    assert (await client.get(f"{url}/payload", headers=user.headers)).json() == []

    removed = await client.delete(url, headers=user.headers)
    assert removed.status_code == 204
    assert_error(
        await client.get(url, headers=user.headers),
        404,
        f"ID ERROR - Structured Data Container with id {created['id']} is null or deleted",
    )


async def test_documents_come_back_with_their_keys_in_the_order_sent(
    client: httpx.AsyncClient, user: ApiUser
) -> None:
    """As upstream's MongoDB; PostgreSQL's jsonb, which the filters run on, sorts keys."""
    container = (await create_container(client, user))["id"]
    document = {"status": "A", "qty": 5, "a": {"zz": 1, "b": [{"y": 1, "x": 2}]}, "b": None}
    stored = await upload(client, user, container, document)
    url = f"{CONTAINERS}/{container}/payload"

    def keys_in_order(payload: str) -> list[Any]:
        return list(json.loads(payload, object_pairs_hook=lambda pairs: pairs))

    expected = keys_in_order(json.dumps({"_id": None, **document, "_meta": None}))
    single = await client.get(f"{url}/{stored['oid']}", headers=user.headers)
    got = keys_in_order(single.json()["payload"])
    assert [key for key, _ in got] == [key for key, _ in expected]
    assert got[1:-1] == expected[1:-1]  # nested objects keep their order too


async def test_payload_of_other_users_container_is_forbidden(
    client: httpx.AsyncClient, user: ApiUser, other_user: ApiUser
) -> None:
    container = await create_container(client, user)
    info = await upload(client, user, container["id"], {"a": 1})
    url = f"{CONTAINERS}/{container['id']}/payload"
    for response in (
        await client.get(f"{url}/{info['oid']}", headers=other_user.headers),
        await client.get(url, headers=other_user.headers),
        await client.get(f"{CONTAINERS}/{container['id']}", headers=other_user.headers),
    ):
        assert_error(response, 403, READ_DENIED)


async def test_unknown_oid_is_not_found(client: httpx.AsyncClient, user: ApiUser) -> None:
    container = await create_container(client, user)
    url = f"{CONTAINERS}/{container['id']}/payload"
    missing = await client.get(f"{url}/1234321", headers=user.headers)
    assert_error(missing, 404, "Could not find document with oid: 1234321")
    assert missing.json()["exception"] == "NotFoundException"
    not_deleted = await client.delete(f"{url}/1234321", headers=user.headers)
    assert_error(not_deleted, 404, "Could not delete document with oid: 1234321")


async def test_unknown_container_is_not_found(client: httpx.AsyncClient, user: ApiUser) -> None:
    message = f"ID ERROR - Structured Data Container with id {MISSING_ID} is null or deleted"
    for method, suffix in (
        ("GET", ""),
        ("DELETE", ""),
        ("GET", "/payload"),
        ("GET", "/payload/0123456789abcdef01234567"),
        ("DELETE", "/payload/0123456789abcdef01234567"),
        ("GET", "/permissions"),
        ("GET", "/roles"),
    ):
        response = await client.request(
            method, f"{CONTAINERS}/{MISSING_ID}{suffix}", headers=user.headers
        )
        assert_error(response, 404, message)
    posted = await client.post(
        f"{CONTAINERS}/{MISSING_ID}/payload", json={"payload": "{}"}, headers=user.headers
    )
    assert_error(posted, 404, message)


async def test_other_container_kinds_are_not_structured_containers(
    client: httpx.AsyncClient, user: ApiUser, db: Database
) -> None:
    async def work(uow):  # type: ignore[no-untyped-def]
        actor = Principal(username=user.username, via="test")
        return await containers.create_container(uow, actor, ContainerType.TIMESERIES, "ts")

    other = await db.run(work)
    response = await client.get(f"{CONTAINERS}/{other.id}", headers=user.headers)
    assert_error(
        response, 404, f"ID ERROR - Structured Data Container with id {other.id} is null or deleted"
    )
    listed = await client.get(CONTAINERS, params={"name": "ts"}, headers=user.headers)
    assert all(item["id"] != other.id for item in listed.json())


# --- bad payloads -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ("not json", "The specified payload is not json parsable"),
        ('{"a": 1', "The specified payload is not json parsable"),
        ('{"a": 1} trailing', "The specified payload is not json parsable"),
        ('{"a": NaN}', "The specified payload is not json parsable"),
        ('{"a": 1e999}', "The specified payload is not json parsable"),
        ("[1, 2, 3]", "The specified payload is not a JSON object"),
        ('"text"', "The specified payload is not a JSON object"),
        ("42", "The specified payload is not a JSON object"),
        ("null", "The specified payload is not a JSON object"),
        ('{"a": "nul\\u0000"}', None),
        ('{"a\\u0000": 1}', None),
        ('{"a": "\\ud800"}', None),
        ("[" * 5000 + "]" * 5000, None),
        (None, "The specified payload is not json parsable"),
    ],
)
async def test_payload_that_is_not_a_json_object_is_refused(
    client: httpx.AsyncClient, user: ApiUser, db: Database, payload: str | None, message: str | None
) -> None:
    container = await create_container(client, user)
    response = await client.post(
        f"{CONTAINERS}/{container['id']}/payload",
        json={"structuredData": {"name": "x"}, "payload": payload},
        headers=user.headers,
    )
    assert response.status_code == 400, response.text
    assert response.json()["exception"] == "InvalidBodyException"
    assert response.json()["message"].startswith(message or "The specified payload")
    assert await stored_documents(db, container["id"]) == 0


@pytest.mark.parametrize("body", [{"payload": "x"}, {"payload": ""}, {"payload": 5}, []])
async def test_payload_body_shape_is_validated(
    client: httpx.AsyncClient, user: ApiUser, db: Database, body: Any
) -> None:
    container = await create_container(client, user)
    response = await client.post(
        f"{CONTAINERS}/{container['id']}/payload", json=body, headers=user.headers
    )
    assert response.status_code == 400, response.text
    assert await stored_documents(db, container["id"]) == 0


async def test_protected_fields_are_dropped_and_unicode_kept(
    client: httpx.AsyncClient, user: ApiUser
) -> None:
    container = await create_container(client, user)
    document = {"_id": "mine", "_meta": 1, "_x": 2, "ünïcødé": "✓ 中文", "n": {"_kept": True}}
    info = await upload(client, user, container["id"], document, name=None)
    assert info["name"] is None
    response = await client.get(
        f"{CONTAINERS}/{container['id']}/payload/{info['oid']}", headers=user.headers
    )
    stored = json.loads(response.json()["payload"])
    assert stored["_id"] == {"$oid": info["oid"]}
    assert "_x" not in stored
    assert stored["ünïcødé"] == "✓ 中文"
    assert stored["n"] == {"_kept": True}
    assert "name" not in stored["_meta"]


async def test_payload_without_metadata_and_with_extra_fields(
    client: httpx.AsyncClient, user: ApiUser
) -> None:
    container = await create_container(client, user)
    response = await client.post(
        f"{CONTAINERS}/{container['id']}/payload",
        json={"payload": '{"a": [1, 2.5, null, true]}', "unknown": 1},
        headers=user.headers,
    )
    assert response.status_code == 201, response.text
    oid = response.json()["oid"]
    fetched = await client.get(
        f"{CONTAINERS}/{container['id']}/payload/{oid}", headers=user.headers
    )
    assert json.loads(fetched.json()["payload"])["a"] == [1, 2.5, None, True]


async def test_documents_listed_in_upload_order_with_unique_oids(
    client: httpx.AsyncClient, user: ApiUser
) -> None:
    container = await create_container(client, user)
    infos = [await upload(client, user, container["id"], {"i": i}, name=f"d{i}") for i in range(5)]
    listed = await client.get(f"{CONTAINERS}/{container['id']}/payload", headers=user.headers)
    assert listed.json() == infos
    assert len({info["oid"] for info in infos}) == 5


# --- permissions --------------------------------------------------------------------------


async def test_reader_reads_but_cannot_write(
    client: httpx.AsyncClient, user: ApiUser, make_user: MakeUser, db: Database
) -> None:
    reader = await make_user()
    container = await create_container(client, user)
    info = await upload(client, user, container["id"], {"a": 1})
    await share_container(client, user, container["id"], readers=(reader,))
    url = f"{CONTAINERS}/{container['id']}"
    assert (
        await client.get(f"{url}/payload/{info['oid']}", headers=reader.headers)
    ).status_code == 200
    refused = await client.post(
        f"{url}/payload", json={"payload": '{"b": 2}'}, headers=reader.headers
    )
    assert_error(refused, 403, WRITE_DENIED)
    refused = await client.delete(f"{url}/payload/{info['oid']}", headers=reader.headers)
    assert_error(refused, 403, WRITE_DENIED)
    assert_error(await client.delete(url, headers=reader.headers), 403, NOT_OWNER)
    assert await stored_documents(db, container["id"]) == 1
    roles = await client.get(f"{url}/roles", headers=reader.headers)
    assert roles.json() == {"owner": False, "manager": False, "writer": False, "reader": True}


async def test_writer_writes_but_only_the_owner_deletes_the_container(
    client: httpx.AsyncClient, user: ApiUser, make_user: MakeUser, db: Database
) -> None:
    writer = await make_user()
    container = await create_container(client, user)
    await share_container(client, user, container["id"], writers=(writer,))
    url = f"{CONTAINERS}/{container['id']}"
    info = await upload(client, writer, container["id"], {"w": True})
    assert_error(await client.delete(url, headers=writer.headers), 403, NOT_OWNER)
    assert (
        await client.delete(f"{url}/payload/{info['oid']}", headers=writer.headers)
    ).status_code == 204
    assert await stored_documents(db, container["id"]) == 0


async def test_list_shows_only_readable_containers(
    client: httpx.AsyncClient, user: ApiUser, make_user: MakeUser
) -> None:
    stranger = await make_user()
    name = unique("listed")
    mine = await create_container(client, user, name)
    public = await create_container(client, user, name)
    await share_container(client, user, public["id"], permission_type="PublicReadable")
    seen = await client.get(CONTAINERS, params={"name": name}, headers=stranger.headers)
    assert [item["id"] for item in seen.json()] == [public["id"]]
    own = await client.get(CONTAINERS, params={"name": name}, headers=user.headers)
    assert [item["id"] for item in own.json()] == [mine["id"], public["id"]]


async def test_list_paging_and_order(client: httpx.AsyncClient, user: ApiUser) -> None:
    prefix = unique("page")
    ids = [(await create_container(client, user, f"{prefix}-{c}"))["id"] for c in "cab"]
    params: dict[str, Any] = {"orderBy": "name", "orderDesc": "true"}
    ordered = await client.get(CONTAINERS, params=params, headers=user.headers)
    names = [item["name"] for item in ordered.json() if item["name"].startswith(prefix)]
    assert names == [f"{prefix}-c", f"{prefix}-b", f"{prefix}-a"]
    mine = await client.get(CONTAINERS, params={"name": f"{prefix}-a"}, headers=user.headers)
    assert [item["id"] for item in mine.json()] == [ids[1]]
    paged = await client.get(CONTAINERS, params={"page": 0, "size": 1}, headers=user.headers)
    assert len(paged.json()) == 1
    bad = await client.get(CONTAINERS, params={"page": -1, "size": 1}, headers=user.headers)
    assert bad.status_code == 400
    bad = await client.get(CONTAINERS, params={"orderBy": "oid"}, headers=user.headers)
    assert bad.status_code == 400


async def test_permissions_need_manage(
    client: httpx.AsyncClient, user: ApiUser, make_user: MakeUser
) -> None:
    reader = await make_user()
    container = await create_container(client, user)
    await share_container(client, user, container["id"], readers=(reader,))
    url = f"{CONTAINERS}/{container['id']}/permissions"
    owned = await client.get(url, headers=user.headers)
    assert owned.status_code == 200
    assert owned.json()["owner"] == user.username
    assert owned.json()["reader"] == [reader.username]
    denied = await client.get(url, headers=reader.headers)
    assert_error(
        denied,
        403,
        "The requested action is forbidden by the permission policies. "
        "User has no MANAGE permissions.",
    )


# --- deleting a container -----------------------------------------------------------------


async def test_deleting_the_container_removes_its_documents(
    client: httpx.AsyncClient, user: ApiUser, db: Database
) -> None:
    container = await create_container(client, user)
    kept = await create_container(client, user)
    for i in range(3):
        await upload(client, user, container["id"], {"i": i})
    await upload(client, user, kept["id"], {"kept": True})
    assert await stored_documents(db, container["id"]) == 3
    response = await client.delete(f"{CONTAINERS}/{container['id']}", headers=user.headers)
    assert response.status_code == 204
    assert await stored_documents(db, container["id"]) == 0
    assert await stored_documents(db, kept["id"]) == 1
    again = await client.delete(f"{CONTAINERS}/{container['id']}", headers=user.headers)
    assert again.status_code == 404


@pytest.mark.parametrize("bad_id", ["-1", "abc", str(2**63)])
async def test_invalid_container_id_is_a_constraint_violation(
    client: httpx.AsyncClient, user: ApiUser, bad_id: str
) -> None:
    response = await client.get(f"{CONTAINERS}/{bad_id}", headers=user.headers)
    assert response.status_code == 400
    assert response.json()["title"] == "Constraint Violation"


async def test_create_container_validates_the_name(
    client: httpx.AsyncClient, user: ApiUser
) -> None:
    for body in ({}, {"name": ""}, {"name": "   "}, {"name": None}):
        response = await client.post(CONTAINERS, json=body, headers=user.headers)
        assert response.status_code == 400, (body, response.text)
    response = await client.post(
        CONTAINERS, json={"name": "n", "oid": "mine", "id": 5, "type": "FILE"}, headers=user.headers
    )
    assert response.status_code == 201
    assert response.json()["oid"] != "mine"
    assert response.json()["type"] == "STRUCTUREDDATA"


async def test_requests_need_authentication(client: httpx.AsyncClient) -> None:
    response = await client.get(CONTAINERS)
    assert response.status_code == 401
