"""A tiny pure-Python evaluator of Mongo-style filters, written from the semantics documented
in `pyshepard/data/structured/README.md` and independent of the SQL translator, so property
tests can compare the database's answer with it."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import regex as regex_engine

from pyshepard.data.structured.query import Regex

_INDEX = re.compile(r"0|[1-9][0-9]{0,8}")


def terminals(value: Any, path: list[str]) -> Iterator[Any]:
    if not path:
        yield value
        return
    key, rest = path[0], path[1:]
    if isinstance(value, dict):
        if key in value:
            yield from terminals(value[key], rest)
    elif isinstance(value, list):
        for element in value:
            if isinstance(element, dict) and key in element:
                yield from terminals(element[key], rest)
        if _INDEX.fullmatch(key) and int(key) < len(value):
            yield from terminals(value[int(key)], rest)


def candidates(document: dict[str, Any], path: list[str]) -> Iterator[Any]:
    for value in terminals(document, path):
        yield value
        if isinstance(value, list):
            yield from value


def json_eq(left: Any, right: Any) -> bool:  # noqa: PLR0911 - one case per JSON type
    if isinstance(left, bool) or isinstance(right, bool):
        return isinstance(left, bool) and isinstance(right, bool) and left == right
    if isinstance(left, int | float) and isinstance(right, int | float):
        return left == right
    if left is None or right is None:
        return left is None and right is None
    if isinstance(left, str) and isinstance(right, str):
        return left == right
    if isinstance(left, list) and isinstance(right, list):
        return len(left) == len(right) and all(map(json_eq, left, right))
    if isinstance(left, dict) and isinstance(right, dict):
        return left.keys() == right.keys() and all(json_eq(left[k], right[k]) for k in left)
    return False


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _ordered(value: Any, op: str, operand: Any) -> bool:
    same = (_number(value) and _number(operand)) or (
        isinstance(value, str) and isinstance(operand, str)
    )
    if not same:
        return False
    outcome: bool = {
        "$gt": value > operand,
        "$gte": value >= operand,
        "$lt": value < operand,
        "$lte": value <= operand,
    }[op]
    return outcome


def _regex_matches(value: Any, regex: Regex) -> bool:
    if not isinstance(value, str):
        return False
    flags = 0
    # the documented syntax is the `regex` module's (Python's `re` plus POSIX classes)
    for option, flag in (
        ("i", regex_engine.IGNORECASE),
        ("m", regex_engine.MULTILINE),
        ("s", regex_engine.DOTALL),
    ):
        if option in regex.options:
            flags |= flag
    return regex_engine.search(regex.pattern, value, flags) is not None


def _equals(document: dict[str, Any], path: list[str], operand: Any) -> bool:
    if isinstance(operand, Regex):
        return any(_regex_matches(value, operand) for value in candidates(document, path))
    if operand is None:
        reached = list(terminals(document, path))
        return not reached or any(value is None for value in candidates(document, path))
    return any(json_eq(value, operand) for value in candidates(document, path))


def _operators(  # noqa: PLR0912 - one branch per operator
    document: dict[str, Any], path: list[str], spec: dict[str, Any]
) -> bool:
    results = []
    if "$regex" in spec:
        pattern = spec["$regex"]
        regex = pattern if isinstance(pattern, Regex) else Regex(pattern, spec.get("$options", ""))
        results.append(_equals(document, path, regex))
    for op, operand in spec.items():
        if op in ("$regex", "$options"):
            continue
        if op == "$eq":
            results.append(_equals(document, path, operand))
        elif op == "$ne":
            results.append(not _equals(document, path, operand))
        elif op in ("$gt", "$gte", "$lt", "$lte"):
            results.append(any(_ordered(v, op, operand) for v in candidates(document, path)))
        elif op == "$in":
            results.append(any(_equals(document, path, item) for item in operand))
        elif op == "$nin":
            results.append(not any(_equals(document, path, item) for item in operand))
        elif op == "$exists":
            results.append(bool(list(terminals(document, path))) == bool(operand))
        elif op == "$not":
            if isinstance(operand, Regex):
                results.append(not _equals(document, path, operand))
            else:
                results.append(not _operators(document, path, operand))
        else:
            raise ValueError(op)
    return all(results)


def evaluate(filter_doc: dict[str, Any], document: dict[str, Any]) -> bool:
    """Whether `document` matches `filter_doc`."""
    for key, value in filter_doc.items():
        if key == "$and":
            ok = all(evaluate(part, document) for part in value)
        elif key == "$or":
            ok = any(evaluate(part, document) for part in value)
        elif key == "$nor":
            ok = not any(evaluate(part, document) for part in value)
        elif isinstance(value, dict) and value and all(k.startswith("$") for k in value):
            ok = _operators(document, key.split("."), value)
        else:
            ok = _equals(document, key.split("."), value)
        if not ok:
            return False
    return True
