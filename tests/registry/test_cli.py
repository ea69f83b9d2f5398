"""`pyshepard registry validate`: summary output, report files, exit codes, parallel jobs, and
limits that turn a stuck or memory-starved engine into a failed check."""

from __future__ import annotations

import json
import time
from pathlib import Path
from xml.etree import ElementTree as ET

from typer.testing import CliRunner

from pyshepard.cli.registry import registry_app
from tests.registry.builders import MODELS, README_LOGPDF, logpdf_point, make_entry

TWO_BIN = MODELS / "pyhf" / "2-bin_1-channel.json"
XMLIMPORT = MODELS / "pyhf" / "xmlimport_input_bkg.json"


def invoke(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(registry_app, ["validate", *args])
    return result.exit_code, result.output


def test_passing_folder_exits_zero_and_writes_reports(tmp_path: Path, registry_cache: Path) -> None:
    models = tmp_path / "models"
    make_entry(
        models / "a-two-bin",
        TWO_BIN,
        name="two bin",
        reference_points=[logpdf_point(README_LOGPDF["pyhf/2-bin_1-channel.json"])],
    )
    make_entry(models / "b-xmlimport", XMLIMPORT, name="xmlimport")
    reports = tmp_path / "report"
    code, output = invoke(
        str(models), "--jobs", "2", "--report-dir", str(reports), "--cache-dir", str(registry_cache)
    )
    assert code == 0, output
    assert "PASS  a-two-bin (two bin 1.0.0)" in output
    assert "PASS  b-xmlimport (xmlimport 1.0.0)" in output
    assert "2 entries: 2 passed, 0 failed" in output

    markdown = (reports / "report.md").read_text()
    assert "**Result: ✅ passed** — 2 entries: 2 passed, 0 failed." in markdown
    assert "| `correctness.reference_points` | ✅ passed |" in markdown
    assert "![yields_singlechannel.svg](entries/a-two-bin/yields_singlechannel.svg)" in markdown
    assert (reports / "entries" / "a-two-bin" / "yields_singlechannel.svg").is_file()

    suites = ET.fromstring((reports / "junit.xml").read_text())  # noqa: S314 - our own output
    assert suites.tag == "testsuites"
    assert suites.get("failures") == "0"
    assert [s.get("name") for s in suites] == ["a-two-bin", "b-xmlimport"]
    names = [case.get("name") for case in suites[0]]
    assert names[0] == "integrity.entry"
    assert "correctness.fit" in names
    skipped = [case.get("name") for case in suites[0] if case.find("skipped") is not None]
    assert "correctness.cross_engine" in skipped

    badge = (reports / "badge.svg").read_text()
    assert "2/2 passed" in badge
    assert "#4c1" in badge
    report = json.loads((reports / "report.json").read_text())
    assert report["passed"] is True
    assert {e["entry"] for e in report["entries"]} == {"a-two-bin", "b-xmlimport"}


def test_failure_exits_one_with_reasons(tmp_path: Path, registry_cache: Path) -> None:
    models = tmp_path / "models"
    make_entry(models / "good", TWO_BIN)
    make_entry(models / "tampered", TWO_BIN, checksum="sha256:" + "a" * 64)
    reports = tmp_path / "report"
    code, output = invoke(
        str(models), "--report-dir", str(reports), "--cache-dir", str(registry_cache)
    )
    assert code == 1
    assert "FAIL  tampered" in output
    assert "integrity.checksum: checksum mismatch" in output
    assert "2 entries: 1 passed, 1 failed" in output
    suites = ET.fromstring((reports / "junit.xml").read_text())  # noqa: S314 - our own output
    failures = [
        (suite.get("name"), case.get("name"), case.find("failure").get("message", ""))
        for suite in suites
        for case in suite
        if case.find("failure") is not None
    ]
    assert failures[0][:2] == ("tampered", "integrity.checksum")
    assert "checksum mismatch" in failures[0][2]
    assert "1 failed" in (reports / "badge.svg").read_text()
    assert "❌ failed" in (reports / "report.md").read_text()


def test_single_entry_folder_and_entry_file(tmp_path: Path, registry_cache: Path) -> None:
    entry = make_entry(tmp_path / "one", TWO_BIN)
    for target in (entry, entry / "entry.json"):
        code, output = invoke(
            str(target), "--report-dir", str(tmp_path / "r"), "--cache-dir", str(registry_cache)
        )
        assert code == 0, output
        assert "1 entries: 1 passed" in output


def test_no_entries_exits_two(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    code, output = invoke(str(tmp_path / "empty"), "--report-dir", str(tmp_path / "r"))
    assert code == 2
    assert "no entry.json found" in output
    assert "no entries" in (tmp_path / "r" / "badge.svg").read_text()


def test_wall_time_limit_turns_a_stuck_engine_into_a_failed_check(
    tmp_path: Path, registry_cache: Path
) -> None:
    make_entry(tmp_path / "models" / "slow", TWO_BIN)
    start = time.monotonic()
    code, output = invoke(
        str(tmp_path / "models"),
        "--timeout",
        "0.5",
        "--report-dir",
        str(tmp_path / "r"),
        "--cache-dir",
        str(registry_cache),
    )
    assert code == 1
    assert time.monotonic() - start < 60
    assert "timed out after 0.5 s (wall-time limit); the worker was killed" in output
    report = json.loads((tmp_path / "r" / "report.json").read_text())
    failed = [c for c in report["entries"][0]["checks"] if c["status"] == "failed"]
    assert len(failed) == 1
    assert failed[0]["details"]["event"] == "timeout"


def test_memory_limit_turns_a_memory_blow_up_into_a_failed_check(
    tmp_path: Path, registry_cache: Path
) -> None:
    # 30 MB of JSON that parses into ten million lists: about 1 GB of Python objects
    make_entry(tmp_path / "models" / "hungry", b"[" + b"[]," * 10_000_000 + b"[]]")
    code, output = invoke(
        str(tmp_path / "models"),
        "--memory-mb",
        "512",
        "--report-dir",
        str(tmp_path / "r"),
        "--cache-dir",
        str(registry_cache),
    )
    assert code == 1
    assert "integrity.json: memory limit exceeded" in output
    report = json.loads((tmp_path / "r" / "report.json").read_text())
    statuses = {c["name"]: c["status"] for c in report["entries"][0]["checks"]}
    assert statuses["integrity.checksum"] == "passed"
    assert statuses["integrity.json"] == "failed"
    assert statuses["correctness.build"] == "skipped"
