"""`pyshepard registry init-ci`: write the shipped CI workflow files into a registry repository.

The templates are package data (`ci_templates/`), so an installed wheel carries them."""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Literal

Provider = Literal["github", "gitlab", "both"]

GITLAB_INCLUDE = "ci/model-validation.gitlab-ci.yml"
GITLAB_ROOT = ".gitlab-ci.yml"
GITLAB_ROOT_TEXT = f"""# DEMOS model registry pipeline, written by `pyshepard registry init-ci`
include:
  - local: {GITLAB_INCLUDE}
"""

# template (relative to ci_templates/) -> target (relative to the repository), per provider
_FILES: dict[str, dict[str, str]] = {
    "github": {
        "github/model-validation.yml": ".github/workflows/model-validation.yml",
        "github/model-sync.yml": ".github/workflows/model-sync.yml",
    },
    "gitlab": {"gitlab/model-validation.gitlab-ci.yml": GITLAB_INCLUDE},
    "common": {"models/README.md": "models/README.md"},
}


class ExistingFiles(Exception):
    """Files that would be overwritten (and were not, nothing was written)."""

    def __init__(self, paths: list[Path]) -> None:
        super().__init__(", ".join(str(path) for path in paths))
        self.paths = paths


@dataclass(frozen=True)
class Written:
    path: Path
    note: str = ""


def template_text(name: str) -> str:
    """A shipped template by its path below `ci_templates/`, e.g. `github/model-sync.yml`."""
    resource = resources.files("pyshepard.registry").joinpath("ci_templates", *name.split("/"))
    return resource.read_text(encoding="utf-8")


def template_names() -> list[str]:
    """Every shipped template file, as paths below `ci_templates/`."""
    root = resources.files("pyshepard.registry").joinpath("ci_templates")
    names: list[str] = []
    stack = [(root, "")]
    while stack:
        folder, prefix = stack.pop()
        for child in folder.iterdir():
            if child.is_dir():
                stack.append((child, f"{prefix}{child.name}/"))
            elif child.is_file():
                names.append(f"{prefix}{child.name}")
    return sorted(names)


def init_ci(directory: Path, *, provider: Provider = "both", force: bool = False) -> list[Written]:
    """Write the workflow files for `provider` and a starter models/README.md into `directory`.

    Raises ExistingFiles (writing nothing) when a target exists and `force` is false. A GitLab
    `.gitlab-ci.yml` is created only when absent; an existing one is never touched (the result
    notes whether it already includes the registry pipeline)."""
    providers = ["github", "gitlab"] if provider == "both" else [provider]
    plan = {
        directory / target: template
        for group in [*providers, "common"]
        for template, target in _FILES[group].items()
    }
    existing = [path for path in plan if path.exists()]
    if existing and not force:
        raise ExistingFiles(existing)
    written: list[Written] = []
    for path, template in plan.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(template_text(template), encoding="utf-8")
        written.append(Written(path))
    if "gitlab" in providers:
        root = directory / GITLAB_ROOT
        if not root.exists():
            root.write_text(GITLAB_ROOT_TEXT, encoding="utf-8")
            written.append(Written(root))
        elif GITLAB_INCLUDE not in root.read_text(encoding="utf-8"):
            written.append(
                Written(root, f"left as it is; add `include: [{{local: {GITLAB_INCLUDE}}}]`")
            )
    return written
