"""`integrity.linked_files`: the files an entry links to and the pipeline evaluates (`patch-of`:
a patchset's background-only workspace; `hs3-twin`: the same model as HS3) pass the same guards
as the model file, match their declared checksums and their own schema; a patchset's digests
must match its background-only workspace."""

from __future__ import annotations

from typing import Any

from pyshepard.registry.engines import engine_named
from pyshepard.registry.engines.pyhf_engine import PyhfPatchSet
from pyshepard.registry.entry import EntryLink, sha256_checksum
from pyshepard.registry.validation.context import Companion, EntryContext
from pyshepard.registry.validation.integrity.jsonguard import read_json, sha256_hex
from pyshepard.registry.validation.layout import LocationError
from pyshepard.registry.validation.results import CheckFailed, CheckSkipped

NAME = "integrity.linked_files"
LINK_FORMATS = {"patch-of": ("pyhf", "pyhf-workspace"), "hs3-twin": ("pyhs3", "hs3")}


def run(ctx: EntryContext) -> None:
    with ctx.recorder.check(NAME, "integrity") as outcome:
        links = ctx.entry.file_links() if ctx.entry is not None else []
        is_patchset = ctx.model_format == "pyhf-patchset"
        if is_patchset and not any(link.rel == "patch-of" for link in links):
            raise CheckFailed(
                "a pyhf-patchset entry needs a 'patch-of' link to its background-only workspace"
            )
        if not links:
            raise CheckSkipped("the entry links no companion files")
        problems: list[str] = []
        for link in links:
            try:
                ctx.companions[link.rel] = _load(ctx, link)
            except CheckFailed as failure:
                problems.append(f"{link.rel} ({link.href}): {failure.message}")
        if is_patchset and "patch-of" in ctx.companions and ctx.schema_valid:
            problems += _verify_patchset(ctx)
        outcome.details = {
            "files": {rel: c.path.name for rel, c in ctx.companions.items()},
        }
        if problems:
            raise CheckFailed("; ".join(problems), {"problems": problems})
        outcome.message = ", ".join(f"{rel}: {c.path.name}" for rel, c in ctx.companions.items())


def _load(ctx: EntryContext, link: EntryLink) -> Companion:
    try:
        path = ctx.source.resolve(link.href)
    except LocationError as error:
        raise CheckFailed(str(error)) from error
    document, data = read_json(
        path, max_bytes=ctx.config.max_file_bytes, max_depth=ctx.config.max_json_depth
    )
    digest = sha256_hex(data)
    if link.checksum is not None and link.checksum.lower() != sha256_checksum(digest):
        raise CheckFailed(
            f"checksum mismatch: link declares {link.checksum}, file is {sha256_checksum(digest)}"
        )
    engine_name, model_format = LINK_FORMATS[link.rel]
    problems = engine_named(engine_name).schema_problems(document, model_format)
    if problems:
        raise CheckFailed(f"{model_format} schema: " + "; ".join(problems))
    return Companion(link=link, path=path, document=document, sha256=digest)


def _verify_patchset(ctx: EntryContext) -> list[str]:
    background: Any = ctx.companions["patch-of"].document
    ctx.patchset = PyhfPatchSet(background, ctx.document)
    reason = ctx.patchset.verify()
    return (
        [f"patchset does not belong to its background-only workspace: {reason}"] if reason else []
    )
