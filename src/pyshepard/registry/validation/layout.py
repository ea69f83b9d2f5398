"""Where entries live on disk (see README.md in this package for the documented layout)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlparse

ENTRY_FILE = "entry.json"


class LocationError(ValueError):
    """A file location that offline validation cannot or must not read."""


@dataclass(frozen=True)
class EntrySource:
    """One entry: its folder, its `entry.json`, and the root every file it names must stay in."""

    directory: Path
    root: Path

    @property
    def entry_file(self) -> Path:
        return self.directory / ENTRY_FILE

    @property
    def slug(self) -> str:
        relative = self.directory.relative_to(self.root)
        return relative.as_posix() if relative.parts else self.directory.name

    def resolve(self, location: str) -> Path:
        """The local path of a `file_location`-style value: a path relative to the entry folder,
        or a `file://` URL; both must stay inside the validated root."""
        parsed = urlparse(location)
        if parsed.scheme in {"", "file"} and not (parsed.scheme == "" and "://" in location):
            raw = unquote(parsed.path) if parsed.scheme == "file" else location
            candidate = Path(raw)
            path = candidate if candidate.is_absolute() else self.directory / candidate
        else:
            raise LocationError(
                f"'{location}' is a {parsed.scheme}:// location; offline validation reads local "
                "files only (the server resolves object-store locations)"
            )
        resolved = path.resolve()
        if not resolved.is_relative_to(self.root.resolve()):
            raise LocationError(f"'{location}' points outside the validated folder {self.root}")
        return resolved


def discover(path: Path) -> list[EntrySource]:
    """Entries under `path`: the folder itself if it holds an `entry.json`, else every folder
    below it that does (hidden folders skipped), in sorted order. A path to an `entry.json` file
    selects that single entry."""
    path = path.resolve()
    if path.is_file():
        return [EntrySource(directory=path.parent, root=path.parent)]
    if (path / ENTRY_FILE).is_file():
        return [EntrySource(directory=path, root=path)]
    found = []
    for entry_file in sorted(path.rglob(ENTRY_FILE)):
        relative = entry_file.relative_to(path)
        if any(part.startswith(".") for part in relative.parts):
            continue
        found.append(EntrySource(directory=entry_file.parent, root=path))
    return found
