"""Docs coverage: every setting and every CLI command (with its options) is in the README."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import typer
from pydantic import AliasChoices

from pyshepard.cli.main import app
from pyshepard.core.config import Settings

README = (Path(__file__).resolve().parents[2] / "README.md").read_text()
TYPER_BUILTINS = {"--help", "--install-completion", "--show-completion"}


def _commands(command: Any, path: tuple[str, ...]) -> Iterator[tuple[str, Any]]:
    """(full command line, command) for every leaf; duck-typed, as typer may vendor click."""
    subcommands = getattr(command, "commands", None)
    if subcommands:
        for name, sub in subcommands.items():
            yield from _commands(sub, (*path, name))
    else:
        yield " ".join(path), command


COMMANDS = dict(_commands(typer.main.get_command(app), ("pyshepard",)))


def _env_names(name: str) -> list[str]:
    alias = Settings.model_fields[name].validation_alias
    if isinstance(alias, AliasChoices):
        return [str(choice) for choice in alias.choices]
    return [f"PYSHEPARD_{name.upper()}"]


@pytest.mark.parametrize("field", sorted(Settings.model_fields))
def test_every_setting_is_documented(field: str) -> None:
    assert f"`{field}`" in README, f"README Configuration table lacks `{field}`"
    for env_name in _env_names(field):
        assert f"`{env_name}`" in README, f"README lacks the variable `{env_name}`"


def test_upstream_oidc_variable_names_are_documented() -> None:
    for name in ("OIDC_PUBLIC", "OIDC_AUTHORITY", "OIDC_ROLE"):
        assert f"`{name}`" in README


def test_cli_has_the_expected_commands() -> None:
    assert {
        "pyshepard serve",
        "pyshepard worker",
        "pyshepard db upgrade",
        "pyshepard db downgrade",
        "pyshepard db current",
        "pyshepard user create",
        "pyshepard user list",
        "pyshepard user delete",
        "pyshepard apikey create",
        "pyshepard apikey list",
        "pyshepard apikey revoke",
    } <= COMMANDS.keys()


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_every_cli_command_and_option_is_documented(command: str) -> None:
    assert f"`{command}" in README, f"README Command line table lacks {command}"
    row = next(line for line in README.splitlines() if line.startswith(f"| `{command}"))
    for param in COMMANDS[command].params:
        if param.param_type_name == "option":
            documented = [opt for opt in param.opts if opt not in TYPER_BUILTINS]
            for option in documented:
                assert option in row, f"README row of {command} lacks {option}"


def test_global_options_are_documented() -> None:
    assert "`pyshepard --version`" in README
