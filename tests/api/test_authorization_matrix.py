"""Authorization matrix: every operation built so far, times every kind of caller.

Seeded from upstream's `generic_endpoints_test_cases.json` (run as-is below) and extended to
every collection, data-object, reference and user-group operation of the foundation, with the
expected status derived from the access level the operation needs (BEHAVIOUR §3).
"""

from __future__ import annotations

import json
import urllib.parse
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from pyshepard.app import create_app
from pyshepard.core.config import Settings
from tests.conftest import API, SHARED, ApiUser
from tests.sparql_stub import ALMOND_MILK, INGREDIENT, SparqlStub, sparql_stub

READ, WRITE, MANAGE = "read", "write", "manage"
CALLERS = (
    "anonymous",
    "stranger",
    "reader",
    "writer",
    "manager",
    "owner",
    "public",
    "public_readable",
)
ALLOWED = {
    READ: {"reader", "writer", "manager", "owner", "public", "public_readable"},
    WRITE: {"writer", "manager", "owner", "public"},
    MANAGE: {"manager", "owner"},
}

DO = "/collections/{c}/dataObjects/{d}"
LJ = "/labJournalEntries"
AUTHOR = "author"  # lab journal entries: Write on the collection, and only their author edits
ALLOWED[AUTHOR] = {"owner"}


@dataclass(frozen=True)
class Op:
    method: str
    path: str
    level: str
    success: int
    body: Callable[[World], Any] | dict[str, Any] | None = None

    @property
    def id(self) -> str:
        return f"{self.method} {self.path}"


@dataclass
class World:
    owner: ApiUser
    ids: dict[str, int]

    def url(self, template: str) -> str:
        return API + template.format(**self.ids)


def _permissions_body(world: World) -> dict[str, Any]:
    return {
        "owner": world.owner.username,
        "permissionType": "Private",
        "reader": [],
        "writer": [],
        "readerGroupIds": [],
        "writerGroupIds": [],
        "manager": [],
    }


def _id_query(collection_id: int) -> dict[str, Any]:
    query = {"property": "id", "value": collection_id, "operator": "eq"}
    return {"searchParams": {"query": json.dumps(query)}}


COLLECTION_OPS = [
    Op("GET", "/collections/{c}", READ, 200),
    Op("PUT", "/collections/{c}", WRITE, 200, {"name": "renamed"}),
    Op("GET", "/collections/{c}/roles", READ, 200),
    Op("GET", "/collections/{c}/export", READ, 200),
    Op("GET", "/collections/{c}/permissions", MANAGE, 200),
    Op("PUT", "/collections/{c}/permissions", MANAGE, 200, _permissions_body),
    Op("DELETE", "/collections/{c}", WRITE, 204),
    Op("GET", "/collections/{c}/dataObjects", READ, 200),
    Op("POST", "/collections/{c}/dataObjects", WRITE, 201, {"name": "new"}),
    Op("GET", DO, READ, 200),
    Op("PUT", DO, WRITE, 200, {"name": "renamed"}),
    Op("DELETE", DO, WRITE, 204),
    Op("GET", DO + "/references", READ, 200),
    Op("GET", DO + "/references/{uri_ref}", READ, 200),
    Op("DELETE", DO + "/references/{uri_ref}", WRITE, 204),
    Op("GET", DO + "/uriReferences", READ, 200),
    Op("POST", DO + "/uriReferences", WRITE, 201, {"name": "u", "uri": "https://e.org"}),
    Op("GET", DO + "/uriReferences/{uri_ref}", READ, 200),
    Op("DELETE", DO + "/uriReferences/{uri_ref}", WRITE, 204),
    Op("GET", DO + "/collectionReferences", READ, 200),
    Op(
        "POST",
        DO + "/collectionReferences",
        WRITE,
        201,
        lambda w: {"name": "c", "referencedCollectionId": w.ids["c"]},
    ),
    Op("GET", DO + "/collectionReferences/{col_ref}", READ, 200),
    Op("GET", DO + "/collectionReferences/{col_ref}/payload", READ, 200),
    Op("DELETE", DO + "/collectionReferences/{col_ref}", WRITE, 204),
    Op("GET", DO + "/dataObjectReferences", READ, 200),
    Op(
        "POST",
        DO + "/dataObjectReferences",
        WRITE,
        201,
        lambda w: {"name": "d", "referencedDataObjectId": w.ids["d2"]},
    ),
    Op("GET", DO + "/dataObjectReferences/{do_ref}", READ, 200),
    Op("GET", DO + "/dataObjectReferences/{do_ref}/payload", READ, 200),
    Op("DELETE", DO + "/dataObjectReferences/{do_ref}", WRITE, 204),
    Op("GET", LJ + "?dataObjectId={d}", READ, 200),
    Op("POST", LJ + "?dataObjectId={d}", WRITE, 201, {"journalContent": "<p>new</p>"}),
    Op("GET", LJ + "/{lj}", READ, 200),
    Op("PUT", LJ + "/{lj}", AUTHOR, 200, {"journalContent": "<p>edited</p>"}),
    Op("DELETE", LJ + "/{lj}", WRITE, 204),
    # anyone signed in may search; the collection is found only by those who may read it
    Op("POST", "/search/collections", "anyone", 200, lambda w: _id_query(w.ids["c"])),
]

GROUP_OPS = [
    Op("GET", "/userGroups/{g}", READ, 200),
    Op("PUT", "/userGroups/{g}", WRITE, 200, {"name": "renamed", "usernames": []}),
    Op("GET", "/userGroups/{g}/roles", READ, 200),
    Op("GET", "/userGroups/{g}/permissions", MANAGE, 200),
    Op("PUT", "/userGroups/{g}/permissions", MANAGE, 200, _permissions_body),
]


async def _check(response: httpx.Response, expected: int) -> None:
    assert response.status_code == expected, (
        f"{response.request.method} {response.request.url.path}: "
        f"expected {expected}, got {response.status_code}: {response.text[:300]}"
    )


async def _json(client: httpx.AsyncClient, method: str, url: str, user: ApiUser, body: Any) -> Any:
    response = await client.request(method, url, headers=user.headers, json=body)
    assert response.status_code in (200, 201), (
        f"{method} {url}: {response.status_code} {response.text}"
    )
    return response.json()


async def _grant(
    client: httpx.AsyncClient, path: str, owner: ApiUser, grants: dict[str, ApiUser], kind: str
) -> None:
    await _json(
        client,
        "PUT",
        f"{API}{path}/permissions",
        owner,
        {
            "owner": owner.username,
            "permissionType": kind,
            "reader": [grants["reader"].username],
            "writer": [grants["writer"].username],
            "readerGroupIds": [],
            "writerGroupIds": [],
            "manager": [grants["manager"].username],
        },
    )


async def _build_world(
    client: httpx.AsyncClient, make_user: Callable[..., Awaitable[ApiUser]], permission_type: str
) -> tuple[World, dict[str, ApiUser]]:
    owner = await make_user()
    grants = {role: await make_user() for role in ("reader", "writer", "manager")}
    collection = await _json(client, "POST", f"{API}/collections", owner, {"name": "matrix"})
    c = collection["id"]
    await _grant(client, f"/collections/{c}", owner, grants, permission_type)
    d = (await _json(client, "POST", f"{API}/collections/{c}/dataObjects", owner, {"name": "d"}))[
        "id"
    ]
    d2 = (await _json(client, "POST", f"{API}/collections/{c}/dataObjects", owner, {"name": "d2"}))[
        "id"
    ]
    base = f"{API}/collections/{c}/dataObjects/{d}"
    uri_ref = await _json(
        client, "POST", f"{base}/uriReferences", owner, {"name": "u", "uri": "https://example.org"}
    )
    col_ref = await _json(
        client,
        "POST",
        f"{base}/collectionReferences",
        owner,
        {"name": "c", "referencedCollectionId": c},
    )
    do_ref = await _json(
        client,
        "POST",
        f"{base}/dataObjectReferences",
        owner,
        {"name": "d", "referencedDataObjectId": d2},
    )
    group = await _json(
        client, "POST", f"{API}/userGroups", owner, {"name": "g", "usernames": [owner.username]}
    )
    await _grant(client, f"/userGroups/{group['id']}", owner, grants, permission_type)
    entry = await _json(
        client, "POST", f"{API}/labJournalEntries?dataObjectId={d}", owner, {"journalContent": "j"}
    )
    ids = {
        "lj": entry["id"],
        "c": c,
        "d": d,
        "d2": d2,
        "uri_ref": uri_ref["id"],
        "col_ref": col_ref["id"],
        "do_ref": do_ref["id"],
        "g": group["id"],
    }
    return World(owner=owner, ids=ids), grants


async def _caller(
    caller: str,
    world: World,
    grants: dict[str, ApiUser],
    make_user: Callable[..., Awaitable[ApiUser]],
) -> dict[str, str]:
    if caller == "anonymous":
        return {}
    if caller == "owner":
        return world.owner.headers
    if caller in grants:
        return grants[caller].headers
    return (await make_user()).headers  # stranger, or a stranger on a Public/PublicReadable entity


def _permission_type(caller: str) -> str:
    return {"public": "Public", "public_readable": "PublicReadable"}.get(caller, "Private")


@pytest.mark.parametrize("caller", CALLERS)
@pytest.mark.parametrize("op", COLLECTION_OPS + GROUP_OPS, ids=lambda op: op.id)
async def test_matrix(
    client: httpx.AsyncClient, make_user: Callable[..., Awaitable[ApiUser]], op: Op, caller: str
) -> None:
    world, grants = await _build_world(client, make_user, _permission_type(caller))
    headers = await _caller(caller, world, grants, make_user)
    before = await _snapshot(client, world)
    body = op.body(world) if callable(op.body) else op.body
    response = await client.request(op.method, world.url(op.path), headers=headers, json=body)
    if caller == "anonymous":
        expected = 401
    elif caller in ALLOWED[op.level]:
        expected = op.success
    else:
        expected = 403
    await _check(response, expected)
    if op.path == "/search/collections" and expected == 200:
        found = [collection["id"] for collection in response.json()["results"]]
        assert found == ([world.ids["c"]] if caller in ALLOWED[READ] else [])
    if expected == 403:
        assert response.json() == {
            "status": 403,
            "exception": "InvalidAuthException",
            "message": "The requested action is forbidden by the permission policies",
        }
    if expected >= 400:
        assert await _snapshot(client, world) == before, "a refused request changed stored data"


SNAPSHOT_PATHS = (
    "/collections/{c}",
    "/collections/{c}/permissions",
    "/collections/{c}/dataObjects",
    DO + "/references",
    "/userGroups/{g}",
    "/userGroups/{g}/permissions",
    LJ + "?dataObjectId={d}",
)


async def _snapshot(client: httpx.AsyncClient, world: World) -> list[Any]:
    """Everything the owner can see of the world, to prove refused requests change nothing."""
    state = []
    for path in SNAPSHOT_PATHS:
        response = await client.get(world.url(path), headers=world.owner.headers)
        state.append((response.status_code, response.json()))
    return state


# -- upstream's generic endpoint table, run as upstream's GenericEndpointsIT does ----------------

GENERIC_CASES = json.loads(
    (SHARED / "upstream" / "test-data" / "generic_endpoints_test_cases.json").read_text()
)
NOT_YET_BUILT: set[str] = set()  # every case of the table is built now


def _generic_params() -> list[Any]:
    params = []
    for case in GENERIC_CASES:
        for method in case["methods"]:
            for outcome in case["expectedStatusCodes"][method]:
                marks = (
                    [pytest.mark.skip(reason="collection export is built with the export issue")]
                    if case["url"] in NOT_YET_BUILT
                    else []
                )
                params.append(
                    pytest.param(
                        case, method, outcome, id=f"{method} {case['url']} {outcome}", marks=marks
                    )
                )
    return params


def _fill(template: str, params: dict[str, str], values: dict[str, str]) -> str:
    path = template
    for key, value in params.items():
        path = path.replace("{" + key + "}", values.get(value, value))
    return path


def _substitute(body: Any, values: dict[str, str]) -> Any:
    text = json.dumps(body)
    for key, value in values.items():
        text = text.replace(key, value)
    return json.loads(text)


@pytest.mark.parametrize(("case", "method", "outcome"), _generic_params())
async def test_generic_endpoints(
    client: httpx.AsyncClient,
    make_user: Callable[..., Awaitable[ApiUser]],
    case: dict[str, Any],
    method: str,
    outcome: str,
) -> None:
    owner, other = await make_user(), await make_user()
    collection = await _json(
        client, "POST", f"{API}/collections", owner, {"name": f"g-{uuid.uuid4()}"}
    )
    values = {"<collection_id>": str(collection["id"]), "<name_of_default_user>": owner.username}
    expected = case["expectedStatusCodes"][method][outcome]
    params = {
        "valid": case["validPathParams"],
        "invalid": case["invalidPathParams"] or case["validPathParams"],
        "notFound": case["notFoundPathParams"] or case["validPathParams"],
        "unauthorized": case["validPathParams"],
        "unauthenticated": case["validPathParams"],
    }[outcome]
    url = API + _fill(case["url"], params, values)
    headers = {
        "unauthenticated": {},
        "unauthorized": other.headers,
    }.get(outcome, owner.headers)
    body = None
    if method in ("POST", "PUT"):
        source = case["invalidRequestBody"] if outcome == "invalid" else case["requestBody"]
        body = _substitute(source, values)
    response = await client.request(method, url, headers=headers, json=body)
    await _check(response, expected)
    if expected >= 400:
        payload = response.json()
        assert payload["status"] == expected


# -- file containers and file references: the container's own permissions ----------------------
# (both the collection and the container carry the same grants, so a reference operation needs
# the same role on each; deleting a container is for its owner only, seed §8.3.2)

OWNER_ONLY = "owner_only"
ALLOWED[OWNER_ONLY] = {"owner"}
UPLOAD = {"multipart": True}
FC = "/fileContainers/{fc}"

FILE_OPS = [
    Op("GET", FC, READ, 200),
    Op("DELETE", FC, OWNER_ONLY, 204),
    Op("GET", FC + "/roles", READ, 200),
    Op("GET", FC + "/permissions", MANAGE, 200),
    Op("PUT", FC + "/permissions", MANAGE, 200, _permissions_body),
    Op("GET", FC + "/payload", READ, 200),
    Op("POST", FC + "/payload", WRITE, 201, UPLOAD),
    Op("GET", FC + "/payload/{oid}", READ, 200),
    Op("DELETE", FC + "/payload/{oid}", WRITE, 204),
    Op("GET", DO + "/fileReferences", READ, 200),
    Op(
        "POST",
        DO + "/fileReferences",
        WRITE,
        201,
        lambda w: {"name": "f", "fileContainerId": w.ids["fc"], "fileOids": [w.oid]},
    ),
    Op("GET", DO + "/fileReferences/{file_ref}", READ, 200),
    Op("DELETE", DO + "/fileReferences/{file_ref}", WRITE, 204),
    Op("GET", DO + "/fileReferences/{file_ref}/payload", READ, 200),
    Op("GET", DO + "/fileReferences/{file_ref}/payload/{oid}", READ, 200),
]


@dataclass
class FileWorld(World):
    oid: str = ""

    def url(self, template: str) -> str:
        return API + template.format(**self.ids, oid=self.oid)


async def _build_file_world(
    client: httpx.AsyncClient, make_user: Callable[..., Awaitable[ApiUser]], permission_type: str
) -> tuple[FileWorld, dict[str, ApiUser]]:
    owner = await make_user()
    grants = {role: await make_user() for role in ("reader", "writer", "manager")}
    container = await _json(client, "POST", f"{API}/fileContainers", owner, {"name": "files"})
    fc = container["id"]
    await _grant(client, f"/fileContainers/{fc}", owner, grants, permission_type)
    uploaded = await client.post(
        f"{API}/fileContainers/{fc}/payload",
        files={"file": ("a.txt", b"matrix")},
        headers=owner.headers,
    )
    assert uploaded.status_code == 201, uploaded.text
    oid = uploaded.json()["oid"]
    c = (await _json(client, "POST", f"{API}/collections", owner, {"name": "matrix"}))["id"]
    await _grant(client, f"/collections/{c}", owner, grants, permission_type)
    d = (await _json(client, "POST", f"{API}/collections/{c}/dataObjects", owner, {"name": "d"}))[
        "id"
    ]
    file_ref = await _json(
        client,
        "POST",
        f"{API}/collections/{c}/dataObjects/{d}/fileReferences",
        owner,
        {"name": "f", "fileContainerId": fc, "fileOids": [oid]},
    )
    ids = {"fc": fc, "c": c, "d": d, "file_ref": file_ref["id"]}
    return FileWorld(owner=owner, ids=ids, oid=oid), grants


FILE_SNAPSHOT_PATHS = (
    FC,
    FC + "/permissions",
    FC + "/payload",
    DO + "/fileReferences",
)


@pytest.mark.parametrize("caller", CALLERS)
@pytest.mark.parametrize("op", FILE_OPS, ids=lambda op: op.id)
async def test_file_matrix(
    client: httpx.AsyncClient, make_user: Callable[..., Awaitable[ApiUser]], op: Op, caller: str
) -> None:
    world, grants = await _build_file_world(client, make_user, _permission_type(caller))
    headers = await _caller(caller, world, grants, make_user)
    before = [
        (r.status_code, r.json())
        for r in [
            await client.get(world.url(path), headers=world.owner.headers)
            for path in FILE_SNAPSHOT_PATHS
        ]
    ]
    if op.body is UPLOAD:
        response = await client.request(
            op.method, world.url(op.path), headers=headers, files={"file": ("b.txt", b"new")}
        )
    else:
        body = op.body(world) if callable(op.body) else op.body
        response = await client.request(op.method, world.url(op.path), headers=headers, json=body)
    if caller == "anonymous":
        expected = 401
    elif caller in ALLOWED[op.level]:
        expected = op.success
    else:
        expected = 403
    await _check(response, expected)
    if expected == 403:
        assert response.json()["exception"] == "InvalidAuthException"
    if expected >= 400:
        after = [
            (r.status_code, r.json())
            for r in [
                await client.get(world.url(path), headers=world.owner.headers)
                for path in FILE_SNAPSHOT_PATHS
            ]
        ]
        assert after == before, "a refused request changed stored data"


# -- timeseries containers and timeseries references: the container's own permissions ----------

ANYONE = "anyone"  # `available` answers [] instead of refusing, as upstream
ALLOWED[ANYONE] = set(CALLERS) - {"anonymous"}
CSV_UPLOAD = {"csv": True}
TC = "/timeseriesContainers/{tc}"
TS_TUPLE = {"measurement": "m", "device": "d", "location": "l", "symbolicName": "s", "field": "f"}
TS_QUERY = "measurement=m&device=d&location=l&symbolic_name=s&field=f"
TS_RANGE = TS_QUERY + "&start=0&end=100"
TS_REF = DO + "/timeseriesReferences/{ts_ref}"


def _ts_reference_body(world: World) -> dict[str, Any]:
    return {
        "name": "t",
        "start": 0,
        "end": 100,
        "timeseries": [TS_TUPLE],
        "timeseriesContainerId": world.ids["tc"],
    }


TIMESERIES_OPS = [
    Op("GET", TC, READ, 200),
    Op("DELETE", TC, OWNER_ONLY, 204),
    Op("GET", TC + "/roles", READ, 200),
    Op("GET", TC + "/permissions", MANAGE, 200),
    Op("PUT", TC + "/permissions", MANAGE, 200, _permissions_body),
    Op("GET", TC + "/payload?" + TS_RANGE, READ, 200),
    Op(
        "POST",
        TC + "/payload",
        WRITE,
        201,
        {"timeseries": TS_TUPLE, "points": [{"timestamp": 50, "value": 2.5}]},
    ),
    Op("GET", TC + "/export?" + TS_RANGE, READ, 200),
    Op("POST", TC + "/import", WRITE, 200, CSV_UPLOAD),
    Op("GET", TC + "/timeseries", READ, 200),
    Op("GET", TC + "/timeseries/{channel}", READ, 200),
    Op("GET", TC + "/available", ANYONE, 200),
    Op("GET", DO + "/timeseriesReferences", READ, 200),
    Op("POST", DO + "/timeseriesReferences", WRITE, 201, _ts_reference_body),
    Op("GET", TS_REF, READ, 200),
    Op("DELETE", TS_REF, WRITE, 204),
    Op("GET", TS_REF + "/payload", READ, 200),
    Op("GET", TS_REF + "/export", READ, 200),
    Op("GET", TS_REF + "/metrics?" + TS_QUERY, READ, 200),
    Op("GET", TS_REF + "/metric?" + TS_QUERY + "&function=MAX", READ, 200),
]
TIMESERIES_SNAPSHOT_PATHS = (
    TC,
    TC + "/permissions",
    TC + "/timeseries",
    TC + "/payload?" + TS_RANGE,
    DO + "/timeseriesReferences",
)


async def _build_timeseries_world(
    client: httpx.AsyncClient, make_user: Callable[..., Awaitable[ApiUser]], permission_type: str
) -> tuple[World, dict[str, ApiUser]]:
    owner = await make_user()
    grants = {role: await make_user() for role in ("reader", "writer", "manager")}
    tc = (await _json(client, "POST", f"{API}/timeseriesContainers", owner, {"name": "ts"}))["id"]
    await _grant(client, f"/timeseriesContainers/{tc}", owner, grants, permission_type)
    points = {"timeseries": TS_TUPLE, "points": [{"timestamp": 10, "value": 1.5}]}
    await _json(client, "POST", f"{API}/timeseriesContainers/{tc}/payload", owner, points)
    channels = await _json(
        client, "GET", f"{API}/timeseriesContainers/{tc}/timeseries", owner, None
    )
    c = (await _json(client, "POST", f"{API}/collections", owner, {"name": "matrix"}))["id"]
    await _grant(client, f"/collections/{c}", owner, grants, permission_type)
    d = (await _json(client, "POST", f"{API}/collections/{c}/dataObjects", owner, {"name": "d"}))[
        "id"
    ]
    world = World(owner=owner, ids={"tc": tc, "c": c, "d": d, "channel": channels[0]["id"]})
    reference = await _json(
        client,
        "POST",
        f"{API}/collections/{c}/dataObjects/{d}/timeseriesReferences",
        owner,
        _ts_reference_body(world),
    )
    world.ids["ts_ref"] = reference["id"]
    return world, grants


async def _timeseries_snapshot(client: httpx.AsyncClient, world: World) -> list[Any]:
    state = []
    for path in TIMESERIES_SNAPSHOT_PATHS:
        response = await client.get(world.url(path), headers=world.owner.headers)
        state.append((response.status_code, response.json()))
    return state


@pytest.mark.parametrize("caller", CALLERS)
@pytest.mark.parametrize("op", TIMESERIES_OPS, ids=lambda op: op.id)
async def test_timeseries_matrix(
    client: httpx.AsyncClient, make_user: Callable[..., Awaitable[ApiUser]], op: Op, caller: str
) -> None:
    world, grants = await _build_timeseries_world(client, make_user, _permission_type(caller))
    headers = await _caller(caller, world, grants, make_user)
    before = await _timeseries_snapshot(client, world)
    if op.body is CSV_UPLOAD:
        csv = b"DEVICE,FIELD,LOCATION,MEASUREMENT,SYMBOLICNAME,TIMESTAMP,VALUE\nd,f,l,m,s,60,3.5\n"
        response = await client.request(
            op.method, world.url(op.path), headers=headers, files={"file": ("t.csv", csv)}
        )
    else:
        body = op.body(world) if callable(op.body) else op.body
        response = await client.request(op.method, world.url(op.path), headers=headers, json=body)
    if caller == "anonymous":
        expected = 401
    elif caller in ALLOWED[op.level]:
        expected = op.success
    else:
        expected = 403
    await _check(response, expected)
    if expected == 403:
        assert response.json()["exception"] == "InvalidAuthException"
    if expected >= 400:
        assert await _timeseries_snapshot(client, world) == before, (
            "a refused request changed stored data"
        )


# -- structured-data containers and references: the container's own permissions ----------------

SC = "/structuredDataContainers/{sc}"
SD_REF = DO + "/structuredDataReferences/{sd_ref}"


def _sd_reference_body(world: World) -> dict[str, Any]:
    return {
        "name": "s",
        "structuredDataContainerId": world.ids["sc"],
        "structuredDataOids": [world.oid],  # type: ignore[attr-defined]
    }


def _search_body(world: World) -> dict[str, Any]:
    return {
        "scopes": [{"collectionId": world.ids["c"], "traversalRules": []}],
        "searchParams": {"query": "n: {$gte: 1}", "queryType": "StructuredData"},
    }


STRUCTURED_OPS = [
    Op("GET", SC, READ, 200),
    Op("DELETE", SC, OWNER_ONLY, 204),
    Op("GET", SC + "/roles", READ, 200),
    Op("GET", SC + "/permissions", MANAGE, 200),
    Op("PUT", SC + "/permissions", MANAGE, 200, _permissions_body),
    Op("GET", SC + "/payload", READ, 200),
    Op("POST", SC + "/payload", WRITE, 201, {"payload": '{"n": 2}'}),
    Op("GET", SC + "/payload/{oid}", READ, 200),
    Op("DELETE", SC + "/payload/{oid}", WRITE, 204),
    Op("GET", DO + "/structuredDataReferences", READ, 200),
    Op("POST", DO + "/structuredDataReferences", WRITE, 201, _sd_reference_body),
    Op("GET", SD_REF, READ, 200),
    Op("DELETE", SD_REF, WRITE, 204),
    Op("GET", SD_REF + "/payload", READ, 200),
    Op("GET", SD_REF + "/payload/{oid}", READ, 200),
    Op("POST", "/search", ANYONE, 200, _search_body),  # finds only what the caller may read
]
STRUCTURED_SNAPSHOT_PATHS = (
    SC,
    SC + "/permissions",
    SC + "/payload",
    DO + "/structuredDataReferences",
)


async def _build_structured_world(
    client: httpx.AsyncClient, make_user: Callable[..., Awaitable[ApiUser]], permission_type: str
) -> tuple[FileWorld, dict[str, ApiUser]]:
    owner = await make_user()
    grants = {role: await make_user() for role in ("reader", "writer", "manager")}
    sc = (await _json(client, "POST", f"{API}/structuredDataContainers", owner, {"name": "sd"}))[
        "id"
    ]
    await _grant(client, f"/structuredDataContainers/{sc}", owner, grants, permission_type)
    stored = await _json(
        client,
        "POST",
        f"{API}/structuredDataContainers/{sc}/payload",
        owner,
        {"payload": '{"n": 1}'},
    )
    c = (await _json(client, "POST", f"{API}/collections", owner, {"name": "matrix"}))["id"]
    await _grant(client, f"/collections/{c}", owner, grants, permission_type)
    d = (await _json(client, "POST", f"{API}/collections/{c}/dataObjects", owner, {"name": "d"}))[
        "id"
    ]
    world = FileWorld(owner=owner, ids={"sc": sc, "c": c, "d": d}, oid=stored["oid"])
    reference = await _json(
        client,
        "POST",
        f"{API}/collections/{c}/dataObjects/{d}/structuredDataReferences",
        owner,
        _sd_reference_body(world),
    )
    world.ids["sd_ref"] = reference["id"]
    return world, grants


async def _structured_snapshot(client: httpx.AsyncClient, world: World) -> list[Any]:
    state = []
    for path in STRUCTURED_SNAPSHOT_PATHS:
        response = await client.get(world.url(path), headers=world.owner.headers)
        state.append((response.status_code, response.json()))
    return state


@pytest.mark.parametrize("caller", CALLERS)
@pytest.mark.parametrize("op", STRUCTURED_OPS, ids=lambda op: op.id)
async def test_structured_data_matrix(
    client: httpx.AsyncClient, make_user: Callable[..., Awaitable[ApiUser]], op: Op, caller: str
) -> None:
    world, grants = await _build_structured_world(client, make_user, _permission_type(caller))
    headers = await _caller(caller, world, grants, make_user)
    before = await _structured_snapshot(client, world)
    body = op.body(world) if callable(op.body) else op.body
    response = await client.request(op.method, world.url(op.path), headers=headers, json=body)
    if caller == "anonymous":
        expected = 401
    elif caller in ALLOWED[op.level]:
        expected = op.success
    else:
        expected = 403
    await _check(response, expected)
    if expected == 403:
        assert response.json()["exception"] == "InvalidAuthException"
        assert response.json()["message"].startswith(
            "The requested action is forbidden by the permission policies"
        )
    if op.path == "/search" and expected == 200:
        found = [triple["referenceId"] for triple in response.json()["resultSet"]]
        assert found == ([world.ids["sd_ref"]] if caller in ALLOWED[READ] else [])
    if expected >= 400:
        assert await _structured_snapshot(client, world) == before, (
            "a refused request changed stored data"
        )


# -- spatial-data containers and references: the container's own permissions -------------------

SPC = "/spatialDataContainers/{spc}"
SP_REF = DO + "/spatialDataReferences/{sp_ref}"
SP_POINT = {"timestamp": 1, "x": 1.0, "y": 2.0, "z": 3.0, "measurements": {"m": 1}, "metadata": {}}
# URL-encoded (no braces left for str.format)
SP_SPHERE = urllib.parse.quote('{"type":"BOUNDING_SPHERE","radius":10,"centerX":0,"centerY":0}')


def _sp_reference_body(world: World) -> dict[str, Any]:
    return {"name": "s", "spatialDataContainerId": world.ids["spc"], "limit": 5}


SPATIAL_OPS = [
    Op("GET", SPC, READ, 200),
    Op("DELETE", SPC, OWNER_ONLY, 200),
    Op("GET", SPC + "/roles", READ, 200),
    Op("GET", SPC + "/permissions", MANAGE, 200),
    Op("PUT", SPC + "/permissions", MANAGE, 200, _permissions_body),
    Op("GET", SPC + "/payload?geometryFilter=" + SP_SPHERE, READ, 200),
    Op("POST", SPC + "/payload", WRITE, 204, [SP_POINT]),
    Op("GET", DO + "/spatialDataReferences", READ, 200),
    Op("POST", DO + "/spatialDataReferences", WRITE, 201, _sp_reference_body),
    Op("GET", SP_REF, READ, 200),
    Op("DELETE", SP_REF, WRITE, 204),
    Op("GET", SP_REF + "/payload", READ, 200),
]
SPATIAL_SNAPSHOT_PATHS = (
    SPC,
    SPC + "/permissions",
    SPC + "/payload",
    DO + "/spatialDataReferences",
)


async def _build_spatial_world(
    client: httpx.AsyncClient, make_user: Callable[..., Awaitable[ApiUser]], permission_type: str
) -> tuple[World, dict[str, ApiUser]]:
    owner = await make_user()
    grants = {role: await make_user() for role in ("reader", "writer", "manager")}
    spc = (await _json(client, "POST", f"{API}/spatialDataContainers", owner, {"name": "sp"}))["id"]
    await _grant(client, f"/spatialDataContainers/{spc}", owner, grants, permission_type)
    stored = await client.post(
        f"{API}/spatialDataContainers/{spc}/payload", json=[SP_POINT], headers=owner.headers
    )
    assert stored.status_code == 204, stored.text
    c = (await _json(client, "POST", f"{API}/collections", owner, {"name": "matrix"}))["id"]
    await _grant(client, f"/collections/{c}", owner, grants, permission_type)
    d = (await _json(client, "POST", f"{API}/collections/{c}/dataObjects", owner, {"name": "d"}))[
        "id"
    ]
    world = World(owner=owner, ids={"spc": spc, "c": c, "d": d})
    reference = await _json(
        client,
        "POST",
        f"{API}/collections/{c}/dataObjects/{d}/spatialDataReferences",
        owner,
        _sp_reference_body(world),
    )
    world.ids["sp_ref"] = reference["id"]
    return world, grants


async def _spatial_snapshot(client: httpx.AsyncClient, world: World) -> list[Any]:
    state = []
    for path in SPATIAL_SNAPSHOT_PATHS:
        response = await client.get(world.url(path), headers=world.owner.headers)
        state.append((response.status_code, response.json()))
    return state


@pytest.mark.parametrize("caller", CALLERS)
@pytest.mark.parametrize("op", SPATIAL_OPS, ids=lambda op: op.id)
async def test_spatial_matrix(
    client: httpx.AsyncClient, make_user: Callable[..., Awaitable[ApiUser]], op: Op, caller: str
) -> None:
    world, grants = await _build_spatial_world(client, make_user, _permission_type(caller))
    headers = await _caller(caller, world, grants, make_user)
    before = await _spatial_snapshot(client, world)
    body = op.body(world) if callable(op.body) else op.body
    response = await client.request(op.method, world.url(op.path), headers=headers, json=body)
    if caller == "anonymous":
        expected = 401
    elif caller in ALLOWED[op.level]:
        expected = op.success
    else:
        expected = 403
    await _check(response, expected)
    if expected == 403:
        assert response.json()["exception"] == "InvalidAuthException"
        assert response.json()["message"].startswith(
            "The requested action is forbidden by the permission policies"
        )
    if expected >= 400:
        assert await _spatial_snapshot(client, world) == before, (
            "a refused request changed stored data"
        )


# -- semantic repositories and annotations (annotations: the annotated entity's permissions;
# repositories: any signed-in user, as upstream). A loopback SPARQL stub answers the lookups, so
# these run on an app that allows private endpoints (semantic_allow_private_endpoints).

ANNOTATED = {
    "c": "/collections/{c}/semanticAnnotations",
    "d": DO + "/semanticAnnotations",
    "r": DO + "/references/{uri_ref}/semanticAnnotations",
    "t": "/timeseriesContainers/{tc}/timeseries/{channel}/semanticAnnotations",
}


def _annotation_body(world: World) -> dict[str, Any]:
    return {
        "propertyIRI": INGREDIENT,
        "propertyRepositoryId": world.ids["repo"],
        "valueIRI": ALMOND_MILK,
        "valueRepositoryId": world.ids["repo"],
    }


@dataclass
class SemanticWorld(World):
    endpoint: str = ""


def _repository_body(world: SemanticWorld) -> dict[str, Any]:
    return {"name": f"repo-{uuid.uuid4()}", "type": "SPARQL", "endpoint": world.endpoint}


SEMANTIC_OPS = [
    op
    for key, path in ANNOTATED.items()
    for op in (
        Op("GET", path, READ, 200),
        Op("POST", path, WRITE, 201, _annotation_body),
        Op("GET", path + "/{ann_" + key + "}", READ, 200),
        Op("DELETE", path + "/{ann_" + key + "}", WRITE, 204),
    )
] + [
    Op("GET", "/semanticRepositories", ANYONE, 200),
    Op("POST", "/semanticRepositories", ANYONE, 201, _repository_body),
    Op("GET", "/semanticRepositories/{repo}", ANYONE, 200),
    Op("DELETE", "/semanticRepositories/{repo}", ANYONE, 204),
]


@pytest.fixture(scope="module")
def sparql() -> Iterator[SparqlStub]:
    with sparql_stub() as stub:
        yield stub


@pytest.fixture(scope="module")
async def semantic_client(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    application = create_app(settings.model_copy(update={"semantic_allow_private_endpoints": True}))
    transport = httpx.ASGITransport(app=application)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http
    await application.state.db.dispose()
    await application.state.http.aclose()


async def _build_semantic_world(
    client: httpx.AsyncClient,
    make_user: Callable[..., Awaitable[ApiUser]],
    permission_type: str,
    endpoint: str,
) -> tuple[SemanticWorld, dict[str, ApiUser]]:
    owner = await make_user()
    grants = {role: await make_user() for role in ("reader", "writer", "manager")}
    c = (await _json(client, "POST", f"{API}/collections", owner, {"name": "matrix"}))["id"]
    await _grant(client, f"/collections/{c}", owner, grants, permission_type)
    d = (await _json(client, "POST", f"{API}/collections/{c}/dataObjects", owner, {"name": "d"}))[
        "id"
    ]
    uri_ref = await _json(
        client,
        "POST",
        f"{API}/collections/{c}/dataObjects/{d}/uriReferences",
        owner,
        {"name": "u", "uri": "https://example.org"},
    )
    tc = (await _json(client, "POST", f"{API}/timeseriesContainers", owner, {"name": "ts"}))["id"]
    await _grant(client, f"/timeseriesContainers/{tc}", owner, grants, permission_type)
    points = {"timeseries": TS_TUPLE, "points": [{"timestamp": 10, "value": 1.5}]}
    await _json(client, "POST", f"{API}/timeseriesContainers/{tc}/payload", owner, points)
    channels = await _json(
        client, "GET", f"{API}/timeseriesContainers/{tc}/timeseries", owner, None
    )
    world = SemanticWorld(
        owner=owner,
        ids={"c": c, "d": d, "uri_ref": uri_ref["id"], "tc": tc, "channel": channels[0]["id"]},
        endpoint=endpoint,
    )
    world.ids["repo"] = (
        await _json(client, "POST", f"{API}/semanticRepositories", owner, _repository_body(world))
    )["id"]
    for key, path in ANNOTATED.items():
        annotation = await _json(client, "POST", world.url(path), owner, _annotation_body(world))
        world.ids[f"ann_{key}"] = annotation["id"]
    return world, grants


async def _semantic_snapshot(client: httpx.AsyncClient, world: World) -> list[Any]:
    state = []
    for path in (*ANNOTATED.values(), "/semanticRepositories/{repo}"):
        response = await client.get(world.url(path), headers=world.owner.headers)
        state.append((response.status_code, response.json()))
    return state


@pytest.mark.parametrize("caller", CALLERS)
@pytest.mark.parametrize("op", SEMANTIC_OPS, ids=lambda op: op.id)
async def test_semantic_matrix(
    semantic_client: httpx.AsyncClient,
    sparql: SparqlStub,
    make_user: Callable[..., Awaitable[ApiUser]],
    op: Op,
    caller: str,
) -> None:
    client = semantic_client
    world, grants = await _build_semantic_world(
        client, make_user, _permission_type(caller), sparql.url()
    )
    headers = await _caller(caller, world, grants, make_user)
    before = await _semantic_snapshot(client, world)
    body = op.body(world) if callable(op.body) else op.body
    response = await client.request(op.method, world.url(op.path), headers=headers, json=body)
    if caller == "anonymous":
        expected = 401
    elif caller in ALLOWED[op.level]:
        expected = op.success
    else:
        expected = 403
    await _check(response, expected)
    if expected == 403:
        assert response.json()["exception"] == "InvalidAuthException"
        assert response.json()["message"].startswith(
            "The requested action is forbidden by the permission policies"
        )
    if expected >= 400:
        assert await _semantic_snapshot(client, world) == before, (
            "a refused request changed stored data"
        )
