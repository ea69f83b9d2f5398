"""`pyshepard registry init-ci`: the shipped workflow files land in a repository, parse as YAML,
call real `pyshepard registry` command lines, and never overwrite without --force."""

from __future__ import annotations

import filecmp
import shlex
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import pytest
import typer
import yaml
from typer.testing import CliRunner

from pyshepard.cli.main import app
from pyshepard.registry.scaffold import template_names, template_text
from tests.registry.builders import MODELS, README_LOGPDF, logpdf_point, make_entry

REPO = Path(__file__).resolve().parents[2]
PACKAGED = REPO / "src" / "pyshepard" / "registry" / "ci_templates"
TOP_LEVEL = REPO / "ci-templates"
REGISTRY = typer.main.get_command(app).commands["registry"]  # type: ignore[attr-defined]


def init_ci(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["registry", "init-ci", *args])
    return result.exit_code, result.output


def load(path: Path) -> Any:
    return yaml.safe_load(path.read_text())


def registry_calls(lines: list[str]) -> list[list[str]]:
    """The `pyshepard registry ...` command lines in a list of shell lines, as argv lists."""
    calls = []
    for line in lines:
        for part in line.split("\n"):
            if part.strip().startswith("pyshepard registry "):
                calls.append(shlex.split(part.strip())[2:])
    return calls


def assert_real_command_line(argv: list[str]) -> None:
    """Our CLI parses the command line: the command and every option exist."""
    command = REGISTRY.commands[argv[0]]
    context = command.make_context(argv[0], argv[1:])
    assert context.params


def test_both_providers_write_parseable_workflows_that_call_the_cli(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    code, output = init_ci(str(tmp_path))
    assert code == 0, output
    validate = tmp_path / ".github" / "workflows" / "model-validation.yml"
    sync = tmp_path / ".github" / "workflows" / "model-sync.yml"
    gitlab = tmp_path / "ci" / "model-validation.gitlab-ci.yml"
    for path in (
        validate,
        sync,
        gitlab,
        tmp_path / ".gitlab-ci.yml",
        tmp_path / "models/README.md",
    ):
        assert f"wrote  {path}" in output

    github_steps = load(validate)["jobs"]["validate"]["steps"]
    assert load(validate)[True]["pull_request"]["paths"] == ["models/**"]  # YAML 1.1: on = True
    calls = registry_calls([step.get("run", "") for step in github_steps])
    assert calls == [["validate", "models/", "--jobs", "2", "--report-dir", "registry-report"]]

    sync_workflow = load(sync)
    assert sync_workflow[True]["push"] == {"branches": ["main"], "paths": ["models/**"]}
    sync_steps = sync_workflow["jobs"]["sync"]["steps"]
    sync_step = next(
        step for step in sync_steps if "pyshepard registry sync" in step.get("run", "")
    )
    assert sync_step["env"]["PYSHEPARD_API_KEY"] == "${{ secrets.PYSHEPARD_API_KEY }}"
    assert registry_calls([sync_step["run"]]) == [
        ["sync", "models/", "--server", "$PYSHEPARD_SERVER"]
    ]

    root = load(tmp_path / ".gitlab-ci.yml")
    assert root["include"] == [{"local": "ci/model-validation.gitlab-ci.yml"}]
    pipeline = load(gitlab)
    assert pipeline["stages"] == ["validate", "publish"]
    assert registry_calls(pipeline["model-validation"]["script"]) == [
        ["validate", "models/", "--jobs", "2", "--report-dir", "registry-report"]
    ]
    assert registry_calls(pipeline["model-sync"]["script"]) == [
        ["sync", "models/", "--server", "$PYSHEPARD_SERVER"]
    ]
    assert "$CI_DEFAULT_BRANCH" in pipeline["model-sync"]["rules"][0]["if"]

    monkeypatch.chdir(tmp_path)  # CI runs them in the repository root, where models/ is
    for argv in calls + registry_calls(pipeline["model-sync"]["script"]):
        assert_real_command_line(argv)
    assert "validation_status" in (tmp_path / "models" / "README.md").read_text()


def test_the_written_validation_command_passes_on_a_real_entry(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    code, output = init_ci(str(tmp_path), "--provider", "gitlab")
    assert code == 0, output
    make_entry(
        tmp_path / "models" / "demos" / "two-bin" / "1.0.0",
        MODELS / "pyhf" / "2-bin_1-channel.json",
        reference_points=[logpdf_point(README_LOGPDF["pyhf/2-bin_1-channel.json"])],
    )
    script = load(tmp_path / "ci" / "model-validation.gitlab-ci.yml")["model-validation"]["script"]
    (argv,) = registry_calls(script)
    monkeypatch.chdir(tmp_path)  # the pipeline runs in the repository root
    result = CliRunner().invoke(app, ["registry", *argv])
    assert result.exit_code == 0, result.output
    assert "1 entries: 1 passed, 0 failed" in result.output
    junit = load(tmp_path / "ci" / "model-validation.gitlab-ci.yml")["model-validation"]
    assert (tmp_path / junit["artifacts"]["reports"]["junit"]).is_file()


def test_refuses_to_overwrite_without_force(tmp_path: Path) -> None:
    assert init_ci(str(tmp_path), "--provider", "github")[0] == 0
    edited = tmp_path / ".github" / "workflows" / "model-validation.yml"
    edited.write_text("# my own workflow\n")
    (tmp_path / "models" / "README.md").unlink()

    code, output = init_ci(str(tmp_path), "--provider", "github")
    assert code == 1
    assert "refusing to overwrite (use --force)" in output
    assert str(edited) in output
    assert edited.read_text() == "# my own workflow\n"
    assert not (tmp_path / "models" / "README.md").exists()  # nothing written at all

    code, output = init_ci(str(tmp_path), "--provider", "github", "--force")
    assert code == 0, output
    assert edited.read_text() == template_text("github/model-validation.yml")
    assert (tmp_path / "models" / "README.md").is_file()


def test_one_provider_only_and_an_existing_gitlab_root_is_left_alone(tmp_path: Path) -> None:
    assert init_ci(str(tmp_path / "gh"), "--provider", "github")[0] == 0
    assert not (tmp_path / "gh" / "ci").exists()
    assert not (tmp_path / "gh" / ".gitlab-ci.yml").exists()

    (tmp_path / "gl").mkdir()
    root = tmp_path / "gl" / ".gitlab-ci.yml"
    root.write_text("stages: [test]\n")
    code, output = init_ci(str(tmp_path / "gl"), "--provider", "gitlab")
    assert code == 0, output
    assert root.read_text() == "stages: [test]\n"
    assert "note" in output
    assert "include" in output
    assert not (tmp_path / "gl" / ".github").exists()

    code, output = init_ci(str(tmp_path / "x"), "--provider", "circleci")
    assert code == 2
    assert "circleci" in output


def test_top_level_ci_templates_are_identical_to_the_packaged_ones() -> None:
    packaged = sorted(
        p.relative_to(PACKAGED).as_posix() for p in PACKAGED.rglob("*") if p.is_file()
    )
    top = sorted(p.relative_to(TOP_LEVEL).as_posix() for p in TOP_LEVEL.rglob("*") if p.is_file())
    assert packaged == top == template_names()
    _match, mismatch, errors = filecmp.cmpfiles(PACKAGED, TOP_LEVEL, packaged, shallow=False)
    assert mismatch == []
    assert errors == []


@pytest.mark.slow
def test_the_wheel_carries_the_templates(tmp_path: Path) -> None:
    source = tmp_path / "source"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copyfile(REPO / name, source / name)
    shutil.copytree(
        REPO / "src", source / "src", ignore=shutil.ignore_patterns("__pycache__", "*.egg-info")
    )
    subprocess.run(  # noqa: S603 - pip on our own source tree
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "--quiet",
            "--wheel-dir",
            str(tmp_path / "dist"),
            str(source),
        ],
        check=True,
        capture_output=True,
    )
    (wheel,) = (tmp_path / "dist").glob("pyshepard-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        for template in template_names():
            member = f"pyshepard/registry/ci_templates/{template}"
            assert member in names
            assert archive.read(member).decode() == template_text(template)
