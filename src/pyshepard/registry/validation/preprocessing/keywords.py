"""`preprocessing.keywords`: search keywords from the entry (name, collaboration, domain, tags,
given keywords) and the model (format, POI, channel, sample and modifier names)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from pyshepard.registry.validation.context import EntryContext

NAME = "preprocessing.keywords"
MAX_KEYWORDS = 200
_WORD = re.compile(r"[A-Za-z0-9][A-Za-z0-9+\-]*")
_STOP = frozenset({"a", "an", "and", "the", "of", "for", "in", "on", "to", "with", "by", "at"})


def _words(text: str) -> Iterable[str]:
    for word in _WORD.findall(text):
        lowered = word.lower()
        if len(lowered) > 1 and lowered not in _STOP:
            yield lowered


def build(ctx: EntryContext) -> list[str]:
    raw = ctx.raw_entry or {}
    metadata: dict[str, Any] = raw["metadata"] if isinstance(raw.get("metadata"), dict) else {}
    phrases: list[str] = []
    phrases += [str(k).lower() for k in metadata.get("search_keywords", []) or []]
    phrases += [str(t).lower() for t in metadata.get("tags", []) or []]
    for key in ("name", "collaboration", "domain"):
        if isinstance(raw.get(key), str):
            phrases.append(raw[key].lower())
    if ctx.model_format:
        phrases.append(ctx.model_format)
    summary = ctx.summary
    if summary is not None:
        phrases += [summary.poi] if summary.poi else []
        phrases += [c.name for c in summary.channels]
        phrases += summary.samples
        phrases += list(summary.modifiers)
    keywords: dict[str, None] = {}
    for phrase in phrases:
        keywords[phrase.strip()] = None
        keywords.update(dict.fromkeys(_words(phrase.replace("_", " "))))
    return [k for k in keywords if k][:MAX_KEYWORDS]


def run(ctx: EntryContext) -> None:
    with ctx.recorder.check(NAME, "preprocessing") as outcome:
        ctx.keywords = build(ctx)
        outcome.message = f"{len(ctx.keywords)} keywords"
        outcome.details = {"keywords": ctx.keywords}
