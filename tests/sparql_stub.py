"""A real SPARQL endpoint stand-in on loopback (ThreadingHTTPServer), as upstream's WireMock stub
in `SemanticRepositoryIT`: `ASK { ?x ?y ?z }` answers true, label queries answer the labels of a
few known IRIs in `application/sparql-results+json`.

Paths: `/sparql` (healthy), `/false` (ASK answers false), `/broken` (HTTP 500), `/garbage`
(200 with a non-JSON body), `/slow` (healthy after `SLOW_SECONDS`), `/huge` (a valid answer
padded beyond the connector's size limit), `/redirect` (302 to `/sparql`).
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

INGREDIENT = "http://dbpedia.org/ontology/ingredient"
ALMOND_MILK = "http://dbpedia.org/resource/Almond_milk"
PLAIN = "http://example.org/plain"  # a label without language tag among tagged ones
FOREIGN = "http://example.org/foreign"  # neither untagged nor English: the first label wins
UNKNOWN = "http://example.org/unknown"
UNCLEAN = "http://example.org/unclean"  # a label no database row can hold as it is
SLOW_SECONDS = 1.0
HUGE_BYTES = 5 * 1024 * 1024

LABELS: dict[str, list[tuple[str, str | None]]] = {
    INGREDIENT: [("Zutat", "de"), ("ingredient", "en"), ("ingrédient", "fr")],
    ALMOND_MILK: [
        ("Almond milk", "en"),
        ("حليب اللوز", "ar"),
        ("Mandelmilch", "de"),
        ("Lait d'amande", "fr"),
        ("アーモンドミルク", "ja"),
    ],
    PLAIN: [("plain (en)", "en"), ("plain", None), ("schlicht", "de")],
    FOREIGN: [("fremd", "de"), ("étranger", "fr")],
    UNCLEAN: [("a\x00b\ud800c", None)],
}
ASK = "ASK { ?x ?y ?z }"
SELECT = re.compile(
    r"\APREFIX rdfs: <http://www\.w3\.org/2000/01/rdf-schema#>\n\n"
    r"SELECT DISTINCT \?o WHERE \{\n    \?s rdfs:label \?o \.\n"
    r"    FILTER \( \?s = <(?P<iri>[^>]*)> \)\n\}\Z"
)


@dataclass
class SparqlStub:
    base: str
    queries: list[tuple[str, str]] = field(default_factory=list)  # (path, query)

    def url(self, path: str = "/sparql") -> str:
        return self.base + path

    def asked_about(self, iri: str) -> bool:
        return any(iri in query for _, query in self.queries)


def _bindings(iri: str) -> dict[str, object]:
    bindings = []
    for value, language in LABELS.get(iri, []):
        term: dict[str, str] = {"type": "literal", "value": value}
        if language is not None:
            term["xml:lang"] = language
        bindings.append({"o": term})
    return {
        "head": {"link": [], "vars": ["o"]},
        "results": {"distinct": False, "ordered": True, "bindings": bindings},
    }


@contextmanager
def sparql_stub() -> Iterator[SparqlStub]:
    stub = SparqlStub(base="")

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            query = parse_qs(parts.query).get("query", [""])[0]
            stub.queries.append((parts.path, query))
            if parts.path == "/broken":
                self._answer(500, b'{"boolean": true}')
                return
            if parts.path == "/garbage":
                self._answer(200, b"<html>not json</html>")
                return
            if parts.path == "/huge":
                padding = " " * (HUGE_BYTES - 20)
                self._answer(200, ('{"boolean": true' + padding + "}").encode())
                return
            if parts.path == "/redirect":
                self.send_response(302)
                self.send_header("Location", "/sparql?" + parts.query)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            if parts.path == "/slow":
                time.sleep(SLOW_SECONDS)
            elif parts.path not in ("/sparql", "/false"):
                self._answer(404, b"{}")
                return
            if query == ASK:
                self._json({"head": {"link": []}, "boolean": parts.path != "/false"})
            elif match := SELECT.match(query):
                self._json(_bindings(match.group("iri")))
            else:
                self._answer(400, b"unexpected query")

        def _json(self, document: object) -> None:
            self._answer(200, json.dumps(document).encode())

        def _answer(self, status: int, body: bytes) -> None:
            self.send_response(status)
            self.send_header("Content-Type", "application/sparql-results+json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    stub.base = f"http://127.0.0.1:{server.server_port}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield stub
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
