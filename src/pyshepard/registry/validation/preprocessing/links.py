"""`preprocessing.links`: DOI and record links found in the entry (doi, citations, links, tags)
and in a patchset's references, classified as HEPData, Zenodo, arXiv, INSPIRE or other DOIs."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from pyshepard.registry.entry import EntryLink
from pyshepard.registry.validation.context import EntryContext

NAME = "preprocessing.links"

_DOI = re.compile(r"\b(10\.\d{4,9}/[^\s\"'<>]+)", re.IGNORECASE)
_ARXIV_ID = re.compile(r"(?:arxiv[:/]|arxiv\.org/abs/)\s*(\d{4}\.\d{4,5}(?:v\d+)?)", re.IGNORECASE)
_INSPIRE = re.compile(
    r"(?:\bins|inspirehep\.net/literature/|inspire[:\s#]*)(\d{5,9})\b", re.IGNORECASE
)
_HEPDATA = re.compile(r"^10\.17182/hepdata\.", re.IGNORECASE)
_ZENODO = re.compile(r"^10\.5281/zenodo\.", re.IGNORECASE)
_ARXIV_DOI = re.compile(r"^10\.48550/arxiv\.(.+)$", re.IGNORECASE)


def classify_doi(doi: str) -> EntryLink:
    doi = doi.rstrip(".,;)")
    if _HEPDATA.match(doi):
        rel = "hepdata"
    elif _ZENODO.match(doi):
        rel = "zenodo"
    elif _ARXIV_DOI.match(doi):
        rel = "arxiv"
    else:
        rel = "doi"
    return EntryLink(rel=rel, href=f"https://doi.org/{doi}", doi=doi)


def extract(texts: Iterable[str]) -> list[EntryLink]:
    found: dict[str, EntryLink] = {}
    for text in texts:
        for doi in _DOI.findall(text):
            link = classify_doi(doi)
            found.setdefault(link.href.lower(), link)
        for arxiv in _ARXIV_ID.findall(text):
            link = EntryLink(rel="arxiv", href=f"https://arxiv.org/abs/{arxiv}")
            found.setdefault(link.href.lower(), link)
        for record in _INSPIRE.findall(text):
            link = EntryLink(rel="inspire", href=f"https://inspirehep.net/literature/{record}")
            found.setdefault(link.href.lower(), link)
    return list(found.values())


def _strings(node: Any) -> Iterable[str]:
    if isinstance(node, str):
        yield node
    elif isinstance(node, list):
        for item in node:
            yield from _strings(item)
    elif isinstance(node, dict):
        for value in node.values():
            yield from _strings(value)


def run(ctx: EntryContext) -> None:
    with ctx.recorder.check(NAME, "preprocessing") as outcome:
        raw = ctx.raw_entry or {}
        texts = list(_strings([raw.get("doi"), raw.get("metadata"), raw.get("name")]))
        texts += [link.get("href", "") for link in raw.get("links") or [] if isinstance(link, dict)]
        if ctx.model_format == "pyhf-patchset" and isinstance(ctx.document, dict):
            texts += list(_strings(ctx.document.get("metadata", {}).get("references", {})))
        existing = list(ctx.entry.links) if ctx.entry is not None else []
        known = {link.href.lower() for link in existing}
        discovered = [link for link in extract(texts) if link.href.lower() not in known]
        ctx.links = existing + discovered
        outcome.message = f"{len(discovered)} links found, {len(existing)} declared"
        outcome.details = {"links": [link.model_dump(exclude_none=True) for link in ctx.links]}
