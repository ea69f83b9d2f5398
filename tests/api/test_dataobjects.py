"""Data-object API, ported from upstream's DataObjectIT (5.4.0) and extended (cycles, deletes).

Not ported: DataObjectIT's versioning tests (getHEADVersion through getDataObjectsOfFirstVersion)
are guarded by the versioning toggle and belong to the versioning issue.
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from pyshepard.context.dataobjects.models import DataObject, DataObjectLink
from pyshepard.context.references.models import Reference
from pyshepard.core.db import Database, UnitOfWork
from pyshepard.core.ids import next_entity_id
from tests.api.test_collections import (
    FORBIDDEN,
    MISSING_ID,
    WIRE_TIME,
    create_collection,
    create_data_object,
    get_collection,
    insert_reference,
    set_permissions,
)
from tests.conftest import API, ApiUser

DATA_OBJECT_KEYS = {
    "id",
    "createdAt",
    "createdBy",
    "updatedAt",
    "updatedBy",
    "name",
    "description",
    "attributes",
    "collectionId",
    "referenceIds",
    "successorIds",
    "predecessorIds",
    "childrenIds",
    "parentId",
    "incomingIds",
}


def url(collection_id: int, data_object_id: int | None = None) -> str:
    base = f"{API}/collections/{collection_id}/dataObjects"
    return base if data_object_id is None else f"{base}/{data_object_id}"


async def fetch(
    client: httpx.AsyncClient, user: ApiUser, collection_id: int, data_object_id: int
) -> Any:
    response = await client.get(url(collection_id, data_object_id), headers=user.headers)
    assert response.status_code == 200, response.text
    return response.json()


async def listed(
    client: httpx.AsyncClient, user: ApiUser, collection_id: int, **params: Any
) -> list[int]:
    response = await client.get(url(collection_id), params=params, headers=user.headers)
    assert response.status_code == 200, response.text
    return [entry["id"] for entry in response.json()]


async def put(
    client: httpx.AsyncClient, user: ApiUser, collection_id: int, data_object_id: int, body: Any
) -> httpx.Response:
    return await client.put(url(collection_id, data_object_id), json=body, headers=user.headers)


@pytest.fixture
async def collection_id(client: httpx.AsyncClient, user: ApiUser) -> int:
    collection = await create_collection(client, user)
    return int(collection["id"])


# --- create -------------------------------------------------------------------------------


async def test_create_data_object(
    client: httpx.AsyncClient, user: ApiUser, collection_id: int
) -> None:
    attributes = {
        "a": "1",
        "b": "2",
        "key.abc": "value",
        "key|abc": "value",
        "key..abc": "value",
        "key/\\abc": "value",
        'key"abc': "value",
    }
    response = await client.post(
        url(collection_id),
        json={"name": "DataObjectDummy", "description": "My Description", "attributes": attributes},
        headers=user.headers,
    )
    assert response.status_code == 201
    body = response.json()
    assert set(body) == DATA_OBJECT_KEYS
    assert isinstance(body["id"], int)
    assert body["name"] == "DataObjectDummy"
    assert body["description"] == "My Description"
    assert body["attributes"] == attributes
    assert body["createdBy"] == user.username
    assert WIRE_TIME.match(body["createdAt"])
    assert body["updatedAt"] is None
    assert body["updatedBy"] is None
    assert body["collectionId"] == collection_id
    for key in ("incomingIds", "referenceIds", "childrenIds", "predecessorIds", "successorIds"):
        assert body[key] == []
    assert body["parentId"] is None
    assert await fetch(client, user, collection_id, body["id"]) == body


async def test_attribute_key_with_delimiter_is_400_and_stores_nothing(
    client: httpx.AsyncClient, user: ApiUser, collection_id: int
) -> None:
    response = await client.post(
        url(collection_id),
        json={"name": "DataObjectDummy", "attributes": {"key||abc": "value"}},
        headers=user.headers,
    )
    assert response.status_code == 400
    assert await listed(client, user, collection_id) == []


@pytest.mark.parametrize("body", [{}, {"name": ""}, {"name": " "}, {"name": None}])
async def test_create_needs_a_name(
    client: httpx.AsyncClient, user: ApiUser, collection_id: int, body: dict[str, Any]
) -> None:
    response = await client.post(url(collection_id), json=body, headers=user.headers)
    assert response.status_code == 400
    [violation] = response.json()["violations"]
    assert violation["field"].startswith("createDataObject.")
    assert violation["message"] == "must not be blank"
    assert await listed(client, user, collection_id) == []


async def test_create_with_malformed_json_is_400(
    client: httpx.AsyncClient, user: ApiUser, collection_id: int
) -> None:
    response = await client.post(
        url(collection_id),
        content=b'{"name": "x",',
        headers={**user.headers, "Content-Type": "application/json"},
    )
    assert response.status_code == 400
    assert await listed(client, user, collection_id) == []


async def test_create_with_parent(
    client: httpx.AsyncClient, user: ApiUser, collection_id: int
) -> None:
    parent = await create_data_object(client, user, collection_id)
    child = await create_data_object(client, user, collection_id, parentId=parent["id"])
    assert child["parentId"] == parent["id"]
    assert child["childrenIds"] == []
    assert child["predecessorIds"] == []
    assert child["collectionId"] == collection_id
    reread = await fetch(client, user, collection_id, parent["id"])
    assert reread == {**parent, "childrenIds": [child["id"]]}


async def test_create_with_predecessor(
    client: httpx.AsyncClient, user: ApiUser, collection_id: int
) -> None:
    predecessor = await create_data_object(client, user, collection_id)
    successor = await create_data_object(
        client, user, collection_id, predecessorIds=[predecessor["id"]]
    )
    assert successor["predecessorIds"] == [predecessor["id"]]
    assert successor["successorIds"] == []
    assert successor["parentId"] is None
    reread = await fetch(client, user, collection_id, predecessor["id"])
    assert reread == {**predecessor, "successorIds": [successor["id"]]}


async def test_create_with_parent_and_predecessor(
    client: httpx.AsyncClient, user: ApiUser, collection_id: int
) -> None:
    parent = await create_data_object(client, user, collection_id)
    child = await create_data_object(client, user, collection_id, parentId=parent["id"])
    both = await create_data_object(
        client, user, collection_id, parentId=parent["id"], predecessorIds=[child["id"]]
    )
    assert both["parentId"] == parent["id"]
    assert both["predecessorIds"] == [child["id"]]
    assert (await fetch(client, user, collection_id, parent["id"]))["childrenIds"] == [
        child["id"],
        both["id"],
    ]
    assert (await fetch(client, user, collection_id, child["id"]))["successorIds"] == [both["id"]]


async def test_same_data_object_may_be_parent_and_predecessor(
    client: httpx.AsyncClient, user: ApiUser, collection_id: int
) -> None:
    anchor = await create_data_object(client, user, collection_id)
    created = await create_data_object(
        client,
        user,
        collection_id,
        parentId=anchor["id"],
        predecessorIds=[anchor["id"], anchor["id"]],
    )
    assert created["parentId"] == anchor["id"]
    assert created["predecessorIds"] == [anchor["id"]]


async def test_create_with_successors_is_invalid_body(
    client: httpx.AsyncClient, user: ApiUser, collection_id: int
) -> None:
    other = await create_data_object(client, user, collection_id)
    response = await client.post(
        url(collection_id),
        json={"name": "dows", "successorIds": [other["id"]]},
        headers=user.headers,
    )
    assert response.status_code == 400
    assert response.json() == {
        "status": 400,
        "exception": "InvalidBodyException",
        "message": "when creating a new dataObject the list of successors must not be specified "
        "or be empty",
    }
    assert await listed(client, user, collection_id) == [other["id"]]
    empty = await client.post(
        url(collection_id), json={"name": "ok", "successorIds": []}, headers=user.headers
    )
    assert empty.status_code == 201


async def test_related_data_objects_must_be_live_members_of_the_collection(
    client: httpx.AsyncClient, user: ApiUser, collection_id: int
) -> None:
    other_collection = await create_collection(client, user)
    foreign = await create_data_object(client, user, other_collection["id"])
    gone = await create_data_object(client, user, collection_id)
    deleted = await client.delete(url(collection_id, gone["id"]), headers=user.headers)
    assert deleted.status_code == 204
    cases = [
        ({"parentId": foreign["id"]}, "Related data objects must belong to the same collection as"),
        ({"predecessorIds": [foreign["id"]]}, "Related data objects must belong to the same"),
        ({"parentId": gone["id"]}, f"The DataObject with id {gone['id']} could not be found."),
        ({"predecessorIds": [gone["id"]]}, f"The DataObject with id {gone['id']} could not be"),
        ({"parentId": MISSING_ID}, f"The DataObject with id {MISSING_ID} could not be found."),
        ({"predecessorIds": [-5]}, "The DataObject with id -5 could not be found."),
    ]
    for fields, message in cases:
        response = await client.post(
            url(collection_id), json={"name": "x", **fields}, headers=user.headers
        )
        assert response.status_code == 400, fields
        assert response.json()["exception"] == "InvalidBodyException"
        assert response.json()["message"].startswith(message)
    assert await listed(client, user, collection_id) == []


async def test_create_in_unknown_collection_is_404(
    client: httpx.AsyncClient, user: ApiUser
) -> None:
    response = await client.post(url(MISSING_ID), json={"name": "x"}, headers=user.headers)
    assert response.status_code == 404
    assert response.json()["message"] == (
        f"ID ERROR - Collection with id {MISSING_ID} is null or deleted"
    )


async def test_create_needs_write_on_the_collection(
    client: httpx.AsyncClient, user: ApiUser, other_user: ApiUser, collection_id: int
) -> None:
    response = await client.post(url(collection_id), json={"name": "x"}, headers=other_user.headers)
    assert response.status_code == 403
    await set_permissions(client, user, collection_id, reader=[other_user.username])
    response = await client.post(url(collection_id), json={"name": "x"}, headers=other_user.headers)
    assert response.status_code == 403
    assert await listed(client, user, collection_id) == []
    await set_permissions(client, user, collection_id, writer=[other_user.username])
    created = await create_data_object(client, other_user, collection_id)
    assert created["createdBy"] == other_user.username


# --- read and list ------------------------------------------------------------------------


@pytest.fixture
async def family(client: httpx.AsyncClient, user: ApiUser, collection_id: int) -> dict[str, int]:
    """DataObjectIT's graph: root → child (parent), root ⇢ successor, child ⇢ both, root → both."""
    root = await create_data_object(client, user, collection_id, name="DataObjectDummy")
    child = await create_data_object(client, user, collection_id, parentId=root["id"])
    successor = await create_data_object(client, user, collection_id, predecessorIds=[root["id"]])
    both = await create_data_object(
        client, user, collection_id, parentId=root["id"], predecessorIds=[child["id"]]
    )
    return {
        "root": root["id"],
        "child": child["id"],
        "successor": successor["id"],
        "both": both["id"],
    }


async def test_get_shows_all_relations(
    client: httpx.AsyncClient, user: ApiUser, collection_id: int, family: dict[str, int]
) -> None:
    root = await fetch(client, user, collection_id, family["root"])
    assert root["childrenIds"] == [family["child"], family["both"]]
    assert root["successorIds"] == [family["successor"]]
    assert root["predecessorIds"] == []
    assert root["parentId"] is None
    child = await fetch(client, user, collection_id, family["child"])
    assert child["parentId"] == family["root"]
    assert child["successorIds"] == [family["both"]]


async def test_list_filters(
    client: httpx.AsyncClient, user: ApiUser, collection_id: int, family: dict[str, int]
) -> None:
    f = family
    assert await listed(client, user, collection_id) == [
        f["root"],
        f["child"],
        f["successor"],
        f["both"],
    ]
    assert await listed(client, user, collection_id, name="DataObjectDummy") == [f["root"]]
    assert await listed(client, user, collection_id, name="dataobjectdummy") == []
    assert await listed(client, user, collection_id, parentId=f["root"]) == [f["child"], f["both"]]
    assert await listed(client, user, collection_id, parentId=-1) == [f["root"], f["successor"]]
    assert await listed(client, user, collection_id, predecessorId=f["root"]) == [f["successor"]]
    assert await listed(client, user, collection_id, predecessorId=-1) == [f["root"], f["child"]]
    assert await listed(client, user, collection_id, successorId=f["successor"]) == [f["root"]]
    assert await listed(client, user, collection_id, successorId=-1) == [
        f["successor"],
        f["both"],
    ]
    assert await listed(client, user, collection_id, parentId=f["root"], predecessorId=-1) == [
        f["child"]
    ]
    assert await listed(client, user, collection_id, parentId=-7) == []
    assert await listed(client, user, collection_id, parentId=MISSING_ID) == []


async def test_list_entries_match_single_reads(
    client: httpx.AsyncClient, user: ApiUser, collection_id: int, family: dict[str, int]
) -> None:
    response = await client.get(url(collection_id), headers=user.headers)
    assert response.status_code == 200
    for entry in response.json():
        assert entry == await fetch(client, user, collection_id, entry["id"])


async def test_list_does_not_leak_other_collections(
    client: httpx.AsyncClient, user: ApiUser, collection_id: int
) -> None:
    mine = await create_data_object(client, user, collection_id)
    other = await create_collection(client, user)
    await create_data_object(client, user, other["id"])
    assert await listed(client, user, collection_id) == [mine["id"]]


@pytest.fixture
async def lettered(client: httpx.AsyncClient, user: ApiUser, collection_id: int) -> list[int]:
    return [
        (await create_data_object(client, user, collection_id, name=name))["id"]
        for name in ("a", "b", "C", "d", "E", "f")
    ]


async def test_list_order_and_pages(
    client: httpx.AsyncClient, user: ApiUser, collection_id: int, lettered: list[int]
) -> None:
    a, b, c, d, e, f = lettered
    assert await listed(client, user, collection_id, orderBy="name") == [a, b, c, d, e, f]
    assert await listed(client, user, collection_id, orderBy="name", orderDesc=True) == [
        f,
        e,
        d,
        c,
        b,
        a,
    ]
    by_created = {"orderBy": "createdAt", "orderDesc": False}
    assert await listed(client, user, collection_id, **by_created) == [a, b, c, d, e, f]
    assert await listed(client, user, collection_id, page=0, size=3, **by_created) == [a, b, c]
    assert await listed(client, user, collection_id, page=1, size=3, **by_created) == [d, e, f]
    newest = {"orderBy": "createdAt", "orderDesc": True}
    assert await listed(client, user, collection_id, page=1, size=3, **newest) == [c, b, a]
    assert await listed(client, user, collection_id, page=0, size=3, **newest) == [f, e, d]
    assert await listed(client, user, collection_id, page=1) == lettered
    assert await listed(client, user, collection_id, size=2) == lettered


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"size": 0, "page": 0}, "getAllDataObjects.size"),
        ({"page": -1, "size": 1}, "getAllDataObjects.page"),
        ({"orderBy": "id"}, "getAllDataObjects.orderBy"),
        ({"parentId": "root"}, "getAllDataObjects.parentId"),
        ({"versionUid": "000000-0000-0000-0000-000000000000"}, "getAllDataObjects.versionUid"),
    ],
)
async def test_list_rejects_bad_query_parameters(
    client: httpx.AsyncClient, user: ApiUser, collection_id: int, query: dict[str, Any], field: str
) -> None:
    response = await client.get(url(collection_id), params=query, headers=user.headers)
    assert response.status_code == 400
    assert [v["field"] for v in response.json()["violations"]] == [field]


async def test_list_with_unknown_version_is_404(
    client: httpx.AsyncClient, user: ApiUser, collection_id: int
) -> None:
    uid = str(uuid.uuid4())
    response = await client.get(
        url(collection_id), params={"versionUid": uid}, headers=user.headers
    )
    assert response.status_code == 404
    assert uid in response.json()["message"]


async def test_list_access(
    client: httpx.AsyncClient, user: ApiUser, other_user: ApiUser, collection_id: int
) -> None:
    response = await client.get(url(collection_id), headers=other_user.headers)
    assert response.status_code == 403
    assert response.json()["message"] == FORBIDDEN
    assert (await client.get(url(MISSING_ID), headers=user.headers)).status_code == 404
    assert (await client.get(url(collection_id))).status_code == 401


async def test_get_unknown_data_object_is_404(
    client: httpx.AsyncClient, user: ApiUser, collection_id: int
) -> None:
    response = await client.get(url(collection_id, MISSING_ID), headers=user.headers)
    assert response.status_code == 404
    assert response.json()["message"] == (
        f"ID ERROR - DataObject with id {MISSING_ID} is null or deleted"
    )


async def test_get_negative_id_is_upstream_constraint_violation(
    client: httpx.AsyncClient, user: ApiUser, collection_id: int
) -> None:
    response = await client.get(url(collection_id, -1), headers=user.headers)
    assert response.status_code == 400
    assert response.text == (
        '{"title":"Constraint Violation","status":400,"violations":[{"field":'
        '"getDataObject.dataObjectId","message":"must be greater than or equal to 0"}]}'
    )


async def test_get_in_private_collection_is_403(
    client: httpx.AsyncClient, user: ApiUser, other_user: ApiUser
) -> None:
    private = await create_collection(client, other_user)
    data_object = await create_data_object(client, other_user, private["id"])
    response = await client.get(url(private["id"], data_object["id"]), headers=user.headers)
    assert response.status_code == 403
    assert response.json()["message"] == FORBIDDEN
    # upstream reads the collection (403) before it looks for the data object
    response = await client.get(url(private["id"], MISSING_ID), headers=user.headers)
    assert response.status_code == 403


async def test_get_through_the_wrong_collection_is_404(
    client: httpx.AsyncClient, user: ApiUser, other_user: ApiUser, collection_id: int
) -> None:
    data_object = await create_data_object(client, user, collection_id)
    other = await create_collection(client, user)
    response = await client.get(url(other["id"], data_object["id"]), headers=user.headers)
    assert response.status_code == 404
    assert response.json()["message"] == (
        "ID ERROR - There is no association between collection and dataObject"
    )
    # also when the caller may not read the data object's own collection
    foreign = await create_collection(client, other_user)
    foreign_object = await create_data_object(client, other_user, foreign["id"])
    response = await client.get(url(collection_id, foreign_object["id"]), headers=user.headers)
    assert response.status_code == 404


async def test_get_with_version_uid(
    client: httpx.AsyncClient, user: ApiUser, collection_id: int
) -> None:
    data_object = await create_data_object(client, user, collection_id)
    target = url(collection_id, data_object["id"])
    bad = await client.get(target, params={"versionUid": "nope"}, headers=user.headers)
    assert bad.status_code == 400
    uid = str(uuid.uuid4())
    unknown = await client.get(target, params={"versionUid": uid}, headers=user.headers)
    assert unknown.status_code == 404
    assert unknown.json()["message"] == (
        f"ID ERROR - DataObject with id {data_object['id']} and versionUID {uid} is null or deleted"
    )


async def test_reference_and_incoming_ids(
    client: httpx.AsyncClient, user: ApiUser, db: Database, collection_id: int
) -> None:
    source = await create_data_object(client, user, collection_id)
    target = await create_data_object(client, user, collection_id)
    uri = await insert_reference(db, source["id"], "URIReference", uri="http://example.org")
    pointer = await insert_reference(
        db, source["id"], "DataObjectReference", referenced_data_object_id=target["id"]
    )
    await insert_reference(db, source["id"], "URIReference", deleted=True)
    stored_source = await fetch(client, user, collection_id, source["id"])
    assert stored_source["referenceIds"] == [uri, pointer]
    assert stored_source["incomingIds"] == []
    stored_target = await fetch(client, user, collection_id, target["id"])
    assert stored_target["incomingIds"] == [pointer]
    assert stored_target["referenceIds"] == []


# --- update -------------------------------------------------------------------------------


async def test_update_echoing_the_read_model(
    client: httpx.AsyncClient, user: ApiUser, collection_id: int, family: dict[str, int]
) -> None:
    root = await fetch(client, user, collection_id, family["root"])
    response = await put(client, user, collection_id, root["id"], {**root, "name": "Changed"})
    assert response.status_code == 200
    body = response.json()
    assert body["updatedBy"] == user.username
    assert WIRE_TIME.match(body["updatedAt"])
    assert body == {
        **root,
        "name": "Changed",
        "updatedAt": body["updatedAt"],
        "updatedBy": user.username,
    }


async def test_update_moves_to_a_new_parent(
    client: httpx.AsyncClient, user: ApiUser, collection_id: int, family: dict[str, int]
) -> None:
    both = await fetch(client, user, collection_id, family["both"])
    moved = {**both, "name": "DataObjectChildChanged", "parentId": family["successor"]}
    response = await put(client, user, collection_id, both["id"], moved)
    assert response.status_code == 200
    body = response.json()
    assert {**body, "updatedAt": None, "updatedBy": None} == moved
    old_parent = await fetch(client, user, collection_id, family["root"])
    assert old_parent["childrenIds"] == [family["child"]]
    new_parent = await fetch(client, user, collection_id, family["successor"])
    assert new_parent["childrenIds"] == [both["id"]]


async def test_update_sets_new_predecessors(
    client: httpx.AsyncClient, user: ApiUser, collection_id: int, family: dict[str, int]
) -> None:
    child = await fetch(client, user, collection_id, family["child"])
    changed = {**child, "predecessorIds": [family["root"]]}
    response = await put(client, user, collection_id, child["id"], changed)
    assert response.status_code == 200
    assert response.json()["predecessorIds"] == [family["root"]]
    root = await fetch(client, user, collection_id, family["root"])
    assert root["successorIds"] == [family["child"], family["successor"]]
    assert root["childrenIds"] == [family["child"], family["both"]]


async def test_update_removes_parent_and_predecessors(
    client: httpx.AsyncClient, user: ApiUser, collection_id: int
) -> None:
    parent = await create_data_object(client, user, collection_id)
    predecessor = await create_data_object(client, user, collection_id)
    data_object = await create_data_object(
        client, user, collection_id, parentId=parent["id"], predecessorIds=[predecessor["id"]]
    )
    response = await put(
        client, user, collection_id, data_object["id"], {**data_object, "predecessorIds": []}
    )
    assert response.status_code == 200
    stored = await fetch(client, user, collection_id, data_object["id"])
    assert stored["predecessorIds"] == []
    assert stored["parentId"] == parent["id"]
    response = await put(
        client, user, collection_id, data_object["id"], {**stored, "parentId": None}
    )
    assert response.status_code == 200
    assert (await fetch(client, user, collection_id, data_object["id"]))["parentId"] is None
    assert (await fetch(client, user, collection_id, predecessor["id"]))["successorIds"] == []
    assert (await fetch(client, user, collection_id, parent["id"]))["childrenIds"] == []


async def test_update_without_relations_clears_them(
    client: httpx.AsyncClient, user: ApiUser, collection_id: int
) -> None:
    anchor = await create_data_object(client, user, collection_id)
    data_object = await create_data_object(
        client,
        user,
        collection_id,
        parentId=anchor["id"],
        predecessorIds=[anchor["id"]],
        attributes={"name": "my data object"},
        description="text",
    )
    response = await put(client, user, collection_id, data_object["id"], {"name": "bare"})
    assert response.status_code == 200
    stored = await fetch(client, user, collection_id, data_object["id"])
    assert stored["parentId"] is None
    assert stored["predecessorIds"] == []
    assert stored["attributes"] == {}
    assert stored["description"] is None


async def test_update_checks_given_successors(
    client: httpx.AsyncClient, user: ApiUser, collection_id: int
) -> None:
    first = await create_data_object(client, user, collection_id, name="do1")
    second = await create_data_object(
        client, user, collection_id, name="do2", predecessorIds=[first["id"]]
    )
    wrong = await put(
        client,
        user,
        collection_id,
        first["id"],
        {"name": "do1New", "successorIds": [second["id"] + 1]},
    )
    assert wrong.status_code == 400
    assert wrong.json() == {
        "status": 400,
        "exception": "InvalidBodyException",
        "message": "the given list of successors does not match the current list of successors",
    }
    assert await fetch(client, user, collection_id, first["id"]) == first | {
        "successorIds": [second["id"]]
    }
    right = await put(
        client, user, collection_id, first["id"], {"name": "do1New", "successorIds": [second["id"]]}
    )
    assert right.status_code == 200
    assert right.json()["name"] == "do1New"
    assert right.json()["successorIds"] == [second["id"]]


async def test_self_references_are_refused(
    client: httpx.AsyncClient, user: ApiUser, collection_id: int
) -> None:
    data_object = await create_data_object(client, user, collection_id)
    for fields in ({"parentId": data_object["id"]}, {"predecessorIds": [data_object["id"]]}):
        response = await put(
            client, user, collection_id, data_object["id"], {"name": "x", **fields}
        )
        assert response.status_code == 400
        assert response.json()["message"] == "Self references are not allowed."
    assert await fetch(client, user, collection_id, data_object["id"]) == data_object


async def test_parent_cycles_are_refused(
    client: httpx.AsyncClient, user: ApiUser, collection_id: int
) -> None:
    top = await create_data_object(client, user, collection_id)
    middle = await create_data_object(client, user, collection_id, parentId=top["id"])
    bottom = await create_data_object(client, user, collection_id, parentId=middle["id"])
    for new_parent in (middle["id"], bottom["id"]):
        response = await put(
            client, user, collection_id, top["id"], {"name": "top", "parentId": new_parent}
        )
        assert response.status_code == 400
        assert response.json()["exception"] == "InvalidBodyException"
        assert "cycl" in response.json()["message"].lower()
    assert (await fetch(client, user, collection_id, top["id"]))["parentId"] is None
    # a parent chain through a deleted data object no longer counts
    assert (
        await client.delete(url(collection_id, middle["id"]), headers=user.headers)
    ).status_code == 204
    response = await put(
        client, user, collection_id, top["id"], {"name": "top", "parentId": bottom["id"]}
    )
    assert response.status_code == 200
    assert response.json()["parentId"] == bottom["id"]


async def test_predecessor_cycles_are_refused(
    client: httpx.AsyncClient, user: ApiUser, collection_id: int
) -> None:
    first = await create_data_object(client, user, collection_id)
    second = await create_data_object(client, user, collection_id, predecessorIds=[first["id"]])
    third = await create_data_object(client, user, collection_id, predecessorIds=[second["id"]])
    side = await create_data_object(client, user, collection_id)
    for predecessors in ([third["id"]], [side["id"], second["id"]]):
        response = await put(
            client,
            user,
            collection_id,
            first["id"],
            {"name": "first", "predecessorIds": predecessors},
        )
        assert response.status_code == 400
        assert response.json()["exception"] == "InvalidBodyException"
        assert "cycl" in response.json()["message"].lower()
    assert (await fetch(client, user, collection_id, first["id"]))["predecessorIds"] == []
    assert (await fetch(client, user, collection_id, side["id"]))["successorIds"] == []
    # diamonds are fine: first → second → third and first → third
    response = await put(
        client,
        user,
        collection_id,
        third["id"],
        {"name": "third", "predecessorIds": [second["id"], first["id"]]},
    )
    assert response.status_code == 200
    assert response.json()["predecessorIds"] == [first["id"], second["id"]]


async def test_update_with_foreign_or_deleted_relations_is_400(
    client: httpx.AsyncClient, user: ApiUser, collection_id: int
) -> None:
    data_object = await create_data_object(client, user, collection_id)
    other = await create_collection(client, user)
    foreign = await create_data_object(client, user, other["id"])
    for fields in ({"parentId": foreign["id"]}, {"predecessorIds": [foreign["id"]]}):
        response = await put(
            client, user, collection_id, data_object["id"], {"name": "x", **fields}
        )
        assert response.status_code == 400
        assert response.json()["message"] == (
            "Related data objects must belong to the same collection as the new data object"
        )
    assert await fetch(client, user, collection_id, data_object["id"]) == data_object


async def test_update_access_and_lookup(
    client: httpx.AsyncClient, user: ApiUser, other_user: ApiUser, collection_id: int
) -> None:
    data_object = await create_data_object(client, user, collection_id)
    body = {"name": "changed"}
    assert (
        await put(client, other_user, collection_id, data_object["id"], body)
    ).status_code == 403
    await set_permissions(client, user, collection_id, permissionType="PublicReadable")
    assert (
        await put(client, other_user, collection_id, data_object["id"], body)
    ).status_code == 403
    assert await fetch(client, user, collection_id, data_object["id"]) == data_object
    assert (await put(client, user, collection_id, MISSING_ID, body)).status_code == 404
    assert (await put(client, user, MISSING_ID, data_object["id"], body)).status_code == 404
    blank = await put(client, user, MISSING_ID, data_object["id"], {"name": ""})
    assert blank.status_code == 400
    await set_permissions(client, user, collection_id, permissionType="Public")
    response = await put(client, other_user, collection_id, data_object["id"], body)
    assert response.status_code == 200
    assert response.json()["updatedBy"] == other_user.username


# --- delete -------------------------------------------------------------------------------


async def test_delete_data_object(
    client: httpx.AsyncClient,
    user: ApiUser,
    db: Database,
    collection_id: int,
    family: dict[str, int],
) -> None:
    reference = await insert_reference(db, family["root"], "URIReference", uri="http://x.org")
    target = url(collection_id, family["root"])
    response = await client.delete(target, headers=user.headers)
    assert response.status_code == 204
    assert response.content == b""
    assert (await client.delete(target, headers=user.headers)).status_code == 404
    assert (await client.get(target, headers=user.headers)).status_code == 404

    child = await fetch(client, user, collection_id, family["child"])
    assert child["parentId"] is None
    successor = await fetch(client, user, collection_id, family["successor"])
    assert successor["predecessorIds"] == []
    assert await listed(client, user, collection_id) == [
        family["child"],
        family["successor"],
        family["both"],
    ]
    assert await listed(client, user, collection_id, parentId=-1) == [
        family["child"],
        family["successor"],
        family["both"],
    ]
    assert await listed(client, user, collection_id, parentId=family["root"]) == []
    assert (await get_collection(client, user, collection_id))["dataObjectIds"] == [
        family["child"],
        family["successor"],
        family["both"],
    ]

    async def reference_deleted(uow: UnitOfWork) -> bool:
        stored = await uow.session.scalar(select(Reference).where(Reference.id == reference))
        assert stored is not None
        return stored.deleted

    assert await db.run(reference_deleted) is True


async def test_delete_access_and_lookup(
    client: httpx.AsyncClient, user: ApiUser, other_user: ApiUser, collection_id: int
) -> None:
    data_object = await create_data_object(client, user, collection_id)
    target = url(collection_id, data_object["id"])
    assert (await client.delete(target, headers=other_user.headers)).status_code == 403
    await set_permissions(client, user, collection_id, reader=[other_user.username])
    assert (await client.delete(target, headers=other_user.headers)).status_code == 403
    assert await fetch(client, user, collection_id, data_object["id"]) == data_object
    assert (await client.delete(url(collection_id, -1), headers=user.headers)).status_code == 400
    other = await create_collection(client, user)
    response = await client.delete(url(other["id"], data_object["id"]), headers=user.headers)
    assert response.status_code == 404
    assert (await client.delete(target)).status_code == 401
    await set_permissions(client, user, collection_id, writer=[other_user.username])
    assert (await client.delete(target, headers=other_user.headers)).status_code == 204


async def test_concurrent_updates_cannot_close_a_cycle(
    client: httpx.AsyncClient, user: ApiUser, collection_id: int
) -> None:
    for relation in ("parentId", "predecessorIds"):
        first = await create_data_object(client, user, collection_id)
        second = await create_data_object(client, user, collection_id)

        def link(target: int, relation: str = relation) -> dict[str, Any]:
            return {"name": "x", relation: target if relation == "parentId" else [target]}

        responses = await asyncio.gather(
            put(client, user, collection_id, first["id"], link(second["id"])),
            put(client, user, collection_id, second["id"], link(first["id"])),
        )
        assert sorted(response.status_code for response in responses) == [200, 400], relation


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"name": "x", "parentId": 2**63}, "createDataObject.parentId"),
        ({"name": "x", "predecessorIds": [1, 2**64]}, "createDataObject.predecessorIds.1"),
        ({"name": "a\u0000b"}, "createDataObject.name"),
        ({"name": "x" * 1025}, "createDataObject.name"),
        ({"name": "x", "description": "nul\u0000"}, "createDataObject.description"),
    ],
)
async def test_values_the_database_cannot_hold_are_400(
    client: httpx.AsyncClient,
    user: ApiUser,
    collection_id: int,
    fields: dict[str, Any],
    field: str,
) -> None:
    response = await client.post(url(collection_id), json=fields, headers=user.headers)
    assert response.status_code == 400
    assert [v["field"] for v in response.json()["violations"]] == [field]
    assert await listed(client, user, collection_id) == []
    huge = await client.get(url(collection_id), params={"parentId": 2**63}, headers=user.headers)
    assert huge.status_code == 400
    nul = await client.get(url(collection_id), params={"name": "\u0000"}, headers=user.headers)
    assert nul.status_code == 200
    assert nul.json() == []


async def test_long_lists_report_the_same_relations_as_single_reads(
    client: httpx.AsyncClient, user: ApiUser, db: Database, collection_id: int
) -> None:
    """Lists past one id batch read relations per collection; they must match single reads."""
    other = await create_collection(client, user)
    outsider = await create_data_object(client, user, other["id"])

    async def populate(uow: UnitOfWork) -> list[int]:
        now = datetime.now(UTC)
        ids = [await next_entity_id(uow.session) for _ in range(1005)]
        uow.session.add_all(
            DataObject(
                id=data_object_id,
                collection_id=collection_id,
                name=f"bulk-{index}",
                created_at=now,
                created_by=user.username,
                parent_id=ids[4] if index == 5 else (ids[0] if 0 < index < 10 else None),
                deleted=index == 4,
            )
            for index, data_object_id in enumerate(ids)
        )
        await uow.session.flush()
        uow.session.add_all(
            DataObjectLink(predecessor_id=ids[index], successor_id=ids[index + 1])
            for index in (1, 2, 3, 1000)
        )
        await uow.session.flush()
        return ids

    ids = await db.run(populate)
    await insert_reference(db, ids[2], "URIReference", uri="http://example.org")
    await insert_reference(
        db, outsider["id"], "DataObjectReference", referenced_data_object_id=ids[3]
    )
    response = await client.get(url(collection_id), headers=user.headers)
    assert response.status_code == 200
    entries = {entry["id"]: entry for entry in response.json()}
    assert len(entries) == 1004
    for index in (0, 1, 2, 3, 5, 1000, 1001):
        assert entries[ids[index]] == await fetch(client, user, collection_id, ids[index])
    assert entries[ids[0]]["childrenIds"] == [ids[i] for i in range(1, 10) if i not in (4, 5)]
    assert entries[ids[3]]["predecessorIds"] == [ids[2]]
    assert entries[ids[3]]["incomingIds"] != []
    assert entries[ids[2]]["referenceIds"] != []
    assert entries[ids[5]]["parentId"] is None
    assert entries[ids[3]]["successorIds"] == []
