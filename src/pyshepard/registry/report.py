"""Writing a `RunReport`: Markdown for people, JUnit XML for CI, an SVG status badge, JSON."""

from __future__ import annotations

import json
import os
from html import escape
from pathlib import Path
from xml.etree import ElementTree as ET

from pyshepard.registry.validation.results import CheckResult, EntryReport, RunReport

MESSAGE_LIMIT = 300
STATUS_MARK = {"passed": "✅ passed", "failed": "❌ failed", "skipped": "⏭ skipped"}


def _cell(text: str, limit: int = MESSAGE_LIMIT) -> str:
    text = " ".join(str(text).split())
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    return text.replace("|", "\\|")


def _counts(checks: list[CheckResult]) -> dict[str, int]:
    return {s: sum(1 for c in checks if c.status == s) for s in ("passed", "failed", "skipped")}


def _relative(path: str, base: Path) -> str:
    try:
        return Path(os.path.relpath(path, base)).as_posix()
    except ValueError:
        return path


def markdown(run: RunReport, *, base: Path | None = None) -> str:
    passed = sum(1 for e in run.entries if e.status == "passed")
    failed = len(run.entries) - passed
    verdict = "✅ passed" if run.passed else "❌ failed"
    lines = [
        "# Model registry validation report",
        "",
        f"**Result: {verdict}** — {len(run.entries)} entries: {passed} passed, {failed} failed.",
        f"Validated `{run.root}` with pyshepard {run.tool_version} on "
        f"{run.started_at.isoformat(timespec='seconds')} in {run.duration_ms / 1000:.1f} s.",
        "",
    ]
    if not run.entries:
        lines += ["No entries found (an entry is a folder with an `entry.json`).", ""]
        return "\n".join(lines)
    lines += [
        "| entry | name | version | format | status | checks (✅/❌/⏭) | time |",
        "|---|---|---|---|---|---|---|",
    ]
    for entry in run.entries:
        counts = _counts(entry.checks)
        lines.append(
            f"| [{_cell(entry.entry)}](#{_anchor(entry.entry)}) | {_cell(entry.name or '')} | "
            f"{_cell(entry.version or '')} | {entry.format or ''} | {STATUS_MARK[entry.status]} | "
            f"{counts['passed']}/{counts['failed']}/{counts['skipped']} | "
            f"{entry.duration_ms / 1000:.1f} s |"
        )
    lines.append("")
    for entry in run.entries:
        lines += _entry_section(entry, base)
    return "\n".join(lines)


def _anchor(slug: str) -> str:
    return "entry-" + "".join(c if c.isalnum() else "-" for c in slug.lower())


def _entry_section(entry: EntryReport, base: Path | None) -> list[str]:
    title = f"{entry.entry}" + (f" — {entry.name}" if entry.name else "")
    lines = [
        f'<a id="{_anchor(entry.entry)}"></a>',
        "",
        f"## {_cell(title, 200)} ({STATUS_MARK[entry.status]})",
        "",
    ]
    facts = []
    if entry.version:
        facts.append(f"version {entry.version}")
    if entry.format:
        facts.append(f"format `{entry.format}`")
    if entry.model_id:
        facts.append(f"model_id `{entry.model_id}`")
    if entry.engines:
        facts.append("engines " + ", ".join(f"{n} {v}" for n, v in entry.engines.items()))
    if facts:
        lines += ["; ".join(facts), ""]
    lines += ["| step | check | status | time (ms) | message |", "|---|---|---|---|---|"]
    for check in entry.checks:
        lines.append(
            f"| {check.step} | `{check.name}` | {STATUS_MARK[check.status]} | "
            f"{check.duration_ms:.1f} | {_cell(check.message)} |"
        )
    lines.append("")
    for check in entry.failures():
        problems = check.details.get("problems")
        if isinstance(problems, list) and len(problems) > 1:
            lines += [f"Problems found by `{check.name}`:", ""]
            lines += [f"- {_cell(str(p), 500)}" for p in problems[:20]]
            lines.append("")
    if entry.artifacts:
        shown = [_relative(a, base) if base else a for a in entry.artifacts]
        images = [a for a in shown if a.endswith((".svg", ".png"))]
        others = [a for a in shown if a not in images]
        lines += ["Artifacts: " + ", ".join(f"[{Path(a).name}]({a})" for a in others), ""]
        lines += [f"![{Path(a).name}]({a})" for a in images if "yields_" in a][:6]
        lines.append("")
    return lines


def junit_xml(run: RunReport) -> str:
    all_checks = [c for e in run.entries for c in e.checks]
    totals = _counts(all_checks)
    suites = ET.Element(
        "testsuites",
        name="pyshepard registry validate",
        tests=str(len(all_checks)),
        failures=str(totals["failed"]),
        skipped=str(totals["skipped"]),
        errors="0",
        time=f"{run.duration_ms / 1000:.3f}",
    )
    for entry in run.entries:
        counts = _counts(entry.checks)
        suite = ET.SubElement(
            suites,
            "testsuite",
            name=entry.entry,
            tests=str(len(entry.checks)),
            failures=str(counts["failed"]),
            skipped=str(counts["skipped"]),
            errors="0",
            time=f"{entry.duration_ms / 1000:.3f}",
        )
        for check in entry.checks:
            case = ET.SubElement(
                suite,
                "testcase",
                classname=f"registry.{entry.entry}",
                name=check.name,
                time=f"{check.duration_ms / 1000:.3f}",
            )
            if check.status == "failed":
                failure = ET.SubElement(
                    case, "failure", message=check.message[:1000], type=check.name
                )
                failure.text = json.dumps(check.details, indent=1, default=str)[:20000]
            elif check.status == "skipped":
                ET.SubElement(case, "skipped", message=check.message[:1000])
            else:
                ET.SubElement(case, "system-out").text = check.message
    ET.indent(suites)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suites, encoding="unicode") + "\n"
    )


def _text_width(text: str) -> int:
    return 10 + round(sum(7.5 if c.isupper() or c.isdigit() else 6.2 for c in text))


def badge_svg(run: RunReport, label: str = "model registry") -> str:
    passed = sum(1 for e in run.entries if e.status == "passed")
    if not run.entries:
        value, colour = "no entries", "#9f9f9f"
    elif run.passed:
        value, colour = f"{passed}/{len(run.entries)} passed", "#4c1"
    else:
        value, colour = f"{len(run.entries) - passed} failed", "#e05d44"
    left, right = _text_width(label), _text_width(value)
    total = left + right
    title = escape(f"{label}: {value}")
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{total}" height="20" role="img" '
        f'aria-label="{title}"><title>{title}</title>'
        f'<linearGradient id="s" x2="0" y2="100%"><stop offset="0" stop-color="#bbb" '
        f'stop-opacity=".1"/><stop offset="1" stop-opacity=".1"/></linearGradient>'
        f'<clipPath id="r"><rect width="{total}" height="20" rx="3" fill="#fff"/></clipPath>'
        f'<g clip-path="url(#r)"><rect width="{left}" height="20" fill="#555"/>'
        f'<rect x="{left}" width="{right}" height="20" fill="{colour}"/>'
        f'<rect width="{total}" height="20" fill="url(#s)"/></g>'
        f'<g fill="#fff" text-anchor="middle" font-family="Verdana,Geneva,DejaVu Sans,sans-serif" '
        f'font-size="11"><text x="{left / 2:.1f}" y="14">{escape(label)}</text>'
        f'<text x="{left + right / 2:.1f}" y="14">{escape(value)}</text></g></svg>\n'
    )


def write_reports(run: RunReport, directory: Path) -> dict[str, Path]:
    """Write report.md, junit.xml, badge.svg and report.json into `directory`."""
    directory.mkdir(parents=True, exist_ok=True)
    paths = {
        "markdown": directory / "report.md",
        "junit": directory / "junit.xml",
        "badge": directory / "badge.svg",
        "json": directory / "report.json",
    }
    paths["markdown"].write_text(markdown(run, base=directory), encoding="utf-8")
    paths["junit"].write_text(junit_xml(run), encoding="utf-8")
    paths["badge"].write_text(badge_svg(run), encoding="utf-8")
    paths["json"].write_text(run.model_dump_json(indent=1), encoding="utf-8")
    return paths
