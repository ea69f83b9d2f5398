"""shepard's search query language: a JSON document in a string, parsed into an AST and
compiled into a SQLAlchemy boolean expression.

Leaves are `{"property": p, "operator": op, "value": v}`; combinators `{"AND": [...]}`,
`{"OR": [...]}`, `{"XOR": [...]}` and `{"NOT": {...}}`. Text comparisons are case-insensitive.
A property the caller's mapping does not know compares like a missing graph property upstream:
it is NULL, so it never matches (not even under NOT).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, TypeAlias

import regex as regex_engine
from sqlalchemy import (
    Boolean,
    ColumnElement,
    and_,
    cast,
    false,
    func,
    literal,
    not_,
    null,
    or_,
)
from sqlalchemy.orm import QueryableAttribute

from pyshepard.core.errors import InvalidInput
from pyshepard.core.regex_dialect import RegexPattern

MAX_DEPTH = 32
MAX_NODES = 1000
# longer texts gain nothing in a search and cost backends very differently (SQLite caps LIKE
# patterns at 50 000 bytes; PostgreSQL compiles a 50 000-character regex for seconds)
MAX_TEXT_VALUE = 10_000


class QueryError(InvalidInput):
    exception = "ShepardParserException"


class Operator(StrEnum):
    EQ = "eq"
    CONTAINS = "contains"
    GT = "gt"
    LT = "lt"
    GE = "ge"
    LE = "le"
    IN = "in"
    NE = "ne"
    REGMATCH = "regmatch"


class Combinator(StrEnum):
    AND = "AND"
    OR = "OR"
    XOR = "XOR"
    NOT = "NOT"


@dataclass(frozen=True)
class Condition:
    property: str
    operator: Operator
    value: Any


@dataclass(frozen=True)
class Junction:
    """AND, OR or XOR over one or more operands."""

    combinator: Combinator
    operands: tuple[Node, ...]


@dataclass(frozen=True)
class Negation:
    operand: Node


Node: TypeAlias = Condition | Junction | Negation

_LEAF_KEYS = frozenset({"property", "operator", "value"})


def parse_query(text: str) -> Node:
    """Parse the query string; raises QueryError (400) on anything malformed."""
    try:
        document = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise QueryError(f"could not parse JSON {exc}") from exc
    counter = [0]
    return _parse(document, depth=0, counter=counter)


def _parse(document: Any, *, depth: int, counter: list[int]) -> Node:
    counter[0] += 1
    if depth > MAX_DEPTH or counter[0] > MAX_NODES:
        raise QueryError(f"query too complex (at most {MAX_DEPTH} levels, {MAX_NODES} terms)")
    if not isinstance(document, dict) or not document:
        raise QueryError("a query term must be a non-empty JSON object")
    if _LEAF_KEYS & document.keys():
        return _parse_condition(document)
    if len(document) != 1:
        raise QueryError(f"a query term must have exactly one boolean operator: {list(document)}")
    key, body = next(iter(document.items()))
    try:
        combinator = Combinator(key.upper())
    except ValueError:
        raise QueryError(f"unknown boolean operator: {key}") from None
    if combinator is Combinator.NOT:
        return Negation(_parse(body, depth=depth + 1, counter=counter))
    if not isinstance(body, list) or not body:
        raise QueryError(f"{combinator} needs a non-empty array of query terms")
    operands = tuple(_parse(item, depth=depth + 1, counter=counter) for item in body)
    return Junction(combinator, operands)


def _parse_condition(document: dict[str, Any]) -> Condition:
    missing = sorted(_LEAF_KEYS - document.keys())
    if missing:
        raise QueryError(f"query term {json.dumps(document)} lacks {', '.join(missing)}")
    prop, operator, value = document["property"], document["operator"], document["value"]
    if not isinstance(prop, str) or not prop:
        raise QueryError("property must be a non-empty string")
    if not isinstance(operator, str):
        raise QueryError(f"unknown comparison operator {operator}")
    try:
        op = Operator(operator.lower())
    except ValueError:
        raise QueryError(f"unknown comparison operator {operator}") from None
    if op is Operator.IN and not isinstance(value, list):
        raise QueryError(f"operator in needs an array value for property {prop}")
    if op is not Operator.IN and isinstance(value, list | dict):
        raise QueryError(f"operator {op} needs a single value for property {prop}")
    for text in value if isinstance(value, list) else [value]:
        _check_text(text, prop)
    if op is Operator.REGMATCH:
        if not isinstance(value, str):
            raise QueryError(f"operator regmatch needs a string value for property {prop}")
        try:
            regex_engine.compile(anchored(value))
        except regex_engine.error as exc:
            raise QueryError(f"invalid regular expression {value!r}: {exc}") from None
    return Condition(prop, op, value)


def _check_text(value: Any, prop: str) -> None:
    """No stored text holds NUL (refused on every write), and none is searched beyond the cap."""
    if not isinstance(value, str):
        return
    if "\x00" in value:
        raise QueryError(f"the value for property {prop} must not contain NUL characters")
    if len(value) > MAX_TEXT_VALUE:
        raise QueryError(
            f"the value for property {prop} is longer than {MAX_TEXT_VALUE} characters"
        )


Column: TypeAlias = ColumnElement[Any] | QueryableAttribute[Any]


class Kind(StrEnum):
    TEXT = "text"
    INTEGER = "integer"
    DATETIME = "datetime"  # values: epoch milliseconds (upstream) or ISO-8601 strings


@dataclass(frozen=True)
class Field:
    """A queryable property backed by a column (or any SQL expression)."""

    column: Column
    kind: Kind = Kind.TEXT


# A property may also compile a whole condition itself (EXISTS subqueries and the like).
Predicate: TypeAlias = Callable[[Condition], ColumnElement[bool]]
Property: TypeAlias = Field | Predicate
Resolver: TypeAlias = Callable[[str], Property | None]


def to_sql(
    node: Node, properties: Mapping[str, Property], *, fallback: Resolver | None = None
) -> ColumnElement[bool]:
    """Compile the AST; raises QueryError when a value does not fit its property."""
    if isinstance(node, Negation):
        return not_(to_sql(node.operand, properties, fallback=fallback))
    if isinstance(node, Junction):
        parts = [to_sql(operand, properties, fallback=fallback) for operand in node.operands]
        return _junction(node.combinator, parts)
    target = properties.get(node.property)
    if target is None and fallback is not None:
        target = fallback(node.property)
    if target is None:
        return _unknown()
    return compare(target, node) if isinstance(target, Field) else target(node)


def _junction(combinator: Combinator, parts: list[ColumnElement[bool]]) -> ColumnElement[bool]:
    if combinator is Combinator.AND:
        return and_(*parts)
    if combinator is Combinator.OR:
        return or_(*parts)
    result = parts[0]
    for part in parts[1:]:
        # boolean inequality is XOR, and stays NULL when either side is NULL (as in Cypher)
        result = result.self_group() != part.self_group()
    return result


def _unknown() -> ColumnElement[bool]:
    return cast(null(), Boolean)


def compare(field: Field, condition: Condition) -> ColumnElement[bool]:
    """`field <operator> value` with upstream's semantics for the field's kind."""
    if condition.value is None:
        return _unknown()  # Cypher: anything compared with null is null
    if field.kind is Kind.TEXT:
        return _compare_text(field.column, condition)
    if condition.operator in (Operator.CONTAINS, Operator.REGMATCH):
        raise QueryError(
            f"operator {condition.operator} is not supported for property {condition.property}"
        )
    convert = _integer if field.kind is Kind.INTEGER else _moment
    if condition.operator is Operator.IN:
        values = [convert(item, condition.property) for item in condition.value if item is not None]
        return field.column.in_(values) if values else false()
    return _binary(field.column, condition.operator, convert(condition.value, condition.property))


def _compare_text(column: Column, condition: Condition) -> ColumnElement[bool]:
    lowered = func.lower(column)
    if condition.operator is Operator.REGMATCH:
        return column.regexp_match(literal(anchored(condition.value), RegexPattern()))
    if condition.operator is Operator.IN:
        values = [_text(item) for item in condition.value if item is not None]
        return lowered.in_(values) if values else false()
    value = _text(condition.value)
    if condition.operator is Operator.CONTAINS:
        return lowered.contains(value, autoescape=True)
    return _binary(lowered, condition.operator, value)


def anchored(pattern: str) -> str:
    """Cypher's =~ matches the whole string, case-insensitively here; `(?i)`, `\\A` and `\\Z`
    mean the same to Python's re (SQLite) and PostgreSQL's ARE engine."""
    return rf"(?i)\A(?:{pattern})\Z"


def _binary(column: Column, operator: Operator, value: Any) -> ColumnElement[bool]:
    comparisons: dict[Operator, Callable[[], ColumnElement[bool]]] = {
        Operator.EQ: lambda: column == value,
        Operator.NE: lambda: column != value,
        Operator.GT: lambda: column > value,
        Operator.LT: lambda: column < value,
        Operator.GE: lambda: column >= value,
        Operator.LE: lambda: column <= value,
    }
    return comparisons[operator]()


def _text(value: Any) -> str:
    if isinstance(value, dict | list):
        raise QueryError(f"cannot compare text with {json.dumps(value)}")
    return (value if isinstance(value, str) else json.dumps(value)).lower()


INT64 = range(-(2**63), 2**63)


def _integer(value: Any, prop: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise QueryError(f"property {prop} needs an integer value, not {json.dumps(value)}")
    try:
        number = float(value) if isinstance(value, str) else value
    except ValueError:
        raise QueryError(f"property {prop} needs an integer value, not {value!r}") from None
    if isinstance(number, float):
        if not number.is_integer():
            raise QueryError(f"property {prop} needs an integer value, not {value!r}")
        number = int(number)
    if number not in INT64:
        raise QueryError(f"value {value} of property {prop} is out of range")
    return number


def _moment(value: Any, prop: str) -> datetime:
    if isinstance(value, bool):
        raise QueryError(f"property {prop} needs a timestamp, not {json.dumps(value)}")
    if isinstance(value, int | float):
        try:
            return datetime.fromtimestamp(value / 1000, tz=UTC)
        except (OverflowError, OSError, ValueError):
            raise QueryError(f"timestamp {value} of property {prop} is out of range") from None
    if isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            raise QueryError(
                f"property {prop} needs epoch milliseconds or an ISO-8601 timestamp, not {value!r}"
            ) from None
        return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    raise QueryError(f"property {prop} needs a timestamp, not {json.dumps(value)}")
