"""File links (hs3-twin, patch-of) belong to a version: each version names its own companion."""

from __future__ import annotations

import httpx

from tests.conftest import ApiUser
from tests.registry.builders import MODELS
from tests.registry_api.conftest import API, entry_fields, submit

PYHF = (MODELS / "hs3" / "simplemodel_uncorrelated-background_hifa.json").read_bytes()
HS3 = (MODELS / "hs3" / "simplemodel_uncorrelated-background_hs3.json").read_bytes()


async def test_each_version_shows_its_own_companion(
    client: httpx.AsyncClient, user: ApiUser
) -> None:
    first = entry_fields(links=[{"rel": "hs3-twin", "href": "twin_a.json"}])
    created = await submit(client, user.headers, first, PYHF, companions={"twin_a.json": HS3})
    assert created.status_code == 201, created.text
    model_id = created.json()["model_id"]
    second = first | {
        "model_id": model_id,
        "version": "1.1.0",
        "links": [{"rel": "hs3-twin", "href": "twin_b.json"}],
    }
    added = await submit(client, user.headers, second, PYHF, companions={"twin_b.json": HS3})
    assert added.status_code == 201, added.text

    for version, href in (("1.0.0", "twin_a.json"), ("1.1.0", "twin_b.json")):
        metadata = await client.get(
            f"{API}/{model_id}/metadata", params={"version": version}, headers=user.headers
        )
        assert metadata.status_code == 200
        assert [link["href"] for link in metadata.json()["links"]] == [href]
        companion = await client.get(
            f"{API}/{model_id}/file",
            params={"version": version, "part": href},
            headers=user.headers,
        )
        assert companion.status_code == 200, companion.text
        assert companion.content == HS3
    latest = await client.get(f"{API}/{model_id}", headers=user.headers)
    assert [link["href"] for link in latest.json()["links"]] == ["twin_b.json"]
