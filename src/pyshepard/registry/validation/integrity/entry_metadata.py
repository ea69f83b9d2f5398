"""`integrity.entry`: entry.json is guarded JSON and a well-formed entry (seed field names, semver,
`sha256:<hex>` checksum, a domain from the configured vocabulary, checksummed file links)."""

from __future__ import annotations

from collections import Counter
from typing import Any

from pydantic import ValidationError

from pyshepard.registry.entry import ENTRY_FIELDS, FILE_LINK_RELS, Entry
from pyshepard.registry.validation.context import EntryContext
from pyshepard.registry.validation.integrity.jsonguard import read_json
from pyshepard.registry.validation.layout import LocationError
from pyshepard.registry.validation.results import CheckFailed

NAME = "integrity.entry"
MAX_ENTRY_BYTES = 1024 * 1024


def run(ctx: EntryContext) -> None:
    with ctx.recorder.check(NAME, "integrity") as outcome:
        raw, _ = read_json(
            ctx.source.entry_file, max_bytes=MAX_ENTRY_BYTES, max_depth=ctx.config.max_json_depth
        )
        if not isinstance(raw, dict):
            raise CheckFailed(f"entry.json holds a JSON {type(raw).__name__}, not an object")
        ctx.raw_entry = raw
        problems = _problems(ctx, raw)
        if problems:
            raise CheckFailed(
                f"entry.json has {len(problems)} problem(s): " + "; ".join(problems),
                {"problems": problems},
            )
        outcome.message = "entry metadata is well-formed"
        outcome.details = {"domain": raw.get("domain"), "version": raw.get("version")}


def _problems(ctx: EntryContext, raw: dict[str, Any]) -> list[str]:
    problems = [f"unknown field '{key}'" for key in sorted(set(raw) - ENTRY_FIELDS)]
    try:
        entry = Entry.model_validate(raw)
    except ValidationError as error:
        problems += [_describe(item) for item in error.errors()]
        return problems
    if entry.domain not in ctx.config.domains:
        problems.append(
            f"domain '{entry.domain}' is not in the vocabulary ({', '.join(ctx.config.domains)})"
        )
    for link in entry.file_links():
        if link.checksum is None:
            problems.append(f"link '{link.rel}' ({link.href}) needs a checksum 'sha256:<hex>'")
    counts: Counter[str] = Counter(link.rel for link in entry.file_links())
    problems += [f"more than one '{rel}' link" for rel in FILE_LINK_RELS if counts[rel] > 1]
    if entry.reference_points:
        try:
            if not ctx.source.resolve(entry.reference_points).is_file():
                problems.append(f"reference_points file '{entry.reference_points}' not found")
        except LocationError as error:
            problems.append(f"reference_points: {error}")
    ctx.entry = entry
    return problems


def _describe(item: Any) -> str:
    location = ".".join(str(part) for part in item.get("loc", ())) or "entry"
    message = str(item.get("msg", "invalid"))
    if "pattern" in message and location.endswith("version"):
        message = "is not a semantic version (MAJOR.MINOR.PATCH)"
    elif "pattern" in message and "checksum" in location:
        message = "is not 'sha256:' followed by 64 lowercase hex digits"
    elif "pattern" in message and location.endswith("doi"):
        message = "is not a DOI (10.<registrant>/<suffix>)"
    return f"{location} {message}"
