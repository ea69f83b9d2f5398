"""Registry search ranks a bounded candidate set: the strongest candidates must be in it."""

from __future__ import annotations

import uuid

import httpx
import pytest

from pyshepard.registry.service import queries
from tests.conftest import ApiUser
from tests.registry_api.conftest import API, entry_fields, submit


async def _submitted(client: httpx.AsyncClient, user: ApiUser, fields: dict[str, object]) -> str:
    response = await submit(client, user.headers, fields)
    assert response.status_code == 201, response.text
    model_id: str = response.json()["model_id"]
    return model_id


async def test_the_best_named_model_is_found_even_beyond_the_candidate_limit(
    client: httpx.AsyncClient, user: ApiUser, reviewer: ApiUser, monkeypatch: pytest.MonkeyPatch
) -> None:
    keyword = f"rankterm{uuid.uuid4().hex[:8]}"
    mentions = {"tags": ["api-test"], "search_keywords": [keyword], "citations": []}
    # ids chosen so that model-id order alone would put the named model last
    for _ in range(3):
        low = f"00000000-0000-4000-8000-{uuid.uuid4().hex[:12]}"
        await _submitted(client, user, entry_fields(model_id=low, metadata=mentions))
    high = f"ffffffff-0000-4000-8000-{uuid.uuid4().hex[:12]}"
    named = await _submitted(client, user, entry_fields(model_id=high, name=f"the {keyword} model"))
    assert named == high

    # more models match than the ranking looks at
    monkeypatch.setattr(queries, "SEARCH_CANDIDATES", 2)
    found = await client.get(f"{API}/search", params={"q": keyword}, headers=reviewer.headers)
    assert found.status_code == 200, found.text
    ranked = [entry["model_id"] for entry in found.json()]
    assert ranked[0] == named
    assert len(ranked) == 2  # the limit did apply
