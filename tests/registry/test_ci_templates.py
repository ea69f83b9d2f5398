"""The shipped CI templates run the validator on changes to models/** and publish the report."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

TEMPLATES = Path(__file__).resolve().parents[2] / "ci-templates"
COMMAND = "pyshepard registry validate models/"


def load(path: Path) -> Any:
    return yaml.safe_load(path.read_text())


def test_github_actions_workflow() -> None:
    workflow = load(TEMPLATES / "github" / "model-validation.yml")
    triggers = workflow[True]  # YAML 1.1 reads the key `on` as a boolean
    assert triggers["pull_request"]["paths"] == ["models/**"]
    steps = workflow["jobs"]["validate"]["steps"]
    runs = [step.get("run", "") for step in steps]
    assert any(COMMAND in run and "--report-dir registry-report" in run for run in runs)
    assert any("pyshepard[registry]" in run for run in runs)
    published = [step for step in steps if step.get("if") == "always()"]
    assert any("GITHUB_STEP_SUMMARY" in step.get("run", "") for step in published)
    assert any(
        step.get("with", {}).get("report_paths") == "registry-report/junit.xml"
        for step in published
    )
    assert any(step.get("with", {}).get("path") == "registry-report/" for step in published)


def test_gitlab_ci_job() -> None:
    job = load(TEMPLATES / "gitlab" / "model-validation.gitlab-ci.yml")["model-validation"]
    merge_request = job["rules"][0]
    assert merge_request["if"] == '$CI_PIPELINE_SOURCE == "merge_request_event"'
    assert merge_request["changes"] == ["models/**/*"]
    assert any(COMMAND in line for line in job["script"])
    assert job["artifacts"]["when"] == "always"
    assert job["artifacts"]["reports"]["junit"] == "registry-report/junit.xml"
