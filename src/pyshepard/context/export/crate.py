"""The RO-Crate 1.1 metadata document (`ro-crate-metadata.json`) of a collection export.

Written here rather than with the `rocrate` library: that library builds a crate from local
files or URLs and streams it synchronously, while our entries come from the database and the
async BlobStore as the zip is being sent; the graph itself is a handful of flat JSON-LD objects
(upstream's ExportBuilder: File entities with name, description, dateCreated, dateModified,
additionalType, encodingFormat, author; Person entities; the root Dataset's hasPart).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

CONTEXT = "https://w3id.org/ro/crate/1.1/context"
SPEC = "https://w3id.org/ro/crate/1.1"
METADATA = "ro-crate-metadata.json"
JSON = "application/json"


def person_id(username: str) -> str:
    """A local identifier (`#name`) for an author: RO-Crate contextual entities need a URI
    reference that is not a file of the crate (upstream uses the bare username)."""
    return "#" + quote(username, safe="")


@dataclass
class Crate:
    name: str
    description: str
    published: str
    files: list[dict[str, Any]] = field(default_factory=list)
    authors: list[str] = field(default_factory=list)

    def add_entity(
        self,
        filename: str,
        *,
        kind: str,
        name: str | None,
        created_at: str | None,
        created_by: str | None,
        updated_at: str | None = None,
        description: str | None = None,
    ) -> None:
        """An organisational element (collection, data object, reference, journal entry)."""
        entity: dict[str, Any] = {"@id": filename, "@type": "File", "encodingFormat": JSON}
        if name is not None:
            entity["name"] = name
        if description is not None:
            entity["description"] = description
        if created_at is not None:
            entity["dateCreated"] = created_at
        if updated_at is not None:
            entity["dateModified"] = updated_at
        entity["additionalType"] = kind
        if created_by:
            entity["author"] = {"@id": person_id(created_by)}
            self.add_author(created_by)
        self.files.append(entity)

    def add_payload(
        self, filename: str, *, name: str | None, encoding: str | None, size: int | None = None
    ) -> None:
        """A payload file: file bytes, a structured-data document, a timeseries CSV."""
        entity: dict[str, Any] = {"@id": filename, "@type": "File"}
        if name is not None:
            entity["name"] = name
        if encoding is not None:
            entity["encodingFormat"] = encoding
        if size is not None:
            entity["contentSize"] = str(size)
        self.files.append(entity)

    def add_author(self, username: str) -> None:
        if username not in self.authors:
            self.authors.append(username)

    def document(self, people: dict[str, dict[str, str | None]]) -> dict[str, Any]:
        """The JSON-LD document; `people` maps usernames to email/givenName/familyName."""
        persons = []
        for username in self.authors:
            person: dict[str, Any] = {"@id": person_id(username), "@type": "Person"}
            person["name"] = username
            for key, value in people.get(username, {}).items():
                if value:
                    person[key] = value
            persons.append(person)
        return {
            "@context": CONTEXT,
            "@graph": [
                {
                    "@id": METADATA,
                    "@type": "CreativeWork",
                    "conformsTo": {"@id": SPEC},
                    "about": {"@id": "./"},
                },
                {
                    "@id": "./",
                    "@type": "Dataset",
                    "name": self.name,
                    "description": self.description,
                    "datePublished": self.published,
                    "hasPart": [{"@id": entity["@id"]} for entity in self.files],
                },
                *self.files,
                *persons,
            ],
        }
