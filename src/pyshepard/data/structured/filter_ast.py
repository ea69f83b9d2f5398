"""Mongo-style filter documents, validated into a small AST (compiled by `sql_json`).

Supported: implicit equality, `$eq $ne $gt $gte $lt $lte $in $nin $exists $regex $options $not`
on fields (dotted paths into nested objects and through arrays), `$and $or $nor` at any level.
Semantics follow MongoDB's where SQL allows it (see `README.md` for the exact rules):
a path reaches every value below it, through arrays of objects; a condition holds when any
reached value (or element of a reached array) satisfies it; `$ne`, `$nin`, `$not` and `$nor`
are their positive forms negated, so they also hold where the field is missing; ranges only
compare numbers with numbers and strings with strings (by code point); `null` equals a null
value and a missing field. Object equality ignores key order (JSONB has none).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal, TypeAlias

import regex as regex_engine

from pyshepard.core.errors import InvalidInput

MAX_DEPTH = 32
MAX_TERMS = 500
MAX_PATH = 8  # path components; the SQL grows with 2^n for paths that may cross arrays
MAX_REGEX = 1000
MAX_IN = 1000  # values of one $in / $nin


class FilterError(InvalidInput):
    exception = "ShepardParserException"


@dataclass(frozen=True)
class Regex:
    """A regular expression value (`/p/i` in shell syntax, `{"$regex": p}` in JSON)."""

    pattern: str
    options: str = ""


RangeOp = Literal["$gt", "$gte", "$lt", "$lte"]


@dataclass(frozen=True)
class Eq:
    value: Any


@dataclass(frozen=True)
class In:
    values: tuple[Any, ...]


@dataclass(frozen=True)
class Range:
    op: RangeOp
    value: int | float | str


@dataclass(frozen=True)
class Exists:
    present: bool


@dataclass(frozen=True)
class Match:
    regex: Regex


@dataclass(frozen=True)
class Not:
    test: Test


@dataclass(frozen=True)
class AllOf:
    tests: tuple[Test, ...]


Test: TypeAlias = Eq | In | Range | Exists | Match | Not | AllOf


@dataclass(frozen=True)
class Field:
    path: tuple[str, ...]
    test: Test


@dataclass(frozen=True)
class Logic:
    op: Literal["$and", "$or", "$nor"]
    parts: tuple[Node, ...]


Node: TypeAlias = Field | Logic

_RANGES: tuple[RangeOp, ...] = ("$gt", "$gte", "$lt", "$lte")
_LOGIC = ("$and", "$or", "$nor")
_INDEX = re.compile(r"0|[1-9][0-9]{0,8}")


def is_index(component: str) -> bool:
    """Whether a path component also addresses an array position (`a.0`)."""
    return _INDEX.fullmatch(component) is not None


def parse_filter(document: Mapping[str, Any]) -> Node:
    """Validate a filter document into the AST; raises FilterError (400)."""
    counter = [0]
    return _document(document, depth=0, counter=counter)


def _tick(depth: int, counter: list[int]) -> None:
    counter[0] += 1
    if depth > MAX_DEPTH or counter[0] > MAX_TERMS:
        raise FilterError(f"filter too complex (at most {MAX_DEPTH} levels, {MAX_TERMS} terms)")


def _document(document: Any, *, depth: int, counter: list[int]) -> Node:
    _tick(depth, counter)
    if not isinstance(document, Mapping):
        raise FilterError(f"a filter must be an object, not {_show(document)}")
    parts: list[Node] = []
    for key, value in document.items():
        if not isinstance(key, str):
            raise FilterError("filter keys must be strings")
        if key.startswith("$"):
            parts.append(_logic(key, value, depth=depth, counter=counter))
        else:
            parts.append(Field(_path(key), _condition(value, depth=depth + 1, counter=counter)))
    return parts[0] if len(parts) == 1 else Logic("$and", tuple(parts))


def _logic(key: str, value: Any, *, depth: int, counter: list[int]) -> Node:
    if key not in _LOGIC:
        raise FilterError(f"unknown top level operator: {key}")
    if not isinstance(value, list) or not value:
        raise FilterError(f"{key} must be a nonempty array")
    parts = tuple(_document(item, depth=depth + 1, counter=counter) for item in value)
    return Logic(key, parts)  # type: ignore[arg-type]


def _path(key: str) -> tuple[str, ...]:
    components = tuple(key.split("."))
    if any(not part for part in components):
        raise FilterError(f"invalid field path {key!r}: empty component")
    if len(components) > MAX_PATH:
        raise FilterError(f"field path {key!r} is too deep (at most {MAX_PATH} components)")
    for part in components:
        if '"' in part or "\\" in part or "\x00" in part:
            raise FilterError(f"invalid field path {key!r}: quotes and backslashes are not allowed")
    return components


def _is_operator_object(value: Any) -> bool:
    if isinstance(value, Mapping) and set(value) == {"$oid"}:
        return False  # extended JSON for an ObjectId: a value, not an operator
    return isinstance(value, Mapping) and any(
        isinstance(key, str) and key.startswith("$") for key in value
    )


def _condition(value: Any, *, depth: int, counter: list[int]) -> Test:
    _tick(depth, counter)
    if isinstance(value, Regex):
        return Match(_regex(value))
    if not _is_operator_object(value):
        return Eq(_literal(value))
    if not all(isinstance(key, str) and key.startswith("$") for key in value):
        raise FilterError(f"cannot mix operators and fields in {_show(value)}")
    operators = dict(value)
    tests: list[Test] = []
    if "$regex" in operators:
        tests.append(Match(_regex_operator(operators.pop("$regex"), operators.pop("$options", ""))))
    elif "$options" in operators:
        raise FilterError("$options needs a $regex")
    for operator, operand in operators.items():
        tests.append(_operator(operator, operand, depth=depth + 1, counter=counter))
    return tests[0] if len(tests) == 1 else AllOf(tuple(tests))


def _operator(operator: str, operand: Any, *, depth: int, counter: list[int]) -> Test:
    if operator in ("$eq", "$ne"):
        if isinstance(operand, Regex):
            raise FilterError(f"{operator} does not take a regular expression; use $regex")
        equal = Eq(_literal(operand))
        return equal if operator == "$eq" else Not(equal)
    if operator in _RANGES:
        return Range(operator, _range_operand(operator, operand))
    if operator in ("$in", "$nin"):
        return _membership(operator, operand)
    if operator == "$exists":
        if isinstance(operand, bool) or (isinstance(operand, int) and operand in (0, 1)):
            return Exists(bool(operand))
        raise FilterError("$exists needs true or false")
    if operator == "$not":
        if isinstance(operand, Regex):
            return Not(Match(_regex(operand)))
        if not _is_operator_object(operand):
            raise FilterError("$not needs a regular expression or an operator object")
        return Not(_condition(operand, depth=depth, counter=counter))
    raise FilterError(f"unknown operator: {operator}")


def _membership(operator: str, operand: Any) -> Test:
    if not isinstance(operand, list):
        raise FilterError(f"{operator} needs an array")
    if len(operand) > MAX_IN:
        raise FilterError(f"{operator} takes at most {MAX_IN} values")
    values = tuple(_regex(item) if isinstance(item, Regex) else _literal(item) for item in operand)
    return In(values) if operator == "$in" else Not(In(values))


def _range_operand(operator: str, operand: Any) -> int | float | str:
    if isinstance(operand, bool) or not isinstance(operand, int | float | str):
        raise FilterError(f"{operator} needs a number or a string, not {_show(operand)}")
    return operand


def _regex_operator(pattern: Any, options: Any) -> Regex:
    if isinstance(pattern, Regex):
        if options:
            raise FilterError("$options cannot be combined with a regular expression literal")
        return _regex(pattern)
    if not isinstance(pattern, str) or not isinstance(options, str):
        raise FilterError("$regex needs a string pattern and $options a string")
    return _regex(Regex(pattern, options))


def _regex(regex: Regex) -> Regex:
    options = "".join(sorted(set(regex.options)))
    if set(options) - set("ims"):
        raise FilterError(f"unsupported regular expression options {regex.options!r} (use i, m, s)")
    if len(regex.pattern) > MAX_REGEX or "\x00" in regex.pattern:
        raise FilterError(f"regular expression too long (at most {MAX_REGEX} characters)")
    try:
        regex_engine.compile(regex.pattern)
    except regex_engine.error as exc:
        raise FilterError(f"invalid regular expression {regex.pattern!r}: {exc}") from None
    return Regex(regex.pattern, options)


def _literal(value: Any, depth: int = 0) -> Any:
    """A JSON value to compare with; rejects what JSON documents cannot hold."""
    if depth > MAX_DEPTH:
        raise FilterError("value nested too deeply")
    if value is None or isinstance(value, bool | str | int):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise FilterError("numbers must be finite")
        return value
    if isinstance(value, list):
        return [_literal(item, depth + 1) for item in value]
    if isinstance(value, Mapping):
        return {str(key): _literal(item, depth + 1) for key, item in value.items()}
    if isinstance(value, Regex):
        raise FilterError("a regular expression cannot be nested in a value")
    raise FilterError(f"unsupported value {_show(value)}")


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."
