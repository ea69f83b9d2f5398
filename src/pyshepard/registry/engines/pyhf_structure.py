"""Structural rules pyhf 0.7's JSON schemas do not express, and per-patch schema validation.

Duplicate channels/samples/modifiers are rejected by newer pyhf (`InvalidModel`); 0.7.6 accepts
duplicate samples and modifiers silently, so the registry checks them itself.

Patches of a patchset are validated operation by operation: the background-only workspace was
validated as a whole once, so each JSON-patch operation only needs its new value checked against
the sub-schema at its target, and the target's parent checked shallowly (required keys,
`minItems`, no unknown properties). Operations whose target cannot be mapped to one sub-schema
(`move`, `copy`, paths below an `anyOf`) validate the nearest unambiguous enclosing node instead.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Mapping
from typing import Any

import jsonschema

_SHALLOW_DROP = ("items", "anyOf", "oneOf", "allOf")


def duplicate_problems(document: Mapping[str, Any]) -> list[str]:
    """Duplicate names of channels, samples in a channel, modifiers in a sample, observations and
    measurements."""
    problems: list[str] = []
    channels = _named(document.get("channels"))
    problems += _duplicates("channel", channels, "channels")
    for index, channel in enumerate(channels):
        samples = _named(channel.get("samples"))
        where = f"channels[{index}] ('{channel.get('name')}')"
        problems += _duplicates("sample", samples, f"{where}.samples")
        for s_index, sample in enumerate(samples):
            keys = [
                (modifier.get("name"), modifier.get("type"))
                for modifier in _named(sample.get("modifiers"))
            ]
            for (name, kind), count in Counter(keys).items():
                if count > 1:
                    problems.append(
                        f"duplicate modifier '{name}' of type '{kind}' ({count}x) in "
                        f"{where}.samples[{s_index}] ('{sample.get('name')}')"
                    )
    problems += _duplicates("observation", _named(document.get("observations")), "observations")
    problems += _duplicates("measurement", _named(document.get("measurements")), "measurements")
    return problems


def _named(items: Any) -> list[dict[str, Any]]:
    if not isinstance(items, list):
        return []
    return [item for item in items if isinstance(item, dict)]


def _duplicates(kind: str, items: list[dict[str, Any]], where: str) -> list[str]:
    counts = Counter(str(item.get("name")) for item in items)
    return [
        f"duplicate {kind} name '{name}' ({count}x) in {where}"
        for name, count in counts.items()
        if count > 1
    ]


class PatchSchema:
    """Validates JSON-patch operations against pyhf's workspace schema at their targets."""

    def __init__(self, defs: Mapping[str, Any]) -> None:
        self._definitions = defs["definitions"]
        self._root = self._definitions["workspace"]
        self._validators: dict[tuple[str, bool], jsonschema.protocols.Validator] = {}

    def _validator(self, key: str, shallow: bool) -> jsonschema.protocols.Validator:
        if (key, shallow) not in self._validators:
            self._validators[key, shallow] = self._build_validator(key, shallow)
        return self._validators[key, shallow]

    def _build_validator(self, key: str, shallow: bool) -> jsonschema.protocols.Validator:
        schema = self._schema_at(tuple(key.split("/")) if key else ())
        if shallow:
            schema = _shallow(self._resolve(schema))
        root = {**schema, "definitions": self._definitions}
        validator_class = jsonschema.validators.validator_for(
            {"$schema": "http://json-schema.org/draft-06/schema#"}
        )
        return validator_class(root)

    def _resolve(self, schema: Mapping[str, Any]) -> Mapping[str, Any]:
        while "$ref" in schema:
            ref = str(schema["$ref"])
            if not ref.startswith("#/definitions/"):
                raise ValueError(f"non-local $ref {ref}")
            node: Any = self._definitions
            for part in ref.removeprefix("#/definitions/").split("/"):
                node = node[part]
            schema = node
        return schema

    def _schema_at(self, parts: tuple[str, ...]) -> Mapping[str, Any]:
        schema: Mapping[str, Any] = self._root
        for part in parts:
            schema = self._resolve(schema)
            if "properties" in schema and part in schema["properties"]:
                schema = schema["properties"][part]
            elif "items" in schema and (part.isdigit() or part == "-"):
                schema = schema["items"]
            else:
                raise LookupError(part)
        return schema

    def _mappable_prefix(self, parts: list[str]) -> list[str]:
        """The longest prefix of `parts` that maps to a schema without passing an anyOf."""
        schema: Mapping[str, Any] = self._root
        for depth, part in enumerate(parts):
            schema = self._resolve(schema)
            if "properties" in schema and part in schema["properties"]:
                schema = schema["properties"][part]
            elif "items" in schema and (part.isdigit() or part == "-"):
                schema = schema["items"]
            else:
                return parts[:depth]
        return parts

    def problems(self, patched: Any, operations: list[Mapping[str, Any]]) -> list[str]:
        """Schema errors the operations introduced into `patched` (the document after applying
        them). Paths are reported as JSON pointers."""
        found: list[str] = []
        for index, operation in enumerate(operations):
            for pointer, error in self._operation_errors(patched, operation):
                message = (
                    error.message if len(error.message) <= 300 else error.message[:297] + "..."
                )
                found.append(
                    f"op {index} ({operation.get('op')} {operation.get('path')}): "
                    f"{message} at {pointer}"
                )
        return found

    def _operation_errors(
        self, patched: Any, operation: Mapping[str, Any]
    ) -> Iterator[tuple[str, jsonschema.ValidationError]]:
        op = operation.get("op")
        parts = _pointer_parts(str(operation.get("path", "")))
        if op == "test":
            return
        if op in {"move", "copy"}:
            parts = []
        prefix = self._mappable_prefix(parts)
        parent_parts = parts[:-1] if parts else []
        if prefix != parts or op not in {"add", "replace", "remove"}:
            yield from self._errors(patched, prefix, shallow=False)
            return
        if op in {"add", "replace"}:
            target = _resolve_pointer(patched, parts)
            if target is not _MISSING:
                yield from self._errors(patched, parts, shallow=False)
        if op in {"add", "remove"}:
            yield from self._errors(patched, parent_parts, shallow=True)

    def _errors(
        self, patched: Any, parts: list[str], *, shallow: bool
    ) -> Iterator[tuple[str, jsonschema.ValidationError]]:
        node = _resolve_pointer(patched, parts)
        if node is _MISSING:
            return
        key = "/".join("-" if part.isdigit() else part for part in parts)
        pointer = "/" + "/".join(parts)
        for error in self._validator(key, shallow).iter_errors(node):
            yield pointer + "".join(f"/{part}" for part in error.absolute_path), error


_MISSING = object()


def _pointer_parts(pointer: str) -> list[str]:
    if not pointer:
        return []
    return [part.replace("~1", "/").replace("~0", "~") for part in pointer.lstrip("/").split("/")]


def _resolve_pointer(document: Any, parts: list[str]) -> Any:
    node = document
    for part in parts:
        if isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        elif isinstance(node, list) and part == "-" and node:
            node = node[-1]
        elif isinstance(node, dict) and part in node:
            node = node[part]
        else:
            return _MISSING
    return node


def _shallow(schema: Mapping[str, Any]) -> dict[str, Any]:
    shallow = {key: value for key, value in schema.items() if key not in _SHALLOW_DROP}
    if "properties" in shallow:
        shallow["properties"] = {name: {} for name in shallow["properties"]}
    return shallow
