"""Semantic repositories and annotations, ported from upstream's `SemanticRepositoryIT` and
extended: every annotated kind (timeseries channels too), the endpoint checks, label choice,
permissions and the refusal of private endpoints. The SPARQL endpoint is a real loopback HTTP
server (tests/sparql_stub.py); the app under test allows private endpoints, except where the
refusal itself is tested."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from pyshepard.app import create_app
from pyshepard.context.semantic.models import SemanticAnnotation, SemanticRepository
from pyshepard.core.config import Settings
from pyshepard.core.db import Database
from tests.conftest import API, ApiUser
from tests.sparql_stub import (
    ALMOND_MILK,
    FOREIGN,
    INGREDIENT,
    PLAIN,
    UNCLEAN,
    UNKNOWN,
    SparqlStub,
    sparql_stub,
)

REPOSITORIES = f"{API}/semanticRepositories"
TS_TUPLE = {"measurement": "m", "device": "d", "location": "l", "symbolicName": "s", "field": "f"}


@pytest.fixture(scope="module")
def stub() -> Iterator[SparqlStub]:
    with sparql_stub() as server:
        yield server


@pytest.fixture(scope="module")
async def semantic_app(settings: Settings) -> AsyncIterator[Any]:
    """The server with loopback SPARQL endpoints allowed (semantic_allow_private_endpoints)."""
    application = create_app(settings.model_copy(update={"semantic_allow_private_endpoints": True}))
    yield application
    await application.state.db.dispose()
    await application.state.http.aclose()


@pytest.fixture
async def api(semantic_app: Any) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=semantic_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http


def unique(prefix: str = "repo") -> str:
    return f"{prefix}-{uuid.uuid4()}"


async def ok(response: httpx.Response, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json() if response.content else None


async def create_repository(
    api: httpx.AsyncClient, user: ApiUser, stub: SparqlStub, name: str | None = None
) -> dict[str, Any]:
    body = {"name": name or unique(), "type": "SPARQL", "endpoint": stub.url()}
    created: dict[str, Any] = await ok(
        await api.post(REPOSITORIES, json=body, headers=user.headers), 201
    )
    return created


def annotation_body(
    repository_id: int, property_iri: str = INGREDIENT, value_iri: str = ALMOND_MILK
) -> dict[str, Any]:
    return {
        "propertyIRI": property_iri,
        "propertyRepositoryId": repository_id,
        "valueIRI": value_iri,
        "valueRepositoryId": repository_id,
    }


async def world(api: httpx.AsyncClient, user: ApiUser) -> dict[str, str]:
    """A collection, a data object, a reference on it and a timeseries channel: their
    semanticAnnotations URLs."""
    c = (
        await ok(
            await api.post(f"{API}/collections", json={"name": unique("c")}, headers=user.headers),
            201,
        )
    )["id"]
    d = (
        await ok(
            await api.post(
                f"{API}/collections/{c}/dataObjects", json={"name": "d"}, headers=user.headers
            ),
            201,
        )
    )["id"]
    ref_body = {"name": "r", "referencedDataObjectId": d}
    r = (
        await ok(
            await api.post(
                f"{API}/collections/{c}/dataObjects/{d}/dataObjectReferences",
                json=ref_body,
                headers=user.headers,
            ),
            201,
        )
    )["id"]
    tc = (
        await ok(
            await api.post(
                f"{API}/timeseriesContainers", json={"name": "ts"}, headers=user.headers
            ),
            201,
        )
    )["id"]
    points = {"timeseries": TS_TUPLE, "points": [{"timestamp": 10, "value": 1.5}]}
    await ok(
        await api.post(
            f"{API}/timeseriesContainers/{tc}/payload", json=points, headers=user.headers
        ),
        201,
    )
    channel = (
        await ok(await api.get(f"{API}/timeseriesContainers/{tc}/timeseries", headers=user.headers))
    )[0]["id"]
    return {
        "collection": f"{API}/collections/{c}/semanticAnnotations",
        "dataObject": f"{API}/collections/{c}/dataObjects/{d}/semanticAnnotations",
        "reference": f"{API}/collections/{c}/dataObjects/{d}/references/{r}/semanticAnnotations",
        "timeseries": f"{API}/timeseriesContainers/{tc}/timeseries/{channel}/semanticAnnotations",
        "c": str(c),
        "tc": str(tc),
    }


KINDS = ("collection", "dataObject", "reference", "timeseries")


async def count_annotations(db: Database) -> int:
    async with db.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(SemanticAnnotation)) or 0)


# -- SemanticRepositoryIT, in its order ----------------------------------------------------------


async def test_semantic_repository_it(
    api: httpx.AsyncClient, user: ApiUser, stub: SparqlStub
) -> None:
    name = unique()
    repository = await create_repository(api, user, stub, name)
    assert isinstance(repository["id"], int)
    assert repository["createdAt"] is not None
    assert repository["createdBy"] == user.username
    assert repository["type"] == "SPARQL"
    assert repository["endpoint"] == stub.url()
    assert repository["name"] == name
    assert repository["updatedAt"] is None
    assert repository["updatedBy"] is None

    listed = await ok(await api.get(REPOSITORIES, headers=user.headers))
    assert repository in listed
    assert (
        await ok(await api.get(f"{REPOSITORIES}/{repository['id']}", headers=user.headers))
        == repository
    )

    missing = await api.get(f"{REPOSITORIES}/99999", headers=user.headers)
    assert missing.status_code == 404
    assert missing.json() == {
        "status": 404,
        "exception": "InvalidPathException",
        "message": "ID ERROR - Semantic Repository with id 99999 is null or deleted",
    }

    urls = await world(api, user)
    created = {}
    for kind in KINDS:
        annotation = await ok(
            await api.post(
                urls[kind], json=annotation_body(repository["id"]), headers=user.headers
            ),
            201,
        )
        assert isinstance(annotation["id"], int)
        assert annotation["name"] == "ingredient::Almond milk"
        assert annotation["propertyName"] == "ingredient"
        assert annotation["valueName"] == "Almond milk"
        assert annotation["propertyIRI"] == INGREDIENT
        assert annotation["valueIRI"] == ALMOND_MILK
        assert annotation["propertyRepositoryId"] == repository["id"]
        assert annotation["valueRepositoryId"] == repository["id"]
        created[kind] = annotation

    for kind in KINDS:
        assert await ok(await api.get(urls[kind], headers=user.headers)) == [created[kind]]
        item = f"{urls[kind]}/{created[kind]['id']}"
        assert await ok(await api.get(item, headers=user.headers)) == created[kind]

    for kind in ("collection", "dataObject", "reference"):
        response = await api.get(f"{urls[kind]}/99999", headers=user.headers)
        assert response.status_code == 404
        assert response.json() == {
            "status": 404,
            "exception": "NotFoundException",  # JAX-RS' own, as upstream throws it here
            "message": "ID ERROR - Semantic Annotation with id 99999 is null or deleted",
        }
    response = await api.get(f"{urls['timeseries']}/99999", headers=user.headers)
    assert response.status_code == 404
    assert response.json()["message"] == "No semantic annotation found with id 99999"
    assert response.json()["exception"] == "NotFoundException"

    # an annotation of something else is not served through this entity's path
    others = {
        "collection": "dataObject",
        "dataObject": "collection",
        "reference": "collection",
        "timeseries": "collection",
    }
    for kind, other in others.items():
        for method in ("GET", "DELETE"):
            response = await api.request(
                method, f"{urls[kind]}/{created[other]['id']}", headers=user.headers
            )
            assert response.status_code == 404, (kind, method)
            assert response.json()["message"] == (
                "ID ERROR - There is no association between annotation and entity"
            )

    # upstream's (commented-out) deleteSemanticAnnotation / getIllegalPath / deleteRepository
    for kind in KINDS:
        await ok(await api.delete(f"{urls[kind]}/{created[kind]['id']}", headers=user.headers), 204)
        assert await ok(await api.get(urls[kind], headers=user.headers)) == []
        gone = await api.get(f"{urls[kind]}/{created[kind]['id']}", headers=user.headers)
        assert gone.status_code == 404
    illegal = await api.get(
        f"{API}/semanticAnnotations/{created['reference']['id']}", headers=user.headers
    )
    assert illegal.status_code == 404

    await ok(await api.delete(f"{REPOSITORIES}/{repository['id']}", headers=user.headers), 204)
    assert (
        await api.get(f"{REPOSITORIES}/{repository['id']}", headers=user.headers)
    ).status_code == 404
    assert repository["id"] not in [
        r["id"] for r in await ok(await api.get(REPOSITORIES, headers=user.headers))
    ]
    again = await api.delete(f"{REPOSITORIES}/{repository['id']}", headers=user.headers)
    assert again.status_code == 404


async def test_create_sends_upstreams_queries(
    api: httpx.AsyncClient, user: ApiUser, stub: SparqlStub
) -> None:
    repository = await create_repository(api, user, stub)
    assert ("/sparql", "ASK { ?x ?y ?z }") in stub.queries
    urls = await world(api, user)
    await ok(
        await api.post(
            urls["collection"], json=annotation_body(repository["id"]), headers=user.headers
        ),
        201,
    )
    assert stub.asked_about(INGREDIENT)
    assert stub.asked_about(ALMOND_MILK)


# -- repositories: list parameters, bad input ---------------------------------------------------


async def test_repository_list_filters_orders_and_pages(
    api: httpx.AsyncClient, user: ApiUser, stub: SparqlStub
) -> None:
    prefix = unique("list")
    ids = [(await create_repository(api, user, stub, f"{prefix}-{n}"))["id"] for n in "bca"]
    exact = await ok(
        await api.get(REPOSITORIES, params={"name": f"{prefix}-c"}, headers=user.headers)
    )
    assert [r["id"] for r in exact] == [ids[1]]

    everything = await ok(
        await api.get(
            REPOSITORIES, params={"orderBy": "name", "orderDesc": "true"}, headers=user.headers
        )
    )
    mine = [r["name"] for r in everything if r["name"].startswith(prefix)]
    assert mine == [f"{prefix}-c", f"{prefix}-b", f"{prefix}-a"]

    by_creation = await ok(
        await api.get(REPOSITORIES, params={"orderBy": "createdAt"}, headers=user.headers)
    )
    assert [r["id"] for r in by_creation if r["id"] in ids] == ids

    page = await ok(
        await api.get(REPOSITORIES, params={"page": 0, "size": 1}, headers=user.headers)
    )
    assert len(page) == 1
    only_page = await ok(await api.get(REPOSITORIES, params={"page": 0}, headers=user.headers))
    assert len(only_page) >= 3  # paging needs both page and size

    for params in ({"orderBy": "endpoint"}, {"page": -1}, {"size": "x"}, {"orderDesc": "maybe"}):
        response = await api.get(REPOSITORIES, params=params, headers=user.headers)
        assert response.status_code == 400, params
        assert response.json()["title"] == "Constraint Violation"


async def test_repository_path_ids_are_validated(api: httpx.AsyncClient, user: ApiUser) -> None:
    for bad in ("-1", "abc", str(2**63)):
        response = await api.get(f"{REPOSITORIES}/{bad}", headers=user.headers)
        assert response.status_code == 400, bad
        assert (await api.delete(f"{REPOSITORIES}/{bad}", headers=user.headers)).status_code == 400


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"type": "SPARQL", "endpoint": "not a url"}, "Invalid endpoint"),
        ({"type": "SPARQL", "endpoint": "ftp://127.0.0.1/sparql"}, "Invalid endpoint"),
        ({"type": "SPARQL", "endpoint": "http://127.0.0.1:99999/sparql"}, "Invalid endpoint"),
        ({"type": "SPARQL", "endpoint": "STUB/false"}, "Invalid endpoint"),
        ({"type": "SPARQL", "endpoint": "STUB/broken"}, "Invalid endpoint"),
        ({"type": "SPARQL", "endpoint": "STUB/garbage"}, "Invalid endpoint"),
        ({"type": "SPARQL", "endpoint": "STUB/nothing-here"}, "Invalid endpoint"),
        (
            {"type": "JSKOS", "endpoint": "STUB/sparql"},
            "Repository Type JSKOS is not yet implemented",
        ),
        (
            {"type": "SKOSMOS", "endpoint": "STUB/sparql"},
            "Repository Type SKOSMOS is not yet implemented",
        ),
    ],
)
async def test_unusable_endpoints_are_refused(
    api: httpx.AsyncClient, user: ApiUser, stub: SparqlStub, body: dict[str, str], message: str
) -> None:
    name = unique()
    body = {**body, "name": name, "endpoint": body["endpoint"].replace("STUB", stub.base)}
    response = await api.post(REPOSITORIES, json=body, headers=user.headers)
    assert response.status_code == 400
    assert response.json() == {
        "status": 400,
        "exception": "InvalidBodyException",
        "message": message,
    }
    assert await ok(await api.get(REPOSITORIES, params={"name": name}, headers=user.headers)) == []


@pytest.mark.parametrize(
    "body",
    [
        {"type": "SPARQL", "endpoint": "STUB/sparql"},
        {"name": " ", "type": "SPARQL", "endpoint": "STUB/sparql"},
        {"name": "NAME", "endpoint": "STUB/sparql"},
        {"name": "NAME", "type": "sparql", "endpoint": "STUB/sparql"},
        {"name": "NAME", "type": "SPARQL"},
        {"name": "NAME", "type": "SPARQL", "endpoint": "  "},
        {"name": "NAME\u0000", "type": "SPARQL", "endpoint": "STUB/sparql"},
    ],
)
async def test_malformed_repository_bodies_are_400(
    api: httpx.AsyncClient, user: ApiUser, stub: SparqlStub, body: dict[str, str]
) -> None:
    name = unique()
    sent = {k: v.replace("STUB", stub.base).replace("NAME", name) for k, v in body.items()}
    response = await api.post(REPOSITORIES, json=sent, headers=user.headers)
    assert response.status_code == 400
    assert response.json()["title"] == "Constraint Violation"
    assert await ok(await api.get(REPOSITORIES, params={"name": name}, headers=user.headers)) == []
    broken = await api.post(
        REPOSITORIES, content=b"{", headers={**user.headers, "Content-Type": "application/json"}
    )
    assert broken.status_code == 400


async def test_repositories_need_authentication(
    api: httpx.AsyncClient, user: ApiUser, stub: SparqlStub
) -> None:
    repository = await create_repository(api, user, stub)
    name = unique()
    body = {"name": name, "type": "SPARQL", "endpoint": stub.url()}
    assert (await api.post(REPOSITORIES, json=body)).status_code == 401
    assert (await api.get(REPOSITORIES)).status_code == 401
    assert (await api.get(f"{REPOSITORIES}/{repository['id']}")).status_code == 401
    assert (await api.delete(f"{REPOSITORIES}/{repository['id']}")).status_code == 401
    assert await ok(await api.get(REPOSITORIES, params={"name": name}, headers=user.headers)) == []
    still = await ok(await api.get(f"{REPOSITORIES}/{repository['id']}", headers=user.headers))
    assert still == repository


async def test_any_user_reads_and_deletes_repositories_as_upstream(
    api: httpx.AsyncClient, user: ApiUser, other_user: ApiUser, stub: SparqlStub
) -> None:
    repository = await create_repository(api, user, stub)
    seen = await ok(await api.get(f"{REPOSITORIES}/{repository['id']}", headers=other_user.headers))
    assert seen == repository
    await ok(
        await api.delete(f"{REPOSITORIES}/{repository['id']}", headers=other_user.headers), 204
    )
    assert (
        await api.get(f"{REPOSITORIES}/{repository['id']}", headers=user.headers)
    ).status_code == 404


# -- annotations: lookups and bad input ---------------------------------------------------------


@pytest.mark.parametrize(
    ("property_iri", "value_iri", "names"),
    [
        (PLAIN, FOREIGN, ("plain", "fremd")),  # untagged label first; else the first answer
        (ALMOND_MILK, PLAIN, ("Almond milk", "plain")),  # English when there is no untagged one
        # NUL dropped, a lone surrogate replaced: stored alike on both backends
        (UNCLEAN, PLAIN, ("ab\ufffdc", "plain")),
    ],
)
async def test_label_choice(
    *,
    api: httpx.AsyncClient,
    user: ApiUser,
    stub: SparqlStub,
    property_iri: str,
    value_iri: str,
    names: tuple[str, str],
) -> None:
    repository = await create_repository(api, user, stub)
    urls = await world(api, user)
    body = annotation_body(repository["id"], property_iri, value_iri)
    annotation = await ok(await api.post(urls["dataObject"], json=body, headers=user.headers), 201)
    assert (annotation["propertyName"], annotation["valueName"]) == names
    assert annotation["name"] == f"{names[0]}::{names[1]}"


async def test_annotation_refusals_store_nothing(
    api: httpx.AsyncClient, user: ApiUser, stub: SparqlStub, db: Database
) -> None:
    repository = await create_repository(api, user, stub)
    deleted = await create_repository(api, user, stub)
    await ok(await api.delete(f"{REPOSITORIES}/{deleted['id']}", headers=user.headers), 204)
    silent = await create_repository(api, user, stub)
    urls = await world(api, user)
    before = await count_annotations(db)
    rid = repository["id"]
    cases: list[tuple[dict[str, Any], int, str | None]] = [
        (annotation_body(rid, UNKNOWN, ALMOND_MILK), 400, "term could not be found"),
        (annotation_body(rid, INGREDIENT, UNKNOWN), 400, "term could not be found"),
        (
            {**annotation_body(rid), "propertyRepositoryId": 99999},
            404,
            "ID ERROR - Semantic Repository with id 99999 is null or deleted",
        ),
        (
            {**annotation_body(rid), "valueRepositoryId": deleted["id"]},
            404,
            f"ID ERROR - Semantic Repository with id {deleted['id']} is null or deleted",
        ),
        ({**annotation_body(rid), "propertyIRI": " "}, 400, None),
        ({**annotation_body(rid), "valueIRI": None}, 400, None),
        ({**annotation_body(rid), "propertyIRI": INGREDIENT + "> } ASK { ?a ?b ?c"}, 400, None),
        ({**annotation_body(rid), "valueIRI": "http://e.org/a b"}, 400, None),
        ({k: v for k, v in annotation_body(rid).items() if k != "valueRepositoryId"}, 400, None),
        ({**annotation_body(rid), "propertyRepositoryId": "x"}, 400, None),
        ({**annotation_body(rid), "propertyRepositoryId": 2**63}, 400, None),
    ]
    for kind in ("collection", "reference"):
        for body, status, message in cases:
            response = await api.post(urls[kind], json=body, headers=user.headers)
            assert response.status_code == status, (kind, body, response.text)
            if message is not None:
                assert response.json()["message"] == message
    assert not stub.asked_about("ASK { ?a ?b ?c")
    timeseries = await api.post(
        urls["timeseries"],
        json={**annotation_body(rid), "valueRepositoryId": 99999},
        headers=user.headers,
    )
    assert timeseries.status_code == 404
    assert timeseries.json()["message"] == "No semantic repository found with id 99999"
    # a repository whose endpoint stopped answering: the lookup fails, nothing is stored
    async with db.sessions() as session, session.begin():
        row = await session.get(SemanticRepository, silent["id"])
        assert row is not None
        row.endpoint = stub.url("/broken")
    response = await api.post(
        urls["dataObject"], json=annotation_body(silent["id"]), headers=user.headers
    )
    assert response.status_code == 400
    assert response.json()["message"] == "term could not be found"
    assert await count_annotations(db) == before
    for kind in KINDS:
        assert await ok(await api.get(urls[kind], headers=user.headers)) == []


async def test_annotation_paths_are_checked(
    api: httpx.AsyncClient, user: ApiUser, stub: SparqlStub
) -> None:
    repository = await create_repository(api, user, stub)
    urls = await world(api, user)
    c, tc = urls["c"], urls["tc"]
    gone = "ID ERROR - {} with id {} is null or deleted"
    reference = urls["dataObject"].replace("/semanticAnnotations", "/references/99999/")
    channel = f"{API}/timeseriesContainers/{tc}/timeseries/2147483647/"
    missing = {
        f"{API}/collections/99999/": gone.format("Collection", 99999),
        f"{API}/collections/{c}/dataObjects/99999/": gone.format("DataObject", 99999),
        reference: gone.format("Basic Reference", 99999),
        f"{API}/timeseriesContainers/99999/timeseries/1/": None,
        channel: gone.format("Timeseries", f"2147483647 in container {tc}"),
    }
    missing = {url + "semanticAnnotations": message for url, message in missing.items()}
    for url, message in missing.items():
        for method, body in (("GET", None), ("POST", annotation_body(repository["id"]))):
            response = await api.request(method, url, json=body, headers=user.headers)
            assert response.status_code == 404, (method, url, response.text)
            if message is not None:
                assert response.json()["message"] == message
    bad = [
        f"{API}/collections/-1/semanticAnnotations",
        f"{urls['collection']}/x",
        f"{API}/timeseriesContainers/{tc}/timeseries/2147483648/semanticAnnotations",
    ]
    for url in bad:
        response = await api.get(url, headers=user.headers)
        assert response.status_code == 400, url
        assert response.json()["title"] == "Constraint Violation"


async def test_annotations_follow_the_entity_permissions(
    api: httpx.AsyncClient, make_user: Any, stub: SparqlStub
) -> None:
    owner, reader, stranger = await make_user(), await make_user(), await make_user()
    repository = await create_repository(api, owner, stub)
    urls = await world(api, owner)
    grant = {
        "owner": owner.username,
        "permissionType": "Private",
        "reader": [reader.username],
        "writer": [],
        "readerGroupIds": [],
        "writerGroupIds": [],
        "manager": [],
    }
    await ok(
        await api.put(
            f"{API}/collections/{urls['c']}/permissions", json=grant, headers=owner.headers
        )
    )
    await ok(
        await api.put(
            f"{API}/timeseriesContainers/{urls['tc']}/permissions",
            json=grant,
            headers=owner.headers,
        )
    )
    body = annotation_body(repository["id"])
    for kind in KINDS:
        created = await ok(await api.post(urls[kind], json=body, headers=owner.headers), 201)
        item = f"{urls[kind]}/{created['id']}"
        assert await ok(await api.get(urls[kind], headers=reader.headers)) == [created]
        assert await ok(await api.get(item, headers=reader.headers)) == created
        for method, url, payload in (("POST", urls[kind], body), ("DELETE", item, None)):
            refused = await api.request(method, url, json=payload, headers=reader.headers)
            assert refused.status_code == 403, (kind, method)
        for method, url, payload in (
            ("GET", urls[kind], None),
            ("GET", item, None),
            ("POST", urls[kind], body),
            ("DELETE", item, None),
        ):
            refused = await api.request(method, url, json=payload, headers=stranger.headers)
            assert refused.status_code == 403, (kind, method)
            assert (await api.request(method, url, json=payload)).status_code == 401
        assert await ok(await api.get(urls[kind], headers=owner.headers)) == [created]


async def test_annotations_go_with_their_timeseries_channel(
    api: httpx.AsyncClient, user: ApiUser, stub: SparqlStub, db: Database
) -> None:
    repository = await create_repository(api, user, stub)
    urls = await world(api, user)
    created = await ok(
        await api.post(
            urls["timeseries"], json=annotation_body(repository["id"]), headers=user.headers
        ),
        201,
    )
    await ok(
        await api.delete(f"{API}/timeseriesContainers/{urls['tc']}", headers=user.headers), 204
    )
    async with db.sessions() as session:
        assert await session.get(SemanticAnnotation, created["id"]) is None


async def test_lookups_hold_no_write_lock(
    api: httpx.AsyncClient, user: ApiUser, stub: SparqlStub
) -> None:
    """While an annotation waits for a slow endpoint, other writes go through."""
    slow = {"name": unique(), "type": "SPARQL", "endpoint": stub.url("/slow")}
    repository = await ok(await api.post(REPOSITORIES, json=slow, headers=user.headers), 201)
    urls = await world(api, user)

    async def write() -> float:
        await asyncio.sleep(0.2)
        started = asyncio.get_running_loop().time()
        await ok(
            await api.post(f"{API}/collections", json={"name": unique("w")}, headers=user.headers),
            201,
        )
        return asyncio.get_running_loop().time() - started

    annotate = api.post(
        urls["collection"], json=annotation_body(repository["id"]), headers=user.headers
    )
    annotated, waited = await asyncio.gather(annotate, write())
    assert annotated.status_code == 201, annotated.text
    assert waited < 0.9  # the stub takes 1 s per lookup; a held lock would make the write wait


# -- private endpoints, with the default settings -----------------------------------------------


async def test_private_endpoints_are_refused_by_default(
    client: httpx.AsyncClient, api: httpx.AsyncClient, user: ApiUser, stub: SparqlStub
) -> None:
    name = unique()
    for endpoint in (stub.url(), "http://localhost:1/sparql", "http://10.1.2.3/sparql"):
        body = {"name": name, "type": "SPARQL", "endpoint": endpoint}
        response = await client.post(REPOSITORIES, json=body, headers=user.headers)
        assert response.status_code == 400, endpoint
        assert "semantic_allow_private_endpoints" in response.json()["message"]
    assert (
        await ok(await client.get(REPOSITORIES, params={"name": name}, headers=user.headers)) == []
    )
    assert not any(path == "/sparql" and name in query for path, query in stub.queries)

    # a repository registered where allowed is not queried by a server that refuses
    repository = await create_repository(api, user, stub)
    urls = await world(api, user)
    asked = len(stub.queries)
    response = await client.post(
        urls["collection"], json=annotation_body(repository["id"]), headers=user.headers
    )
    assert response.status_code == 400
    assert "semantic_allow_private_endpoints" in response.json()["message"]
    assert len(stub.queries) == asked
    assert await ok(await client.get(urls["collection"], headers=user.headers)) == []
