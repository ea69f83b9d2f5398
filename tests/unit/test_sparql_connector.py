"""The SPARQL connector against a real loopback endpoint (tests/sparql_stub.py): what reads as
alive, which labels come back, and which endpoints are refused before any request is sent."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import httpx
import pytest

from pyshepard.context.semantic.sparql import (
    EndpointRefused,
    SemanticClient,
    is_http_url,
)
from tests.sparql_stub import ALMOND_MILK, INGREDIENT, PLAIN, UNKNOWN, SparqlStub, sparql_stub


@pytest.fixture(scope="module")
def stub() -> Iterator[SparqlStub]:
    with sparql_stub() as server:
        yield server


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(follow_redirects=False) as client:
        yield client


def allowing(http: httpx.AsyncClient, timeout: float = 5.0) -> SemanticClient:
    return SemanticClient(http=http, timeout=timeout, allow_private=True)


@pytest.mark.parametrize(
    ("path", "alive"),
    [
        ("/sparql", True),
        ("/false", False),
        ("/broken", False),  # HTTP 500, even with a JSON body saying true
        ("/garbage", False),
        ("/nothing-here", False),
        ("/huge", False),  # beyond the size limit
        ("/redirect", False),  # redirects are not followed
    ],
)
async def test_health_check(
    http: httpx.AsyncClient, stub: SparqlStub, path: str, *, alive: bool
) -> None:
    assert await allowing(http).sparql(stub.url(path)).health_check() is alive


async def test_a_slow_endpoint_times_out(http: httpx.AsyncClient, stub: SparqlStub) -> None:
    assert await allowing(http, timeout=0.2).sparql(stub.url("/slow")).health_check() is False


async def test_an_unreachable_endpoint_is_not_alive(http: httpx.AsyncClient) -> None:
    connector = allowing(http).sparql("http://127.0.0.1:9/sparql")
    assert await connector.health_check() is False
    assert await connector.get_term(INGREDIENT) == {}


async def test_labels_by_language_in_answer_order(
    http: httpx.AsyncClient, stub: SparqlStub
) -> None:
    connector = allowing(http).sparql(stub.url())
    assert await connector.get_term(INGREDIENT) == {
        "de": "Zutat",
        "en": "ingredient",
        "fr": "ingrédient",
    }
    assert list(await connector.get_term(PLAIN)) == ["en", "", "de"]
    assert (await connector.get_term(ALMOND_MILK))["en"] == "Almond milk"
    assert await connector.get_term(UNKNOWN) == {}
    assert await allowing(http).sparql(stub.url("/garbage")).get_term(INGREDIENT) == {}


@pytest.mark.parametrize(
    "endpoint",
    [
        "http://127.0.0.1:9/sparql",
        "http://localhost/sparql",
        "http://[::1]/sparql",
        "http://10.0.0.7/sparql",
        "http://169.254.169.254/latest",
        "http://2130706433/sparql",
    ],
)
async def test_private_endpoints_are_refused_before_any_request(
    http: httpx.AsyncClient, endpoint: str
) -> None:
    refusing = SemanticClient(http=http, timeout=5.0, allow_private=False)
    with pytest.raises(EndpointRefused):
        await refusing.sparql(endpoint).health_check()
    with pytest.raises(EndpointRefused):
        await refusing.sparql(endpoint).get_term(INGREDIENT)


async def test_the_stub_saw_no_refused_request(http: httpx.AsyncClient, stub: SparqlStub) -> None:
    refusing = SemanticClient(http=http, timeout=5.0, allow_private=False)
    asked = len(stub.queries)
    with pytest.raises(EndpointRefused):
        await refusing.sparql(stub.url()).health_check()
    assert len(stub.queries) == asked


@pytest.mark.parametrize(
    ("endpoint", "valid"),
    [
        ("https://dbpedia.org/sparql", True),
        ("http://127.0.0.1:8890/sparql?default-graph-uri=x", True),
        ("ftp://dbpedia.org/sparql", False),
        ("file:///etc/passwd", False),
        ("dbpedia.org/sparql", False),
        ("http://", False),
        ("http://host:notaport/", False),
        ("not a url", False),
    ],
)
def test_endpoint_urls(endpoint: str, *, valid: bool) -> None:
    assert is_http_url(endpoint) is valid
