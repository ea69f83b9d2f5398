"""Every model in shared/models through steps 1-3: valid ones pass, reference values are
reproduced, the HS3 pairs agree across engines, and every defective input fails with a reason."""

from __future__ import annotations

import importlib.util
import json
import math
import shutil
from pathlib import Path

import pytest

from pyshepard.registry.validation.config import ValidationConfig
from pyshepard.registry.validation.results import CheckResult, EntryReport, RunReport
from pyshepard.registry.validation.runner import validate_path
from tests.registry import oracles
from tests.registry.builders import (
    MODELS,
    README_LOGPDF,
    logpdf_point,
    make_entry,
    sha256_of,
    write_json,
)

HS3 = MODELS / "hs3"
PYHF = MODELS / "pyhf"


def check(entry: EntryReport, name: str) -> CheckResult:
    found = [c for c in entry.checks if c.name == name]
    assert len(found) == 1, f"{name} recorded {len(found)} times in {entry.entry}"
    return found[0]


def by_slug(run: RunReport) -> dict[str, EntryReport]:
    return {entry.entry: entry for entry in run.entries}


# ---------------------------------------------------------------- valid models


def _build_valid(root: Path) -> dict[str, dict[str, float]]:
    """Entry folders for every valid model; returns the reference values each entry declares."""
    expected: dict[str, dict[str, float]] = {}
    for slug, source in {
        "ws-2bin": "pyhf/2-bin_1-channel.json",
        "ws-xmlimport": "pyhf/xmlimport_input_bkg.json",
        "ws-example-bkgonly": "pyhf/example_bkgonly.json",
        "ws-atlas-1lbb": "atlas-1lbb/bkg_only.json",
    }.items():
        points = [logpdf_point(README_LOGPDF[source], name="README logpdf(init)")]
        if slug == "ws-2bin":
            value = oracles.twice_delta_nll(MODELS / source, {"mu": 0.0})
            points.append(
                {
                    "kind": "twice_delta_nll",
                    "parameters": {"mu": 0.0},
                    "expected": value,
                    "rtol": 1e-6,
                    "atol": 1e-6,
                    "name": "q(mu=0)",
                }
            )
            points.append(
                logpdf_point(
                    README_LOGPDF[source],
                    parameters={"mu": 1.0, "uncorr_bkguncrt": [1.0, 1.0]},
                    name="explicit init, vector parameter",
                )
            )
        make_entry(
            root / slug,
            MODELS / source,
            name=slug,
            reference_points=points,
            doi="10.5281/zenodo.1169739",
        )
        expected[slug] = {p.get("name", ""): p["expected"] for p in points}

    patch = "patch_channel1_signal_syst1"
    patched = oracles.logpdf_at_init(
        PYHF / "example_bkgonly.json", patchset=PYHF / "example_patchset.json", patch=patch
    )
    make_entry(
        root / "patchset-example",
        PYHF / "example_patchset.json",
        model_name="patchset.json",
        name="pyhf example patchset",
        companions={"patch-of": PYHF / "example_bkgonly.json"},
        reference_points=[
            logpdf_point(README_LOGPDF["pyhf/example_bkgonly.json"], name="background only"),
            logpdf_point(patched, patch=patch, name="patched"),
        ],
    )
    expected["patchset-example"] = {"patched": patched}

    for kind in ("uncorrelated", "correlated"):
        hifa = HS3 / f"simplemodel_{kind}-background_hifa.json"
        twin = HS3 / f"simplemodel_{kind}-background_hs3.json"
        value = oracles.logpdf_at_init(hifa)
        make_entry(
            root / f"twin-{kind}",
            hifa,
            name=f"simple model {kind}",
            companions={"hs3-twin": twin},
            reference_points=[logpdf_point(value)],
        )
        make_entry(
            root / f"hs3-{kind}",
            twin,
            name=f"simple model {kind} (HS3)",
            reference_points=[logpdf_point(value, rtol=1e-12, name="pyhf value")],
        )
        expected[f"hs3-{kind}"] = {"pyhf value": value}
    make_entry(root / "hs3-rf501", HS3 / "rf501_simultaneouspdf.json", name="RooFit rf501")
    make_entry(
        root / "hs3-combine",
        HS3 / "combine_long_exercise_part1_nosys.json",
        name="CMS Combine exercise",
    )
    return expected


@pytest.fixture(scope="module")
def valid(
    tmp_path_factory: pytest.TempPathFactory, config: ValidationConfig
) -> tuple[RunReport, Path, dict[str, dict[str, float]]]:
    root = tmp_path_factory.mktemp("valid") / "models"
    expected = _build_valid(root)
    artifacts = root.parent / "out"
    return validate_path(root, config, jobs=2, artifacts_root=artifacts), artifacts, expected


VALID = [
    "ws-2bin",
    "ws-xmlimport",
    "ws-example-bkgonly",
    "ws-atlas-1lbb",
    "patchset-example",
    "twin-uncorrelated",
    "twin-correlated",
    "hs3-uncorrelated",
    "hs3-correlated",
    "hs3-rf501",
    "hs3-combine",
]


@pytest.mark.parametrize("slug", VALID)
def test_valid_model_passes_all_three_steps(
    valid: tuple[RunReport, Path, dict[str, dict[str, float]]], slug: str
) -> None:
    run, artifacts, _ = valid
    entry = by_slug(run)[slug]
    failures = [(c.name, c.message) for c in entry.failures()]
    assert entry.status == "passed", failures
    for name in (
        "integrity.entry",
        "integrity.size",
        "integrity.checksum",
        "integrity.json",
        "integrity.canonical_checksum",
        "integrity.format",
        "integrity.engine",
        "integrity.schema",
        "correctness.build",
        "correctness.stability",
        "correctness.fit",
        "preprocessing.summary",
        "preprocessing.model_id",
        "preprocessing.keywords",
        "preprocessing.links",
        "preprocessing.visualisations",
    ):
        assert check(entry, name).status == "passed", (name, check(entry, name).message)
    assert entry.engines, "engine versions are recorded"
    assert all(c.duration_ms >= 0 for c in entry.checks)
    enriched = json.loads((artifacts / slug / "entry.json").read_text())
    assert enriched["validation_status"] == "awaiting_review"
    assert enriched["canonical_checksum"].startswith("sha256:")
    assert enriched["format"] == entry.format
    assert enriched["summary"]["parameters"] > 0
    assert enriched["metadata"]["search_keywords"]
    assert (artifacts / slug / "parameters.csv").read_text().startswith("name,init,lower,upper")
    assert (artifacts / slug / "thumbnail.png").read_bytes().startswith(b"\x89PNG")


@pytest.mark.parametrize(
    ("slug", "fmt", "channels", "poi"),
    [
        ("ws-2bin", "pyhf-workspace", {"singlechannel": 2}, "mu"),
        ("ws-xmlimport", "pyhf-workspace", {"channel1": 2}, "SigXsecOverSM"),
        ("ws-atlas-1lbb", "pyhf-workspace", None, None),
        ("patchset-example", "pyhf-patchset", {"channel1": 2}, "SigXsecOverSM"),
        ("hs3-uncorrelated", "hs3", {"model_singlechannel": 2}, "mu"),
    ],
)
def test_summary_and_plots(
    valid: tuple[RunReport, Path, dict[str, dict[str, float]]],
    slug: str,
    fmt: str,
    channels: dict[str, int] | None,
    poi: str | None,
) -> None:
    run, artifacts, _ = valid
    entry = by_slug(run)[slug]
    assert entry.format == fmt
    summary = check(entry, "preprocessing.summary").details
    if channels is not None:
        assert {c["name"]: c["bins"] for c in summary["channels"]} == channels
        assert summary["poi"] == poi
        for name in channels:
            svg = (artifacts / slug / f"yields_{name}.svg").read_text()
            assert svg.lstrip().startswith(("<?xml", "<svg"))
            assert name in svg
    else:
        assert len(summary["channels"]) == 5
        assert len(summary["samples"]) == 9
        assert summary["parameters"] == 19
    if fmt == "pyhf-patchset":
        assert summary["patches"] == 1


@pytest.mark.parametrize(
    "slug",
    [
        "ws-2bin",
        "ws-xmlimport",
        "ws-example-bkgonly",
        "ws-atlas-1lbb",
        "patchset-example",
        "hs3-uncorrelated",
        "hs3-correlated",
    ],
)
def test_reference_points_reproduced(
    valid: tuple[RunReport, Path, dict[str, dict[str, float]]], slug: str
) -> None:
    run, _, expected = valid
    result = check(by_slug(run)[slug], "correctness.reference_points")
    assert result.status == "passed", result.message
    for point in result.details["points"]:
        assert point["status"] == "passed", point
        target = point["expected"]
        assert abs(point["actual"] - target) <= point["tolerance"]
        if point["name"] in expected.get(slug, {}):
            assert math.isclose(target, expected[slug][point["name"]], rel_tol=0, abs_tol=0)


@pytest.mark.parametrize(
    ("slug", "mapped"),
    [
        (
            "twin-uncorrelated",
            {
                "uncorr_bkguncrt[0]": "uncorr_bkguncrt_0",
                "uncorr_bkguncrt[1]": "uncorr_bkguncrt_1",
                "mu": "mu",
            },
        ),
        (
            "twin-correlated",
            {"correlated_bkg_uncertainty": "alpha_correlated_bkg_uncertainty", "mu": "mu"},
        ),
    ],
)
def test_hs3_pairs_agree_across_engines(
    valid: tuple[RunReport, Path, dict[str, dict[str, float]]], slug: str, mapped: dict[str, str]
) -> None:
    run, _, _ = valid
    entry = by_slug(run)[slug]
    result = check(entry, "correctness.cross_engine")
    assert result.status == "passed", result.message
    assert result.details["parameter_map"] == mapped
    assert result.details["max_relative_difference"] < 1e-12
    assert result.details["points"] >= 5
    assert math.isclose(
        result.details["fit_twice_nll"]["pyhf"],
        result.details["fit_twice_nll"]["pyhs3"],
        rel_tol=1e-6,
    )
    assert set(entry.engines) == {"pyhf", "pyhs3"}
    assert "max relative difference" in result.message


def test_entries_without_twin_skip_cross_engine(
    valid: tuple[RunReport, Path, dict[str, dict[str, float]]],
) -> None:
    run, _, _ = valid
    result = check(by_slug(run)["ws-2bin"], "correctness.cross_engine")
    assert result.status == "skipped"
    assert "no HS3 twin" in result.message


def test_cross_backend_is_honest_about_installed_backends(
    valid: tuple[RunReport, Path, dict[str, dict[str, float]]],
) -> None:
    run, _, _ = valid
    result = check(by_slug(run)["ws-xmlimport"], "correctness.cross_backend")
    second = [name for name in ("jax", "torch", "tensorflow") if importlib.util.find_spec(name)]
    if second:
        assert result.status == "passed", result.message
        assert result.details["max_relative_difference"] < 1e-10
    else:
        assert result.status == "skipped"
        assert "no second backend" in result.message


def test_links_and_keywords(valid: tuple[RunReport, Path, dict[str, dict[str, float]]]) -> None:
    run, _, _ = valid
    entry = by_slug(run)["ws-2bin"]
    links = check(entry, "preprocessing.links").details["links"]
    assert {
        "rel": "zenodo",
        "href": "https://doi.org/10.5281/zenodo.1169739",
        "doi": "10.5281/zenodo.1169739",
    } in links
    keywords = check(entry, "preprocessing.keywords").details["keywords"]
    assert {"singlechannel", "signal", "background", "mu", "pyhf-workspace"} <= set(keywords)
    patchset_links = check(by_slug(run)["patchset-example"], "preprocessing.links").details
    assert {
        "rel": "inspire",
        "href": "https://inspirehep.net/literature/1234567",
    } in patchset_links["links"]


def test_hs3_without_likelihood_is_evaluated_and_says_how(
    valid: tuple[RunReport, Path, dict[str, dict[str, float]]],
) -> None:
    run, _, _ = valid
    build = check(by_slug(run)["hs3-rf501"], "correctness.build")
    assert any("no likelihood in the file" in note for note in build.details["notes"])
    assert check(by_slug(run)["hs3-rf501"], "correctness.stability").status == "passed"


# ---------------------------------------------------------------- defective inputs

INVALID_REASONS = {
    "model_duplicate_channels.json": "duplicate channel name 'singlechannel'",
    "model_duplicate_modifiers.json": "duplicate modifier 'mu' of type 'normfactor'",
    "model_duplicate_samples.json": "duplicate sample name 'signal'",
    "patchset_bad_duplicate_patch_name.json": "Multiple patches were defined by name",
    "patchset_bad_wrong_valuetype.json": "patches[0].metadata.values[1]",
    # in shared/models this file is a git symlink stored as text: its content is a path
    "patchset_bad_empty_patches.json": "unresolved symlink",
}
INVALID_FILES = sorted(p.name for p in (PYHF / "invalid").glob("*.json"))


def _build_invalid(root: Path) -> None:
    for name in INVALID_FILES:
        companions = (
            {"patch-of": PYHF / "example_bkgonly.json"} if name.startswith("patchset") else None
        )
        make_entry(
            root / f"invalid-{name.removesuffix('.json')}",
            PYHF / "invalid" / name,
            companions=companions,
        )
    empty = json.loads((PYHF / "example_patchset.json").read_text()) | {"patches": []}
    write_json(root.parent / "src" / "empty_patches.json", empty)
    make_entry(
        root / "patchset-empty",
        root.parent / "src" / "empty_patches.json",
        companions={"patch-of": PYHF / "example_bkgonly.json"},
    )

    two_bin = PYHF / "2-bin_1-channel.json"
    make_entry(root / "tampered-declared", two_bin, checksum="sha256:" + "0" * 64)
    tampered = make_entry(root / "tampered-bytes", two_bin)
    with (tampered / "model.json").open("a") as stream:
        stream.write("\n ")
    make_entry(
        root / "wrong-reference",
        two_bin,
        reference_points=[
            logpdf_point(-12.5, name="wrong"),
            logpdf_point(README_LOGPDF["pyhf/2-bin_1-channel.json"], name="right"),
        ],
    )
    make_entry(root / "json-bomb", b"[" * 200_000 + b"]" * 200_000)
    make_entry(root / "binary", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 4)
    oversized = make_entry(root / "oversized", b"{}")
    with (oversized / "model.json").open("r+b") as stream:
        stream.truncate(10 * 1024**3)
    entry = json.loads((oversized / "entry.json").read_text())
    write_json(oversized / "entry.json", entry)
    make_entry(root / "not-an-object", b"[1, 2, 3]")
    make_entry(root / "nan", b'{"channels": [], "x": NaN}')
    make_entry(
        root / "bad-metadata",
        two_bin,
        version="1.0",
        domain="chemistry",
        checksum="md5:abc",
        colaboration="typo",
        doi="doi:10.1/x",
    )
    make_entry(root / "outside-root", two_bin, file_location="../../../etc/passwd")
    make_entry(root / "s3-location", two_bin, file_location="s3://bucket/models/x.json")
    broken_hs3 = json.loads((HS3 / "rf501_simultaneouspdf.json").read_text())
    broken_hs3["distributions"][1]["type"] = "no_such_dist"
    make_entry(root / "hs3-broken", json.dumps(broken_hs3).encode())
    twin = make_entry(
        root / "twin-bad-checksum",
        HS3 / "simplemodel_uncorrelated-background_hifa.json",
        companions={"hs3-twin": HS3 / "simplemodel_uncorrelated-background_hs3.json"},
    )
    entry = json.loads((twin / "entry.json").read_text())
    entry["links"][0]["checksum"] = "sha256:" + "1" * 64
    write_json(twin / "entry.json", entry)
    make_entry(
        root / "patchset-wrong-background",
        PYHF / "example_patchset.json",
        companions={"patch-of": two_bin},
    )
    make_entry(root / "patchset-without-background", PYHF / "example_patchset.json")
    missing_data = json.loads((PYHF / "example_patchset.json").read_text())
    missing_data["patches"][0]["patch"] = [
        {"op": "add", "path": "/channels/0/samples/0", "value": {"name": "new", "modifiers": []}}
    ]
    write_json(root.parent / "src" / "bad_patch.json", missing_data)
    make_entry(
        root / "patchset-bad-patch",
        root.parent / "src" / "bad_patch.json",
        companions={"patch-of": PYHF / "example_bkgonly.json"},
    )


@pytest.fixture(scope="module")
def invalid(tmp_path_factory: pytest.TempPathFactory, config: ValidationConfig) -> RunReport:
    root = tmp_path_factory.mktemp("invalid") / "models"
    _build_invalid(root)
    run = validate_path(root, config, jobs=2, artifacts_root=root.parent / "out")
    shutil.rmtree(root / "oversized")
    return run


def failure_of(run: RunReport, slug: str, name: str) -> CheckResult:
    entry = by_slug(run)[slug]
    assert entry.status == "failed"
    result = check(entry, name)
    assert result.status == "failed", (name, result.message)
    return result


def test_every_invalid_file_has_a_known_defect() -> None:
    assert INVALID_FILES, "shared/models/pyhf/invalid is empty"
    assert set(INVALID_FILES) <= set(INVALID_REASONS), (
        "a new invalid file needs its expected reason"
    )


@pytest.mark.parametrize("name", INVALID_FILES)
def test_invalid_pyhf_files_fail_naming_the_defect(invalid: RunReport, name: str) -> None:
    entry = by_slug(invalid)[f"invalid-{name.removesuffix('.json')}"]
    assert entry.status == "failed"
    messages = [c.message for c in entry.failures()]
    assert any(INVALID_REASONS[name] in message for message in messages), messages
    assert all(c.status != "passed" for c in entry.checks if c.step == "correctness")


def test_empty_patchset_fails_schema(invalid: RunReport) -> None:
    result = failure_of(invalid, "patchset-empty", "integrity.schema")
    assert "should be non-empty" in result.message
    assert "Path: patches" in result.message


def test_tampered_checksums_are_caught(invalid: RunReport) -> None:
    declared = failure_of(invalid, "tampered-declared", "integrity.checksum")
    assert "checksum mismatch" in declared.message
    assert declared.details["actual"] == sha256_of(PYHF / "2-bin_1-channel.json")
    edited = failure_of(invalid, "tampered-bytes", "integrity.checksum")
    assert edited.details["declared"] == sha256_of(PYHF / "2-bin_1-channel.json")
    assert edited.details["actual"] != edited.details["declared"]
    # appending whitespace keeps the content: the canonical checksum is unchanged
    assert (
        check(by_slug(invalid)["tampered-bytes"], "integrity.canonical_checksum").status == "passed"
    )


def test_wrong_reference_value_is_caught(invalid: RunReport) -> None:
    result = failure_of(invalid, "wrong-reference", "correctness.reference_points")
    assert result.message.startswith("1 of 2 reference points disagree")
    wrong, right = result.details["points"]
    assert wrong["status"] == "failed"
    assert wrong["expected"] == -12.5
    assert math.isclose(wrong["actual"], README_LOGPDF["pyhf/2-bin_1-channel.json"], rel_tol=1e-12)
    assert right["status"] == "passed"


def test_json_bomb_fails_before_parsing(invalid: RunReport) -> None:
    result = failure_of(invalid, "json-bomb", "integrity.json")
    assert "JSON bomb guard" in result.message
    assert result.details["reason"] == "depth"
    assert result.duration_ms < 5000


def test_binary_file_fails_cleanly(invalid: RunReport) -> None:
    result = failure_of(invalid, "binary", "integrity.json")
    assert result.message.startswith("binary file (NUL byte at offset")
    assert check(by_slug(invalid)["binary"], "integrity.checksum").status == "passed"


def test_oversized_file_is_rejected_without_reading(invalid: RunReport) -> None:
    result = failure_of(invalid, "oversized", "integrity.size")
    assert result.details["size"] == 10 * 1024**3
    assert "not read" in result.message
    assert result.duration_ms < 1000
    assert check(by_slug(invalid)["oversized"], "integrity.checksum").status == "skipped"


@pytest.mark.parametrize(
    ("slug", "name", "reason"),
    [
        ("not-an-object", "integrity.format", "unrecognised model format"),
        ("nan", "integrity.json", "NaN is not valid JSON"),
        ("outside-root", "integrity.size", "outside the validated folder"),
        ("s3-location", "integrity.size", "offline validation reads local files only"),
        ("hs3-broken", "integrity.schema", "no_such_dist"),
        ("twin-bad-checksum", "integrity.linked_files", "hs3-twin"),
        ("patchset-wrong-background", "integrity.linked_files", "digest verification failed"),
        ("patchset-without-background", "integrity.linked_files", "needs a 'patch-of' link"),
        ("patchset-bad-patch", "correctness.patches", "'data' is a required property"),
    ],
)
def test_defects_fail_with_reason(invalid: RunReport, slug: str, name: str, reason: str) -> None:
    assert reason in failure_of(invalid, slug, name).message


def test_bad_entry_metadata_lists_every_problem(invalid: RunReport) -> None:
    result = failure_of(invalid, "bad-metadata", "integrity.entry")
    problems = "\n".join(result.details["problems"])
    assert "unknown field 'colaboration'" in problems
    assert "version is not a semantic version" in problems
    assert "checksum is not 'sha256:'" in problems
    assert "doi is not a DOI" in problems
    # the model file is still checked (against the malformed declared checksum)
    assert check(by_slug(invalid)["bad-metadata"], "integrity.checksum").status == "failed"


def test_unknown_domain_is_rejected(tmp_path: Path, config: ValidationConfig) -> None:
    make_entry(tmp_path / "models" / "chem", PYHF / "2-bin_1-channel.json", domain="chemistry")
    strict = config.model_copy(update={"render_visualisations": False})
    run = validate_path(tmp_path / "models", strict)
    result = failure_of(run, "chem", "integrity.entry")
    assert "domain 'chemistry' is not in the vocabulary" in result.message
    widened = config.model_copy(update={"domains": ["chemistry"], "render_visualisations": False})
    assert validate_path(tmp_path / "models", widened).entries[0].status == "passed"
