"""`GET /collections/{id}/export`, ported from upstream's ExportIT (5.4.0) and extended: the zip
is an RO-Crate 1.1 whose metadata graph lists every entity, file payloads are the stored bytes
(also from S3), timeseries CSVs equal the reference's CSV export, structured data is the stored
document, lab journal entries and authors (Person) are included, payloads the caller may not
read are left out, and the archive streams in chunks."""

from __future__ import annotations

import io
import json
import os
import zipfile
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from pyshepard.context.export import service as export
from pyshepard.context.export.archive import ZipStream
from pyshepard.core.config import Settings
from pyshepard.core.db import Database
from pyshepard.core.identity import Principal
from tests.api import files_support, timeseries_support
from tests.api.references_support import data_object_url
from tests.api.test_collections import create_collection, create_data_object
from tests.conftest import API, ApiUser
from tests.s3_support import S3Endpoint

SERIES = timeseries_support.TUPLE
START = timeseries_support.JAN_1_2024


def _export_url(collection_id: int) -> str:
    return f"{API}/collections/{collection_id}/export"


async def _export(client: httpx.AsyncClient, user: ApiUser, collection_id: int) -> zipfile.ZipFile:
    response = await client.get(_export_url(collection_id), headers=user.headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/octet-stream"
    assert response.headers["content-disposition"] == 'attachment; filename="export.zip"'
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    assert archive.testzip() is None
    return archive


def _graph(archive: zipfile.ZipFile) -> dict[str, dict[str, Any]]:
    metadata = json.loads(archive.read("ro-crate-metadata.json"))
    assert metadata["@context"] == "https://w3id.org/ro/crate/1.1/context"
    graph = {entity["@id"]: entity for entity in metadata["@graph"]}
    assert len(graph) == len(metadata["@graph"]), "duplicate @id in the graph"
    descriptor = graph["ro-crate-metadata.json"]
    assert descriptor["@type"] == "CreativeWork"
    assert descriptor["conformsTo"] == {"@id": "https://w3id.org/ro/crate/1.1"}
    assert descriptor["about"] == {"@id": "./"}
    assert graph["./"]["@type"] == "Dataset"
    assert graph["./"]["datePublished"]
    # every file of the zip is a part of the root dataset, and every part is in the zip
    parts = {part["@id"] for part in graph["./"]["hasPart"]}
    assert parts == set(archive.namelist()) - {"ro-crate-metadata.json"}
    for part in parts:
        assert graph[part]["@type"] == "File"
    # every author reference resolves to a Person entity
    for entity in graph.values():
        if "author" in entity:
            assert graph[entity["author"]["@id"]]["@type"] == "Person"
    return graph


async def test_export_of_collection_with_one_data_object_as_upstream(
    client: httpx.AsyncClient, user: ApiUser
) -> None:
    collection = await create_collection(client, user, name="ExportTestCollection")
    data_object = await create_data_object(client, user, collection["id"], name="ExportTestDO")
    archive = await _export(client, user, collection["id"])
    assert sorted(archive.namelist()) == sorted(
        [f"{collection['id']}.json", f"{data_object['id']}.json", "ro-crate-metadata.json"]
    )
    assert archive.namelist()[-1] == "ro-crate-metadata.json"
    graph = _graph(archive)
    assert graph["./"]["name"] == "ExportTestCollection Research Object Crate"
    assert graph["./"]["description"] == (
        "Research Object Crate representing the shepard Collection ExportTestCollection"
    )
    entity = graph[f"{collection['id']}.json"]
    assert entity["additionalType"] == "Collection"
    assert entity["name"] == "ExportTestCollection"
    assert entity["encodingFormat"] == "application/json"
    assert entity["dateCreated"] == collection["createdAt"]
    assert graph[f"{data_object['id']}.json"]["additionalType"] == "DataObject"
    # the JSON files are the entities as the REST API shows them
    fetched = await client.get(f"{API}/collections/{collection['id']}", headers=user.headers)
    assert json.loads(archive.read(f"{collection['id']}.json")) == fetched.json()
    fetched_do = await client.get(
        data_object_url(collection["id"], data_object["id"]), headers=user.headers
    )
    assert json.loads(archive.read(f"{data_object['id']}.json")) == fetched_do.json()
    person = graph[entity["author"]["@id"]]
    assert person["name"] == user.username


async def _timeseries_reference(
    client: httpx.AsyncClient, user: ApiUser, collection_id: int, data_object_id: int
) -> dict[str, Any]:
    container = await timeseries_support.create_container(client, user)
    points = [{"timestamp": START + i, "value": float(i) / 2} for i in range(5)]
    response = await timeseries_support.post_points(client, user, container["id"], points)
    assert response.status_code == 201, response.text
    response = await client.post(
        data_object_url(collection_id, data_object_id) + "/timeseriesReferences",
        json={
            "name": "temperatures",
            "start": START,
            "end": START + 10,
            "timeseries": [SERIES],
            "timeseriesContainerId": container["id"],
        },
        headers=user.headers,
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def _file_reference(
    client: httpx.AsyncClient,
    user: ApiUser,
    collection_id: int,
    data_object_id: int,
    files: list[tuple[str, bytes]],
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    container = await files_support.create_container(client, user)
    uploaded = [
        await files_support.upload(client, user, container["id"], data, name)
        for name, data in files
    ]
    response = await client.post(
        data_object_url(collection_id, data_object_id) + "/fileReferences",
        json={
            "name": "files",
            "fileContainerId": container["id"],
            "fileOids": [row["oid"] for row in uploaded],
        },
        headers=user.headers,
    )
    assert response.status_code == 201, response.text
    return response.json(), uploaded


async def _structured_reference(
    client: httpx.AsyncClient, user: ApiUser, collection_id: int, data_object_id: int
) -> tuple[dict[str, Any], dict[str, Any], str]:
    response = await client.post(
        f"{API}/structuredDataContainers", json={"name": "sd"}, headers=user.headers
    )
    assert response.status_code == 201, response.text
    container = response.json()
    document = '{"Hallo": "Welt", "n": [1, 2, 3]}'
    response = await client.post(
        f"{API}/structuredDataContainers/{container['id']}/payload",
        json={"structuredData": {"name": "greeting"}, "payload": document},
        headers=user.headers,
    )
    assert response.status_code == 201, response.text
    stored = response.json()
    response = await client.post(
        data_object_url(collection_id, data_object_id) + "/structuredDataReferences",
        json={
            "name": "structured",
            "structuredDataContainerId": container["id"],
            "structuredDataOids": [stored["oid"]],
        },
        headers=user.headers,
    )
    assert response.status_code == 201, response.text
    return response.json(), stored, document


async def test_export_with_every_kind_of_content(
    client: httpx.AsyncClient, make_user: Callable[..., Awaitable[ApiUser]]
) -> None:
    user = await make_user(first_name="Ada", last_name="Lovelace", email="ada@example.org")
    collection = await create_collection(client, user, description="all kinds")
    c = collection["id"]
    first = await create_data_object(client, user, c, name="first")
    second = await create_data_object(client, user, c, name="second", parentId=first["id"])
    base = data_object_url(c, first["id"])

    blob = os.urandom(300_000)
    file_ref, uploaded = await _file_reference(
        client, user, c, first["id"], [("data.tar.gz", blob), ("README", b"read me")]
    )
    ts_ref = await _timeseries_reference(client, user, c, first["id"])
    sd_ref, stored, document = await _structured_reference(client, user, c, second["id"])
    uri = await client.post(
        base + "/uriReferences",
        json={"name": "site", "uri": "https://example.org"},
        headers=user.headers,
    )
    col_ref = await client.post(
        base + "/collectionReferences",
        json={"name": "self", "referencedCollectionId": c},
        headers=user.headers,
    )
    entry = await client.post(
        f"{API}/labJournalEntries",
        params={"dataObjectId": second["id"]},
        json={"journalContent": "<p>measured <strong>twice</strong></p>"},
        headers=user.headers,
    )
    assert entry.status_code == 201

    archive = await _export(client, user, c)
    graph = _graph(archive)
    entities = {
        f"{c}.json": "Collection",
        f"{first['id']}.json": "DataObject",
        f"{second['id']}.json": "DataObject",
        f"{file_ref['id']}.json": "FileReference",
        f"{ts_ref['id']}.json": "TimeseriesReference",
        f"{sd_ref['id']}.json": "StructuredDataReference",
        f"{uri.json()['id']}.json": "URIReference",
        f"{col_ref.json()['id']}.json": "CollectionReference",
        f"{entry.json()['id']}.json": "LabJournalEntry",
    }
    for filename, kind in entities.items():
        assert graph[filename]["additionalType"] == kind, filename
        assert graph[filename]["author"] == {"@id": f"#{user.username}"}
    assert json.loads(archive.read(f"{entry.json()['id']}.json")) == entry.json()
    assert json.loads(archive.read(f"{file_ref['id']}.json")) == file_ref

    # file payloads: `<oid>.<extension after the first dot>` or the bare oid, bytes unchanged
    tarball, readme = uploaded
    assert archive.read(f"{tarball['oid']}.tar.gz") == blob
    assert archive.read(readme["oid"]) == b"read me"
    assert graph[f"{tarball['oid']}.tar.gz"]["name"] == "data.tar.gz"
    assert graph[f"{tarball['oid']}.tar.gz"]["contentSize"] == str(len(blob))

    # timeseries: the reference's own CSV export, byte for byte
    csv = await client.get(
        base + f"/timeseriesReferences/{ts_ref['id']}/export", headers=user.headers
    )
    assert csv.status_code == 200
    assert archive.read(f"{ts_ref['id']}.csv") == csv.content
    assert csv.content.startswith(b"DEVICE,FIELD,LOCATION,MEASUREMENT,SYMBOLICNAME,TIMESTAMP,VALUE")
    assert graph[f"{ts_ref['id']}.csv"]["encodingFormat"] == "text/csv"

    # structured data: the stored document, as the reference's payload endpoint serves it
    served = await client.get(
        data_object_url(c, second["id"])
        + f"/structuredDataReferences/{sd_ref['id']}/payload/{stored['oid']}",
        headers=user.headers,
    )
    assert served.status_code == 200
    exported = archive.read(f"{stored['oid']}.json")
    assert exported.decode() == served.json()["payload"]
    assert json.loads(document).items() <= json.loads(exported).items()
    assert graph[f"{stored['oid']}.json"]["name"] == "greeting"

    person = graph[f"#{user.username}"]
    assert person == {
        "@id": f"#{user.username}",
        "@type": "Person",
        "name": user.username,
        "email": "ada@example.org",
        "givenName": "Ada",
        "familyName": "Lovelace",
    }


async def test_payloads_the_reader_may_not_read_are_left_out(
    client: httpx.AsyncClient, user: ApiUser, other_user: ApiUser
) -> None:
    collection = await create_collection(client, user)
    c = collection["id"]
    data_object = await create_data_object(client, user, c)
    file_ref, uploaded = await _file_reference(
        client, user, c, data_object["id"], [("secret.txt", b"secret")]
    )
    response = await client.put(
        f"{API}/collections/{c}/permissions",
        json={
            "owner": user.username,
            "permissionType": "Private",
            "reader": [other_user.username],
            "writer": [],
            "manager": [],
            "readerGroupIds": [],
            "writerGroupIds": [],
        },
        headers=user.headers,
    )
    assert response.status_code == 200
    # the reader sees the reference but not the private file container's bytes
    archive = await _export(client, other_user, c)
    graph = _graph(archive)
    assert f"{file_ref['id']}.json" in graph
    assert f"{uploaded[0]['oid']}.txt" not in archive.namelist()
    owner_archive = await _export(client, user, c)
    assert owner_archive.read(f"{uploaded[0]['oid']}.txt") == b"secret"


async def test_a_file_whose_bytes_are_missing_is_left_out(
    client: httpx.AsyncClient, user: ApiUser, db: Database
) -> None:
    # found by fuzzing: the archive streams already, so a lost blob must not cut it off
    collection = await create_collection(client, user)
    c = collection["id"]
    data_object = await create_data_object(client, user, c)
    file_ref, uploaded = await _file_reference(
        client,
        user,
        c,
        data_object["id"],
        [("kept.txt", b"kept bytes"), ("lost.txt", f"lost {c}".encode())],
    )
    lost = uploaded[1]["oid"]
    async with db.sessions() as session:
        key = (
            await session.execute(
                text("SELECT blob_key FROM files WHERE oid = :oid"), {"oid": lost}
            )
        ).scalar_one()
    await db.blobs.delete(key)
    archive = await _export(client, user, c)
    assert archive.testzip() is None
    assert archive.read(f"{uploaded[0]['oid']}.txt") == b"kept bytes"
    assert f"{lost}.txt" not in archive.namelist()
    assert f"{file_ref['id']}.json" in _graph(archive)


async def test_file_names_never_make_entries_outside_the_archive_folder(
    client: httpx.AsyncClient, user: ApiUser
) -> None:
    collection = await create_collection(client, user)
    c = collection["id"]
    data_object = await create_data_object(client, user, c)
    _, uploaded = await _file_reference(
        client, user, c, data_object["id"], [("x./../../evil.sh", b"#!"), ("a.b\\c.txt", b"c")]
    )
    archive = await _export(client, user, c)
    oids = [file["oid"] for file in uploaded]
    assert archive.read(f"{oids[0]}._.._.._evil.sh") == b"#!"
    assert archive.read(f"{oids[1]}.b_c.txt") == b"c"
    assert not [name for name in archive.namelist() if "/" in name or "\\" in name]


async def test_deleted_entities_are_not_exported(client: httpx.AsyncClient, user: ApiUser) -> None:
    collection = await create_collection(client, user)
    c = collection["id"]
    kept = await create_data_object(client, user, c)
    gone = await create_data_object(client, user, c)
    response = await client.delete(data_object_url(c, gone["id"]), headers=user.headers)
    assert response.status_code == 204
    archive = await _export(client, user, c)
    assert f"{kept['id']}.json" in archive.namelist()
    assert f"{gone['id']}.json" not in archive.namelist()


async def test_errors(client: httpx.AsyncClient, user: ApiUser, other_user: ApiUser) -> None:
    collection = await create_collection(client, user)
    url = _export_url(collection["id"])
    assert (await client.get(url)).status_code == 401
    forbidden = await client.get(url, headers=other_user.headers)
    assert forbidden.status_code == 403
    assert forbidden.json()["exception"] == "InvalidAuthException"
    missing = await client.get(_export_url(999_999_999), headers=user.headers)
    assert missing.status_code == 404
    assert missing.json()["message"] == "ID ERROR - Collection with id 999999999 is null or deleted"
    for bad in ("-1", "abc", str(2**63)):
        response = await client.get(f"{API}/collections/{bad}/export", headers=user.headers)
        assert response.status_code == 400
        assert response.headers["content-type"].startswith("application/json")


async def test_zip_is_streamed_in_chunks(
    client: httpx.AsyncClient, user: ApiUser, db: Database
) -> None:
    """The service yields the archive piece by piece (the ASGI test transport itself buffers
    whole bodies, so this reads the service's stream directly)."""
    collection = await create_collection(client, user)
    data_object = await create_data_object(client, user, collection["id"])
    blob = os.urandom(3_000_000)  # incompressible: the entry is as large as the blob
    await _file_reference(client, user, collection["id"], data_object["id"], [("big.bin", blob)])
    actor = Principal(username=user.username, via="apikey")
    chunks = [chunk async for chunk in export.export_zip(db, actor, collection["id"]) if chunk]
    total = sum(len(chunk) for chunk in chunks)
    assert total > len(blob)
    assert len(chunks) > 3
    assert max(len(chunk) for chunk in chunks) < len(blob) // 2
    archive = zipfile.ZipFile(io.BytesIO(b"".join(chunks)))
    assert [archive.read(name) for name in archive.namelist() if name.endswith(".bin")] == [blob]


async def test_file_payloads_from_s3(settings: Settings, s3: S3Endpoint, user: ApiUser) -> None:
    """The same export with the blobs in an S3 bucket (moto server)."""
    async with files_support.s3_backend(settings, s3) as backend:
        client = backend.client
        collection = await create_collection(client, user)
        data_object = await create_data_object(client, user, collection["id"])
        blob = os.urandom(6 * 1024 * 1024 + 7)  # more than one S3 part
        _, uploaded = await _file_reference(
            client, user, collection["id"], data_object["id"], [("big.dat", blob)]
        )
        archive = await _export(client, user, collection["id"])
        assert archive.read(f"{uploaded[0]['oid']}.dat") == blob
        _graph(archive)


@pytest.mark.parametrize("size", [0, 1, 65_536, 1_000_001])
async def test_zip_stream_round_trip(size: int) -> None:
    data = os.urandom(size)

    async def chunks() -> Any:
        for start in range(0, len(data), 65_536):
            yield data[start : start + 65_536]

    archive = ZipStream()
    out = bytearray(await archive.add_bytes("a.json", b"{}"))
    async for chunk in archive.add_stream("blob", chunks(), size):
        out += chunk
    out += archive.finish()
    read = zipfile.ZipFile(io.BytesIO(bytes(out)))
    assert read.testzip() is None
    assert read.read("blob") == data
    assert read.read("a.json") == b"{}"
