"""CSV import and export (port of upstream's TimeseriesCsvServiceTest against the sample files,
plus COLUMN format, broken files and all-or-nothing imports)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from pyshepard.core.db import Database
from tests.api.timeseries_support import (
    CONTAINERS,
    JAN_1_2024,
    SECOND,
    TEST_DATA,
    TUPLE,
    create_container,
    get_points,
    post_points,
    query_of,
    stored_state,
)
from tests.conftest import ApiUser

EXPERIMENTAL = {
    "device": "device",
    "location": "location",
    "symbolicName": "symbolicName",
    "field": "field",
}


async def _import(
    client: httpx.AsyncClient, user: ApiUser, container_id: int, content: bytes
) -> httpx.Response:
    return await client.post(
        f"{CONTAINERS}/{container_id}/import",
        files={"file": ("data.csv", content, "text/csv")},
        headers=user.headers,
    )


async def _export(
    client: httpx.AsyncClient,
    user: ApiUser,
    container_id: int,
    timeseries: dict[str, str],
    window: tuple[int, int],
    **extra: Any,
) -> httpx.Response:
    return await client.get(
        f"{CONTAINERS}/{container_id}/export",
        params=query_of(timeseries, *window, **extra),
        headers=user.headers,
    )


async def test_import_experimental_file_and_export_like_upstream(
    client: httpx.AsyncClient, user: ApiUser
) -> None:
    container = await create_container(client, user)
    imported = await _import(
        client,
        user,
        container["id"],
        (TEST_DATA / "timeseries_import_experimental.csv").read_bytes(),
    )
    assert (imported.status_code, imported.content) == (200, b"")
    channels = await client.get(f"{CONTAINERS}/{container['id']}/timeseries", headers=user.headers)
    assert sorted((c["measurement"], c["valueType"]) for c in channels.json()) == [
        ("int_level", "Integer"),
        ("motion", "Boolean"),
        ("status", "String"),
        ("water_level", "Double"),
    ]
    for measurement in ("boolean", "double", "string"):
        name = {"boolean": "motion", "double": "water_level", "string": "status"}[measurement]
        exported = await _export(
            client,
            user,
            container["id"],
            {**EXPERIMENTAL, "measurement": name},
            (JAN_1_2024, JAN_1_2024 + 10 * SECOND),
        )
        assert exported.status_code == 200
        assert exported.headers["content-type"] == "application/octet-stream"
        assert exported.headers["content-disposition"] == (
            'attachment; filename="timeseries-export.csv"'
        )
        expected = (TEST_DATA / f"timeseries_export_experimental_{measurement}.csv").read_bytes()
        # upstream's files lack the final line end its writer emits
        assert exported.content == expected + b"\n"


async def test_import_sample_keeps_doubles(client: httpx.AsyncClient, user: ApiUser) -> None:
    container = await create_container(client, user)
    imported = await _import(
        client, user, container["id"], (TEST_DATA / "timeseries_import.csv").read_bytes()
    )
    assert imported.status_code == 200
    channel = {
        "measurement": "apartment",
        "device": "temp-sensor",
        "location": "living-room",
        "symbolicName": "my-favorite",
        "field": "temperature",
    }
    read = await get_points(client, user, container["id"], 0, 2**62, timeseries=channel)
    assert [p["value"] for p in read.json()["points"]] == [
        21.200000762939453,
        21.017452406437283,
        22.0348994967025,
    ]


async def test_export_reproduces_upstream_file_byte_for_byte(
    client: httpx.AsyncClient, user: ApiUser
) -> None:
    """One channel of upstream's `timeseries_export.csv`, re-exported, is that file's lines."""
    source = (TEST_DATA / "timeseries_export.csv").read_bytes()
    container = await create_container(client, user)
    assert (await _import(client, user, container["id"], source)).status_code == 200
    channel = {
        "measurement": "MyMeas",
        "device": "MyDev",
        "location": "MyLoc",
        "symbolicName": "MySymName",
        "field": "value",
    }
    exported = await _export(client, user, container["id"], channel, (0, 2**62))
    lines = source.decode().splitlines(keepends=True)
    assert exported.content.decode() == lines[0] + "".join(lines[2:])


async def test_column_format(client: httpx.AsyncClient, user: ApiUser) -> None:
    container = await create_container(client, user)
    await post_points(
        client,
        user,
        container["id"],
        [{"timestamp": 1, "value": 1.5}, {"timestamp": 3, "value": 1e7}],
    )
    exported = await _export(client, user, container["id"], TUPLE, (0, 10), csv_format="COLUMN")
    assert exported.content == (
        b"timestamp,temperature-device-location-symbolicName-field\n1,1.5\n3,1.0E7\n"
    )
    empty = await _export(client, user, container["id"], TUPLE, (100, 200), csv_format="COLUMN")
    assert empty.content == b"timestamp,temperature-device-location-symbolicName-field\n"
    row_empty = await _export(client, user, container["id"], TUPLE, (100, 200))
    assert row_empty.content == b""


async def test_export_quotes_like_opencsv_and_aggregates(
    client: httpx.AsyncClient, user: ApiUser
) -> None:
    container = await create_container(client, user)
    channel = {**TUPLE, "field": "text"}
    await post_points(
        client, user, container["id"], [{"timestamp": 1, "value": 'say "hi", twice'}], channel
    )
    exported = await _export(client, user, container["id"], channel, (0, 10))
    assert exported.content.decode().splitlines()[1] == (
        'device,text,location,temperature,symbolicName,1,"say ""hi"", twice"'
    )
    await post_points(
        client, user, container["id"], [{"timestamp": t, "value": t} for t in range(10)]
    )
    summed = await _export(client, user, container["id"], TUPLE, (0, 9), function="SUM", group_by=5)
    assert summed.content.decode().splitlines()[1:] == [
        "device,field,location,temperature,symbolicName,0,10",
        "device,field,location,temperature,symbolicName,5,35",
    ]


async def test_header_only_file_imports_nothing(
    client: httpx.AsyncClient, user: ApiUser, db: Database
) -> None:
    container = await create_container(client, user)
    empty = (TEST_DATA / "timeseries_import_experimental_empty.csv").read_bytes()
    assert (await _import(client, user, container["id"], empty)).status_code == 200
    assert await stored_state(db, container["id"]) == (0, 0)


HEADER = b"DEVICE,FIELD,LOCATION,MEASUREMENT,SYMBOLICNAME,TIMESTAMP,VALUE\n"
GOOD_LINE = b"d,f,l,ok,s,1,1.0\n"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "Invalid CSV: the file has no header line"),
        (b"DEVICE,FIELD,TIMESTAMP,VALUE\nd,f,1,2\n", "Header is missing required fields"),
        (HEADER + GOOD_LINE + b"d,f,l,m,s,abc,1\n", "Conversion of abc to long failed"),
        (HEADER + GOOD_LINE + b"d,f,l,m,s,1\n", "Number of data fields does not match"),
        (HEADER + GOOD_LINE + b"d,f,l,,s,1,2\n", "Field 'measurement' is mandatory"),
        (
            HEADER + GOOD_LINE + b"d,f,l,m,s,1,2\nd,f,l,m,s,2,x\n",
            "new data points are of type String",
        ),
        (
            HEADER + GOOD_LINE + b"d,f,l,m,s,1,2\nd,f,l,m,s,1,3\n",
            "same timestamp value multiple times",
        ),
        (HEADER + GOOD_LINE + b"d,f,l,m m,s,1,2\n", "measurement is not allowed to be empty"),
        (HEADER + GOOD_LINE + b'd,f,l,m,s,1,"unterminated\n', "Invalid CSV"),
        (HEADER + GOOD_LINE + b"d,f,l,m,s,1,\n", "Some of the values provided"),
        (b"\xff\xfe" + HEADER, "not UTF-8"),
    ],
)
async def test_broken_files_import_nothing(
    client: httpx.AsyncClient, user: ApiUser, db: Database, content: bytes, message: str
) -> None:
    container = await create_container(client, user)
    response = await _import(client, user, container["id"], content)
    assert response.status_code == 400, response.text
    assert message in response.json()["message"]
    assert await stored_state(db, container["id"]) == (0, 0)


async def test_import_needs_the_file_field_and_write_permission(
    client: httpx.AsyncClient, user: ApiUser, other_user: ApiUser, db: Database
) -> None:
    container = await create_container(client, user)
    no_file = await client.post(
        f"{CONTAINERS}/{container['id']}/import",
        files={"other": ("a.csv", HEADER + GOOD_LINE, "text/csv")},
        headers=user.headers,
    )
    assert no_file.status_code == 400
    assert no_file.json()["violations"][0]["field"] == "importTimeseries.file"
    refused = await _import(client, other_user, container["id"], HEADER + GOOD_LINE)
    assert refused.status_code == 403
    missing = await _import(client, user, 99999999, HEADER + GOOD_LINE)
    assert missing.status_code == 404
    assert await stored_state(db, container["id"]) == (0, 0)


async def test_import_takes_a_file_part_without_a_filename(
    client: httpx.AsyncClient, user: ApiUser, db: Database
) -> None:
    """Multipart parsers read such a part as a plain form field; upstream reads its bytes all
    the same."""
    container = await create_container(client, user)
    response = await client.post(
        f"{CONTAINERS}/{container['id']}/import",
        files={"file": ("", HEADER + GOOD_LINE, "text/csv")},
        headers=user.headers,
    )
    assert response.status_code == 200, response.text
    assert await stored_state(db, container["id"]) == (1, 1)


async def test_csv_values_parse_like_upstream(client: httpx.AsyncClient, user: ApiUser) -> None:
    container = await create_container(client, user)
    content = HEADER + (
        b"d,f,l,int,s,1,7\n"
        b"d,f,l,big,s,1,3000000000\n"
        b"d,f,l,dbl,s,1,1e5\n"
        b"d,f,l,bool,s,1,TRUE\n"
        b"d,f,l,text,s,1,0x1A\n"
    )
    assert (await _import(client, user, container["id"], content)).status_code == 200
    channels = await client.get(f"{CONTAINERS}/{container['id']}/timeseries", headers=user.headers)
    kinds = {c["measurement"]: c["valueType"] for c in channels.json()}
    # Integer.parseInt first: integers beyond int32 become doubles, as upstream
    assert kinds == {
        "int": "Integer",
        "big": "Double",
        "dbl": "Double",
        "bool": "Boolean",
        "text": "String",
    }
