"""Pieces of the pipeline that need no engine process: guarded JSON, the entry model, links,
parameter matching, patch-operation schema checks, fit sampling, layout and report rendering."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest
from pydantic import ValidationError

from pyshepard.registry.engines.pyhf_engine import copy_along
from pyshepard.registry.engines.pyhf_structure import PatchSchema, duplicate_problems
from pyshepard.registry.entry import Entry, is_semver
from pyshepard.registry.report import badge_svg, junit_xml, markdown
from pyshepard.registry.validation.correctness.cross_engine import map_parameters
from pyshepard.registry.validation.correctness.patches import sample_for_fits
from pyshepard.registry.validation.integrity.jsonguard import (
    canonical_bytes,
    check_size,
    nesting_depth,
    parse_json,
)
from pyshepard.registry.validation.layout import EntrySource, LocationError, discover
from pyshepard.registry.validation.preprocessing.links import extract
from pyshepard.registry.validation.results import CheckFailed, CheckResult, EntryReport, RunReport
from tests.registry.builders import MODELS


def test_depth_scan_ignores_brackets_inside_strings() -> None:
    data = b'{"a": "[[[[{{{{", "b": ["\\"[[", {"c": []}]}'
    assert nesting_depth(data, 64).depth == 4
    assert nesting_depth(b"[" * 65 + b"]" * 65, 64).offset == 64
    assert nesting_depth(b"[" * 64 + b"]" * 64, 64).offset is None


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"\x00\x01binary", "binary file (NUL byte at offset 0)"),
        (b'{"a": "\xff"}', "not UTF-8 text (invalid byte at offset 7)"),
        (b'\xef\xbb\xbf{"a": 1}', "byte-order mark"),
        (b'{"a": 1,}', "not valid JSON: Expecting property name"),
        (b'{"a": 1, "a": 2}', "duplicate object key 'a'"),
        (b'{"a": Infinity}', "Infinity is not valid JSON"),
        (b"../test_schema/x.json", "unresolved symlink"),
    ],
)
def test_parse_json_names_the_reason(data: bytes, reason: str) -> None:
    with pytest.raises(CheckFailed) as failure:
        parse_json(data, max_depth=64)
    assert reason in failure.value.message


def test_canonical_form_ignores_formatting_and_key_order() -> None:
    first, _ = parse_json(b'{"b": [1, 2.5], "a": "\xc3\xa9"}', max_depth=8)
    second, _ = parse_json(b'{\n  "a": "\\u00e9",\n  "b": [1, 2.5]\n}', max_depth=8)
    assert canonical_bytes(first) == canonical_bytes(second) == '{"a":"é","b":[1,2.5]}'.encode()


def test_size_check_does_not_read(tmp_path: Path) -> None:
    sparse = tmp_path / "huge.json"
    with sparse.open("wb") as stream:
        stream.truncate(50 * 1024**3)
    with pytest.raises(CheckFailed, match="over the limit of 1024 bytes; not read"):
        check_size(sparse, 1024)
    with pytest.raises(CheckFailed, match="file not found"):
        check_size(tmp_path / "missing.json", 1024)


SEED_ENTRY = {
    "model_id": "2f1c6a1e-52a4-4f0c-9d6b-1c2f3a4b5c6d",
    "name": "B+ → K+ νν̄ BELLE II 2024",  # noqa: RUF001 - the seed example, verbatim
    "doi": "10.1103/PhysRevD.109.112006",
    "version": "1.0.0",
    "domain": "particle_physics",
    "collaboration": "Belle II",
    "file_location": "s3://demos/models/belle2_bknn.json",
    "checksum": "sha256:" + "ab" * 32,
    "reference_points": "tests/belle2_bknn_refs.json",
    "metadata": {
        "tags": ["B-meson", "rare-decay", "neutrino"],
        "search_keywords": ["..."],
        "citations": ["..."],
    },
    "validation_status": "approved",
    "submission_date": "2024-11-05",
    "last_updated": "2024-11-05",
}


def test_seed_entry_round_trips_with_its_field_names() -> None:
    entry = Entry.model_validate(SEED_ENTRY)
    assert entry.submission_date == dt.date(2024, 11, 5)
    dumped = entry.model_dump(mode="json", exclude_none=True)
    assert {k: dumped[k] for k in SEED_ENTRY} == SEED_ENTRY


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("version", "1.0"),
        ("version", "v1.0.0"),
        ("checksum", "sha256:ABC"),
        ("checksum", "md5:" + "a" * 32),
        ("doi", "doi:10.1/x"),
        ("model_id", "not-a-uuid"),
        ("validation_status", "published"),
        ("name", "   "),
    ],
)
def test_entry_rejects_malformed_fields(field: str, value: str) -> None:
    with pytest.raises(ValidationError) as error:
        Entry.model_validate(SEED_ENTRY | {field: value})
    assert error.value.errors()[0]["loc"][0] == field


def test_semver() -> None:
    assert is_semver("1.0.0-rc.1+build.5")
    assert not is_semver("01.0.0")


def test_doi_links_are_classified() -> None:
    links = extract(
        [
            "https://doi.org/10.17182/hepdata.89408.v3/r2",
            "10.5281/zenodo.1169739.",
            "arXiv:1909.09226 and 10.48550/arXiv.2211.15838",
            "pyhf-ins1748602-probability-models",
            "https://inspirehep.net/literature/1748602",
            "Phys. Rev. D 109, 112006 (10.1103/PhysRevD.109.112006)",
        ]
    )
    pairs = [(link.rel, link.href) for link in links]
    assert pairs == [
        ("hepdata", "https://doi.org/10.17182/hepdata.89408.v3/r2"),
        ("zenodo", "https://doi.org/10.5281/zenodo.1169739"),
        ("arxiv", "https://doi.org/10.48550/arXiv.2211.15838"),
        ("arxiv", "https://arxiv.org/abs/1909.09226"),
        ("inspire", "https://inspirehep.net/literature/1748602"),
        ("doi", "https://doi.org/10.1103/PhysRevD.109.112006"),
    ]


def test_parameter_matching_between_pyhf_and_hs3() -> None:
    mapping, unmapped = map_parameters(
        ["mu", "lumi", "shape[0]", "syst", "staterror_SR[1]", "orphan"],
        ["mu", "Lumi", "shape_0", "alpha_syst", "gamma_stat_SR_bin_1", "extra"],
        {"orphan": "extra"},
    )
    assert mapping == {
        "mu": "mu",
        "lumi": "Lumi",
        "shape[0]": "shape_0",
        "syst": "alpha_syst",
        "staterror_SR[1]": "gamma_stat_SR_bin_1",
        "orphan": "extra",
    }
    assert unmapped == []
    assert map_parameters(["nowhere"], ["mu"], None) == ({}, ["nowhere"])


def _defs() -> dict[str, object]:
    schema_dir = Path(__import__("pyhf").__file__).parent / "schemas" / "1.0.0"
    return json.loads((schema_dir / "defs.json").read_text())


def test_patch_operations_are_validated_at_their_targets() -> None:
    background = json.loads((MODELS / "pyhf" / "example_bkgonly.json").read_text())
    schema = PatchSchema(_defs())
    good = [
        {
            "op": "add",
            "path": "/channels/0/samples/-",
            "value": {"name": "s", "data": [1.0, 2.0], "modifiers": []},
        }
    ]
    bad = [
        {
            "op": "add",
            "path": "/channels/0/samples/0",
            "value": {"name": "s", "modifiers": [{"name": "m", "type": "nope", "data": None}]},
        }
    ]
    emptied = [{"op": "remove", "path": "/channels/0"}]
    deep = [{"op": "replace", "path": "/channels/0/samples/0/modifiers/0/data/hi", "value": "high"}]
    assert schema.problems(_apply(background, good), good) == []
    assert any(
        "'data' is a required property" in p for p in schema.problems(_apply(background, bad), bad)
    )
    assert any(
        "should be non-empty" in p or "too short" in p
        for p in schema.problems(_apply(background, emptied), emptied)
    )
    deep_problems = schema.problems(_apply(background, deep), deep)
    assert deep_problems
    assert deep_problems[0].startswith("op 0 (replace /channels/0/samples/0/modifiers/0/data/hi)")


def _apply(document: dict[str, object], operations: list[dict[str, object]]) -> dict[str, object]:
    import jsonpatch  # noqa: PLC0415 - pyhf's dependency, only these tests apply patches directly

    patched = copy_along(document, operations)
    return jsonpatch.apply_patch(patched, operations, in_place=True)


def test_copy_along_leaves_the_original_untouched() -> None:
    background = json.loads((MODELS / "pyhf" / "example_bkgonly.json").read_text())
    before = json.dumps(background, sort_keys=True)
    operations = [
        {
            "op": "add",
            "path": "/channels/0/samples/0",
            "value": {"name": "s", "data": [1.0, 2.0], "modifiers": []},
        },
        {"op": "replace", "path": "/measurements/0/config/poi", "value": "other"},
        {"op": "remove", "path": "/observations/0/data/0"},
    ]
    patched = _apply(background, operations)
    assert json.dumps(background, sort_keys=True) == before
    assert patched["channels"][0]["samples"][0]["name"] == "s"
    assert patched["channels"][0]["samples"][1] is background["channels"][0]["samples"][0]


def test_duplicate_rules() -> None:
    spec = {
        "channels": [
            {
                "name": "c",
                "samples": [
                    {
                        "name": "s",
                        "modifiers": [
                            {"name": "m", "type": "normsys"},
                            {"name": "m", "type": "histosys"},
                        ],
                    }
                ],
            },
            {"name": "c", "samples": []},
        ],
        "observations": [{"name": "c"}, {"name": "c"}],
    }
    assert duplicate_problems(spec) == [
        "duplicate channel name 'c' (2x) in channels",
        "duplicate observation name 'c' (2x) in observations",
    ]


def test_fit_sample_is_spread_and_bounded() -> None:
    names = [f"p{i:03d}" for i in range(217)]
    sample = sample_for_fits(names, 8)
    assert len(sample) == 8
    assert sample[0] == "p000"
    assert sample[-1] == "p216"
    assert sample_for_fits(names, -1) == names
    assert sample_for_fits(names, 0) == []


def test_layout_discovery_and_locations(tmp_path: Path) -> None:
    for folder in ("b/nested", "a", ".hidden"):
        (tmp_path / folder).mkdir(parents=True)
        (tmp_path / folder / "entry.json").write_text("{}")
    assert [s.slug for s in discover(tmp_path)] == ["a", "b/nested"]
    source = EntrySource(directory=tmp_path / "a", root=tmp_path)
    (tmp_path / "a" / "model.json").write_text("{}")
    assert source.resolve("model.json") == (tmp_path / "a" / "model.json").resolve()
    assert (
        source.resolve(f"file://{tmp_path}/a/model.json")
        == (tmp_path / "a" / "model.json").resolve()
    )
    assert source.resolve("../b/nested/entry.json").name == "entry.json"
    with pytest.raises(LocationError, match="outside the validated folder"):
        source.resolve("../../etc/passwd")
    with pytest.raises(LocationError, match="s3:// location"):
        source.resolve("s3://bucket/model.json")


def _run(*statuses: str) -> RunReport:
    entries = [
        EntryReport(
            entry=f"e{i}",
            name=f"model | {i}",
            status="failed" if status == "failed" else "passed",
            duration_ms=1500.0,
            checks=[
                CheckResult(
                    name="integrity.size",
                    step="integrity",
                    status="passed",
                    duration_ms=1.0,
                    message="ok",
                ),
                CheckResult(
                    name="correctness.fit",
                    step="correctness",
                    status=status,
                    duration_ms=2.5,  # type: ignore[arg-type]
                    message=f"fit {status} <&>",
                    details={"problems": ["a", "b"]},
                ),
            ],
        )
        for i, status in enumerate(statuses)
    ]
    return RunReport(
        started_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
        duration_ms=3000.0,
        root="models",
        tool_version="0.1.0",
        entries=entries,
    )


def test_junit_counts_and_escapes() -> None:
    suites = ET.fromstring(junit_xml(_run("passed", "failed", "skipped")))  # noqa: S314 - our own output
    assert (suites.get("tests"), suites.get("failures"), suites.get("skipped")) == ("6", "1", "1")
    failure = suites[1][1].find("failure")
    assert failure is not None
    assert failure.get("message") == "fit failed <&>"
    assert json.loads(failure.text or "")["problems"] == ["a", "b"]
    assert suites[2][1].find("skipped") is not None
    assert suites[0][0].get("time") == "0.001"


def test_badge_and_markdown() -> None:
    assert "#4c1" in badge_svg(_run("passed", "passed"))
    assert "2/2 passed" in badge_svg(_run("passed", "passed"))
    failing = badge_svg(_run("passed", "failed"))
    assert "1 failed" in failing
    assert "#e05d44" in failing
    ET.fromstring(failing)  # noqa: S314 - well-formed SVG, our own output
    text = markdown(_run("passed", "failed"))
    assert "**Result: ❌ failed** — 2 entries: 1 passed, 1 failed." in text
    assert "model \\| 1" in text
    assert "Problems found by `correctness.fit`:" in text
