"""The SPARQL connector: `ASK { ?x ?y ?z }` as a health check, `rdfs:label` lookups for IRIs.

Like upstream's SparqlConnector, every failure (network, status, unparsable body) reads as "not
alive" / "no term"; the service turns those into 400s. The httpx client is the application's
(`app.state.http`), handed in per request, so tests point it at a loopback stub server.
"""

from __future__ import annotations

import asyncio
import ipaddress
import json
import logging
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx

from pyshepard.core.outbound import is_public_address, names_non_public_host
from pyshepard.core.text import made_storable

log = logging.getLogger(__name__)

ASK_QUERY = "ASK { ?x ?y ?z }"
# upstream's query text, byte for byte (stub servers and caches match on it)
SELECT_TEMPLATE = """PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>

SELECT DISTINCT ?o WHERE {
    ?s rdfs:label ?o .
    FILTER ( ?s = <%s> )
}"""
ACCEPT = "application/sparql-results+json, application/json;q=0.9"
MAX_RESPONSE_BYTES = 4 * 1024 * 1024  # a label lookup answers a few KiB; refuse floods


class EndpointRefused(Exception):
    """The endpoint names or resolves to a loopback/private/link-local address."""


def is_http_url(endpoint: str) -> bool:
    """An absolute http(s) URL with a host (upstream: `new URL(endpoint)` must parse)."""
    try:
        parts = urlsplit(endpoint)
        parts.port  # noqa: B018 - raises ValueError for a malformed port
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname)


async def _require_public(endpoint: str) -> None:
    """Refuse a host that is, or resolves to, a non-public address (checked before every
    request: DNS may have changed since the repository was registered)."""
    if names_non_public_host(endpoint):
        raise EndpointRefused(endpoint)
    parts = urlsplit(endpoint)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(parts.hostname, port)
    except OSError:
        return  # unresolvable: the request itself fails and reads as "not alive"
    for info in infos:
        if not is_public_address(ipaddress.ip_address(info[4][0])):
            raise EndpointRefused(endpoint)


@dataclass(frozen=True)
class SparqlConnector:
    http: httpx.AsyncClient
    endpoint: str
    timeout: float
    allow_private: bool

    async def health_check(self) -> bool:
        """Whether the endpoint answers the ASK query with `boolean: true`.
        Raises EndpointRefused."""
        document = await self._query(ASK_QUERY)
        return isinstance(document, dict) and document.get("boolean") is True

    async def get_term(self, iri: str) -> dict[str, str]:
        """The `rdfs:label`s of `iri` by language tag ("" = none), in answer order; a later
        label of the same language wins, as upstream. Raises EndpointRefused."""
        document = await self._query(SELECT_TEMPLATE % iri)
        results = document.get("results") if isinstance(document, dict) else None
        bindings = results.get("bindings") if isinstance(results, dict) else None
        labels: dict[str, str] = {}
        for binding in bindings if isinstance(bindings, list) else []:
            term = binding.get("o") if isinstance(binding, dict) else None
            if not isinstance(term, dict):
                continue
            value, language = term.get("value"), term.get("xml:lang", "")
            if isinstance(value, str) and value.strip():
                # stored as the annotation's name on both backends alike
                labels[language if isinstance(language, str) else ""] = made_storable(value)
        return labels

    async def _query(self, query: str) -> Any:
        """The parsed JSON answer, or None when the endpoint fails in any way."""
        if not self.allow_private:
            await _require_public(self.endpoint)
        try:
            async with self.http.stream(
                "GET",
                self.endpoint,
                params={"query": query},
                headers={"Accept": ACCEPT},
                timeout=self.timeout,
                follow_redirects=False,
            ) as response:
                if not response.is_success:
                    log.info("SPARQL endpoint %s answered %s", self.endpoint, response.status_code)
                    return None
                body = bytearray()
                async for chunk in response.aiter_bytes():
                    body += chunk
                    if len(body) > MAX_RESPONSE_BYTES:
                        log.info("SPARQL endpoint %s answered too much", self.endpoint)
                        return None
        except (httpx.HTTPError, ValueError) as exc:
            log.info("SPARQL endpoint %s failed: %s", self.endpoint, exc)
            return None
        try:
            return json.loads(bytes(body))
        except ValueError:
            return None


@dataclass(frozen=True)
class SemanticClient:
    """Builds connectors for repositories (upstream's SemanticRepositoryConnectorFactory)."""

    http: httpx.AsyncClient
    timeout: float
    allow_private: bool

    def sparql(self, endpoint: str) -> SparqlConnector:
        return SparqlConnector(
            http=self.http,
            endpoint=endpoint,
            timeout=self.timeout,
            allow_private=self.allow_private,
        )
