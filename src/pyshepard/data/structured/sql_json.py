"""Compiles a filter AST into one SQL boolean over a JSON column, for PostgreSQL and SQLite.

A *handle* is a JSON value inside the document: on PostgreSQL a jsonb expression, on SQLite a
(document, JSON path) pair read with `json_type`/`json_extract`. Every predicate built here is
NULL-free (false, never unknown, when a value is missing), so negations stay exact.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable, Iterator
from typing import Any, Protocol, TypeAlias

from sqlalchemy import (
    ColumnElement,
    Text,
    and_,
    case,
    cast,
    false,
    func,
    literal,
    literal_column,
    not_,
    or_,
    select,
    true,
    type_coerce,
)
from sqlalchemy.dialects.postgresql import JSONB

from pyshepard.core.regex_dialect import RegexPattern
from pyshepard.data.structured.filter_ast import (
    AllOf,
    Eq,
    Exists,
    In,
    Logic,
    Match,
    Node,
    Not,
    Range,
    Regex,
    Test,
    is_index,
)

Bool: TypeAlias = ColumnElement[bool]
Handle: TypeAlias = Any
Predicate: TypeAlias = Callable[[Handle], Bool]

_SQL_OPS = {"$gt": ">", "$gte": ">=", "$lt": "<", "$lte": "<="}
INT64 = range(-(2**63), 2**63)


class JsonOps(Protocol):
    """What the compiler needs from a dialect."""

    def root(self) -> Handle: ...
    def child(self, handle: Handle, key: str) -> Handle: ...
    def index(self, handle: Handle, position: int) -> Handle: ...
    def present(self, handle: Handle) -> Bool: ...
    def is_kind(self, handle: Handle, kind: str) -> Bool: ...
    def any_element(self, handle: Handle, predicate: Predicate) -> Bool: ...
    def equals(self, handle: Handle, value: Any) -> Bool: ...
    def equals_any(self, handle: Handle, values: list[Any]) -> Bool: ...
    def compare(self, handle: Handle, op: str, value: int | float | str) -> Bool: ...
    def matches(self, handle: Handle, regex: Regex) -> Bool: ...


def _exists_in(elements: Any, condition: Bool) -> Bool:
    """EXISTS over a table function; the document table correlates to whichever enclosing
    SELECT has it (nested subqueries would otherwise re-add it to their FROM)."""
    return (
        select(literal(1))
        .select_from(elements)
        .where(condition)
        .correlate_except(elements)
        .exists()
    )


def _json_text(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


class PostgresJson:
    """jsonb: `->` to descend, `jsonb_array_elements` to iterate, jsonb equality and order."""

    def __init__(self, document: ColumnElement[Any], aliases: Iterator[int]) -> None:
        self.document = type_coerce(document, JSONB)
        self.aliases = aliases

    def root(self) -> Handle:
        return self.document

    def child(self, handle: Handle, key: str) -> Handle:
        return handle.op("->", return_type=JSONB)(literal(key, Text))

    def index(self, handle: Handle, position: int) -> Handle:
        # jsonb stores a scalar as a one-element array: `'"x"' -> 0` is "x", so check first
        only_arrays = case((func.jsonb_typeof(handle) == "array", handle))
        return only_arrays.op("->", return_type=JSONB)(literal(position))

    def present(self, handle: Handle) -> Bool:
        return handle.is_not(None)  # type: ignore[no-any-return]

    def is_kind(self, handle: Handle, kind: str) -> Bool:
        return func.jsonb_typeof(handle).is_not_distinct_from(kind)

    def any_element(self, handle: Handle, predicate: Predicate) -> Bool:
        only_arrays = case((func.jsonb_typeof(handle) == "array", handle))
        elements = (
            func.jsonb_array_elements(only_arrays)
            .table_valued("value")
            .alias(f"je{next(self.aliases)}")
        )
        element = type_coerce(elements.c.value, JSONB)
        return and_(self.is_kind(handle, "array"), _exists_in(elements, predicate(element)))

    def _jsonb(self, value: Any) -> ColumnElement[Any]:
        return cast(literal(_json_text(value), Text), JSONB)

    def _text(self, handle: Handle) -> ColumnElement[str]:
        return handle.op("#>>", return_type=Text)(literal_column("'{}'::text[]"))  # type: ignore[no-any-return]

    def equals(self, handle: Handle, value: Any) -> Bool:
        return handle.is_not_distinct_from(self._jsonb(value))  # type: ignore[no-any-return]

    def equals_any(self, handle: Handle, values: list[Any]) -> Bool:
        listed = handle.in_([self._jsonb(value) for value in values])
        return func.coalesce(listed, false())

    def compare(self, handle: Handle, op: str, value: int | float | str) -> Bool:
        if isinstance(value, str):
            text = self._text(handle).collate("C")
            return and_(self.is_kind(handle, "string"), text.op(_SQL_OPS[op])(literal(value)))
        return and_(self.is_kind(handle, "number"), handle.op(_SQL_OPS[op])(self._jsonb(value)))

    def matches(self, handle: Handle, regex: Regex) -> Bool:
        pattern = f"(?{_pg_options(regex.options)}){regex.pattern}"
        return and_(
            self.is_kind(handle, "string"),
            self._text(handle).op("~")(literal(pattern, RegexPattern())),
        )


def _pg_options(options: str) -> str:
    """PostgreSQL's embedded ARE options matching Mongo's (= Python's) newline rules."""
    newline = {"": "p", "s": "s", "m": "n", "ms": "w"}["".join(o for o in options if o in "ms")]
    return ("i" if "i" in options else "") + newline


_SQLITE_KINDS = {
    "object": ("object",),
    "array": ("array",),
    "string": ("text",),
    "number": ("integer", "real"),
    "boolean": ("true", "false"),
    "null": ("null",),
}


class SqliteJson:
    """JSON1: a handle is (document, path); `json_each(...).fullkey` names array elements."""

    def __init__(self, document: ColumnElement[Any], aliases: Iterator[int]) -> None:
        self.document = document
        self.aliases = aliases

    def root(self) -> Handle:
        return (self.document, "$")

    @staticmethod
    def _extend(path: Any, suffix: str) -> Any:
        return path + suffix if isinstance(path, str) else path.concat(suffix)

    def _path(self, handle: Handle) -> Any:
        path = handle[1]
        return literal(path, Text) if isinstance(path, str) else path

    def _type(self, handle: Handle) -> ColumnElement[str]:
        return func.json_type(handle[0], self._path(handle))

    def _value(self, handle: Handle) -> ColumnElement[Any]:
        return func.json_extract(handle[0], self._path(handle))

    def child(self, handle: Handle, key: str) -> Handle:
        return (handle[0], self._extend(handle[1], f'."{key}"'))

    def index(self, handle: Handle, position: int) -> Handle:
        return (handle[0], self._extend(handle[1], f"[{position}]"))

    def present(self, handle: Handle) -> Bool:
        return self._type(handle).is_not(None)

    def is_kind(self, handle: Handle, kind: str) -> Bool:
        return func.coalesce(self._type(handle), "").in_(_SQLITE_KINDS[kind])

    def any_element(self, handle: Handle, predicate: Predicate) -> Bool:
        elements = (
            func.json_each(handle[0], self._path(handle))
            .table_valued("fullkey")
            .alias(f"je{next(self.aliases)}")
        )
        found = _exists_in(elements, predicate((handle[0], elements.c.fullkey)))
        return and_(self.is_kind(handle, "array"), found)

    def equals(self, handle: Handle, value: Any) -> Bool:
        if value is None:
            return self.is_kind(handle, "null")
        if isinstance(value, bool):
            return self._type(handle).is_not_distinct_from("true" if value else "false")
        if isinstance(value, int | float):
            return and_(self.is_kind(handle, "number"), self._value(handle) == _number(value))
        if isinstance(value, str):
            return and_(self.is_kind(handle, "string"), self._value(handle) == literal(value))
        if isinstance(value, list):
            items = [self.equals(self.index(handle, i), item) for i, item in enumerate(value)]
            length = func.json_array_length(handle[0], self._path(handle))
            return and_(self.is_kind(handle, "array"), length == len(value), *items)
        members = (
            func.json_each(handle[0], self._path(handle))
            .table_valued("key")
            .alias(f"jm{next(self.aliases)}")
        )
        count = (
            select(func.count()).select_from(members).correlate_except(members).scalar_subquery()
        )
        fields = [self.equals(self.child(handle, key), item) for key, item in value.items()]
        return and_(self.is_kind(handle, "object"), count == len(value), *fields)

    def equals_any(self, handle: Handle, values: list[Any]) -> Bool:
        """One IN list per scalar kind; arrays and objects compare one by one."""
        numbers = [_number(v) for v in values if _is_number(v)]
        texts = [literal(v) for v in values if isinstance(v, str)]
        flags = sorted({"true" if v else "false" for v in values if isinstance(v, bool)})
        parts = [self.equals(handle, v) for v in values if isinstance(v, list | dict)]
        if numbers:
            parts.append(and_(self.is_kind(handle, "number"), self._value(handle).in_(numbers)))
        if texts:
            parts.append(and_(self.is_kind(handle, "string"), self._value(handle).in_(texts)))
        if flags:
            parts.append(func.coalesce(self._type(handle), "").in_(flags))
        if any(v is None for v in values):
            parts.append(self.is_kind(handle, "null"))
        return or_(false(), *parts)

    def compare(self, handle: Handle, op: str, value: int | float | str) -> Bool:
        kind = "string" if isinstance(value, str) else "number"
        operand = literal(value) if isinstance(value, str) else _number(value)
        return and_(self.is_kind(handle, kind), self._value(handle).op(_SQL_OPS[op])(operand))

    def matches(self, handle: Handle, regex: Regex) -> Bool:
        pattern = (f"(?{regex.options})" if regex.options else "") + regex.pattern
        matched = self._value(handle).regexp_match(literal(pattern, RegexPattern()))
        return and_(self.is_kind(handle, "string"), matched)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _number(value: int | float) -> ColumnElement[Any]:
    # sqlite3 binds integers as int64 only; larger ones compare as reals, as JSON1 stores them
    return literal(value if not isinstance(value, int) or value in INT64 else float(value))


class Compiler:
    def __init__(self, ops: JsonOps, oid: ColumnElement[str]) -> None:
        self.ops = ops
        self.oid = oid

    def node(self, node: Node) -> Bool:
        if isinstance(node, Logic):
            parts = [self.node(part) for part in node.parts]
            if node.op == "$and":
                return and_(true(), *parts)  # `{}` is an empty $and: every document
            if node.op == "$or":
                return or_(false(), *parts)
            return not_(or_(false(), *parts))
        if node.path == ("_id",):
            return self.identifier(node.test)
        return self.field(node.path, node.test)

    def field(self, path: tuple[str, ...], test: Test) -> Bool:
        if isinstance(test, Not):
            return not_(self.field(path, test.test))
        if isinstance(test, AllOf):
            return and_(*(self.field(path, part) for part in test.tests))
        if isinstance(test, Exists):
            reached = self.reach(path, self.ops.present)
            return reached if test.present else not_(reached)
        if isinstance(test, In):
            return self.membership(path, test.values)
        if isinstance(test, Eq) and test.value is None:
            return or_(
                not_(self.reach(path, self.ops.present)),
                self.reach(path, self.candidates(lambda h: self.ops.is_kind(h, "null"))),
            )
        return self.reach(path, self.candidates(self.leaf(test)))

    def membership(self, path: tuple[str, ...], values: tuple[Any, ...]) -> Bool:
        """`$in`: one list comparison for the plain values; regexes and null on their own."""
        plain = [value for value in values if value is not None and not isinstance(value, Regex)]
        parts = [self.field(path, Match(value)) for value in values if isinstance(value, Regex)]
        if None in values:
            parts.append(self.field(path, Eq(None)))
        if plain:
            equal = self.candidates(lambda handle: self.ops.equals_any(handle, plain))
            parts.append(self.reach(path, equal))
        return or_(false(), *parts)

    def leaf(self, test: Test) -> Predicate:
        if isinstance(test, Eq):
            return lambda handle: self.ops.equals(handle, test.value)
        if isinstance(test, Range):
            return lambda handle: self.ops.compare(handle, test.op, test.value)
        if isinstance(test, Match):
            return lambda handle: self.ops.matches(handle, test.regex)
        raise TypeError(f"not a leaf test: {test!r}")

    def candidates(self, predicate: Predicate) -> Predicate:
        """A reached value matches itself or, when it is an array, through any element."""
        return lambda handle: or_(predicate(handle), self.ops.any_element(handle, predicate))

    def reach(self, path: tuple[str, ...], predicate: Predicate) -> Bool:
        """Some value at `path` satisfies `predicate` (the document root is an object)."""
        return self._descend(self.ops.child(self.ops.root(), path[0]), path[1:], predicate)

    def _descend(self, handle: Handle, rest: tuple[str, ...], predicate: Predicate) -> Bool:
        if not rest:
            return predicate(handle)
        key, tail = rest[0], rest[1:]
        branches = [
            self._descend(self.ops.child(handle, key), tail, predicate),
            self.ops.any_element(
                handle, lambda element: self._descend(self.ops.child(element, key), tail, predicate)
            ),
        ]
        if is_index(key):
            branches.append(self._descend(self.ops.index(handle, int(key)), tail, predicate))
        return or_(*branches)

    def identifier(self, test: Test) -> Bool:
        """`_id` is the document's oid column (`{"$oid": "..."}` accepted as a value)."""
        if isinstance(test, Not):
            return not_(self.identifier(test.test))
        if isinstance(test, AllOf):
            return and_(*(self.identifier(part) for part in test.tests))
        if isinstance(test, Exists):
            return true() if test.present else false()
        if isinstance(test, Range) and isinstance(test.value, str):
            return self.oid.op(_SQL_OPS[test.op])(test.value)
        values: tuple[Any, ...] = ()
        if isinstance(test, In):
            values = test.values
        elif isinstance(test, Eq):
            values = (test.value,)
        oids = [oid for value in values if (oid := _oid(value)) is not None]
        return self.oid.in_(oids) if oids else false()


def _oid(value: Any) -> str | None:
    if isinstance(value, dict) and set(value) == {"$oid"}:
        value = value["$oid"]
    return value if isinstance(value, str) else None


def compile_node(
    node: Node, *, document: ColumnElement[Any], oid: ColumnElement[str], dialect: str
) -> Bool:
    aliases = itertools.count(1)
    ops: JsonOps = (
        PostgresJson(document, aliases)
        if dialect == "postgresql"
        else SqliteJson(document, aliases)
    )
    return Compiler(ops, oid).node(node)
