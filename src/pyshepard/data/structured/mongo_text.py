"""Reading the `query` strings upstream's structured-data search accepts.

Two forms reach `POST /search` with `queryType: StructuredData` (upstream's
`StructuredDataSearchService` + `MongoDBQueryBuilder`):
- shepard's JSON query language (`{"property": p, "operator": op, "value": v}`, `AND`, `OR`,
  `NOT`), which upstream translates into a Mongo filter; we do the same;
- a Mongo shell filter such as `number1: {$gt: 1}` or `{ status: 'A', qty: { $lt: 30 } }`
  (unquoted keys, single-quoted strings, `/regex/flags`, `ObjectId("...")`), with or without
  the outer braces. Strict JSON is a special case of it.
"""

from __future__ import annotations

import json
import re
from typing import Any, NoReturn

from pyshepard.data.structured.filter_ast import MAX_DEPTH, FilterError, Regex

_NUMBER = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?")
_IDENTIFIER = re.compile(r"[A-Za-z_$][A-Za-z0-9_$.]*")
_SPACE = re.compile(r"\s*")
_LEAF_KEYS = ("property", "value", "operator")
_COMBINATORS = ("AND", "OR", "NOT", "XOR")  # XOR: upstream's Mongo translation refuses it
_OPERATORS = {
    "gt": "$gt",
    "lt": "$lt",
    "ge": "$gte",
    "le": "$lte",
    "eq": "$eq",
    "in": "$in",
    "ne": "$ne",
}


def read_query(text: str) -> dict[str, Any]:
    """The Mongo filter document a search `query` string stands for; raises FilterError."""
    document = read_shell(text)
    first = next(iter(document), None)
    if first in _LEAF_KEYS or first in _COMBINATORS:
        return shepard_to_mongo(document)
    return document


def shepard_to_mongo(node: Any, depth: int = 0) -> dict[str, Any]:
    """Upstream's MongoDBQueryBuilder: leaves become `{p: {$op: v}}`; NOT becomes `$nor`."""
    if depth > MAX_DEPTH:
        raise FilterError("query nested too deeply")
    if not isinstance(node, dict) or not node:
        raise FilterError("a query term must be a non-empty JSON object")
    first = next(iter(node))
    if first in _LEAF_KEYS:
        missing = [key for key in _LEAF_KEYS if key not in node]
        if missing:
            raise FilterError(f"query term lacks {', '.join(missing)}")
        prop, operator = node["property"], node["operator"]
        if not isinstance(prop, str) or not prop:
            raise FilterError("property must be a non-empty string")
        if operator not in _OPERATORS:
            raise FilterError(f"unknown comparison operator {operator}")
        return {prop: {_OPERATORS[operator]: node["value"]}}
    if first == "NOT":
        return {"$nor": [shepard_to_mongo(node["NOT"], depth + 1)]}
    if first in ("AND", "OR"):
        operands = node[first]
        if not isinstance(operands, list) or not operands:
            raise FilterError(f"{first} needs a non-empty array of query terms")
        key = "$and" if first == "AND" else "$or"
        return {key: [shepard_to_mongo(item, depth + 1) for item in operands]}
    raise FilterError(f"unknown operator: {first}")


def read_shell(text: str) -> dict[str, Any]:
    """Parse Mongo shell filter syntax (a superset of JSON); the braces are optional."""
    reader = _Reader(text)
    reader.skip()
    value = reader.value(0) if reader.peek() == "{" else reader.members(0, closing=None)
    reader.skip()
    if reader.pos != len(text):
        reader.fail("unexpected text after the filter")
    if not isinstance(value, dict):
        reader.fail("the filter must be an object")
    return value


class _Reader:
    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0

    def fail(self, message: str) -> NoReturn:
        raise FilterError(f"could not parse query at position {self.pos}: {message}")

    def skip(self) -> None:
        match = _SPACE.match(self.text, self.pos)
        self.pos = match.end() if match else self.pos

    def peek(self) -> str:
        return self.text[self.pos] if self.pos < len(self.text) else ""

    def expect(self, char: str) -> None:
        self.skip()
        if self.peek() != char:
            self.fail(f"expected {char!r}")
        self.pos += 1

    def value(self, depth: int) -> Any:
        if depth > MAX_DEPTH:
            self.fail("nested too deeply")
        self.skip()
        char = self.peek()
        if char == "{":
            self.pos += 1
            return self.members(depth + 1, closing="}")
        if char == "[":
            return self.array(depth + 1)
        if char in "\"'":
            return self.string()
        if char == "/":
            return self.regex()
        match = _NUMBER.match(self.text, self.pos)
        if match:
            self.pos = match.end()
            return json.loads(match.group())
        return self.word()

    def members(self, depth: int, closing: str | None) -> dict[str, Any]:
        result: dict[str, Any] = {}
        while True:
            self.skip()
            if self.peek() == (closing or ""):
                self.pos += 1 if closing else 0
                return result
            key = self.key()
            self.expect(":")
            result[key] = self.value(depth)
            self.skip()
            if self.peek() == ",":
                self.pos += 1
            elif self.peek() != (closing or ""):
                self.fail(f"expected ',' or {closing or 'the end'!r}")

    def array(self, depth: int) -> list[Any]:
        self.pos += 1
        items: list[Any] = []
        while True:
            self.skip()
            if self.peek() == "]":
                self.pos += 1
                return items
            items.append(self.value(depth))
            self.skip()
            if self.peek() == ",":
                self.pos += 1
            elif self.peek() != "]":
                self.fail("expected ',' or ']'")

    def key(self) -> str:
        if self.peek() in "\"'" and self.peek():
            return self.string()
        match = _IDENTIFIER.match(self.text, self.pos)
        if not match:
            self.fail("expected a field name")
        self.pos = match.end()
        return match.group()

    def string(self) -> str:
        quote = self.peek()
        start = self.pos + 1
        index = start
        while index < len(self.text) and self.text[index] != quote:
            index += 2 if self.text[index] == "\\" else 1
        if index >= len(self.text):
            self.fail("unterminated string")
        body = self.text[start:index]
        self.pos = index + 1
        if quote == "'":
            body = re.sub(r'(\\\\)|\\\'|"', _requote, body)
        try:
            text: str = json.loads(f'"{body}"')
        except ValueError as exc:
            self.fail(f"invalid string: {exc}")
        return text

    def regex(self) -> Regex:
        match = re.compile(r"/((?:\\.|[^/\\\n])+)/([a-z]*)").match(self.text, self.pos)
        if not match:
            self.fail("invalid regular expression literal")
        self.pos = match.end()
        return Regex(match.group(1), match.group(2))

    def word(self) -> Any:
        match = _IDENTIFIER.match(self.text, self.pos)
        if not match:
            self.fail("unexpected character")
        word = match.group()
        self.pos = match.end()
        constants: dict[str, Any] = {"true": True, "false": False, "null": None}
        if word in constants:
            return constants[word]
        if word == "ObjectId":
            self.expect("(")
            self.skip()
            oid = self.string() if self.peek() in "\"'" and self.peek() else self.fail("oid")
            self.expect(")")
            return {"$oid": oid}
        self.fail(f"unknown value {word!r}")


def _requote(match: re.Match[str]) -> str:
    if match.group(1):
        return match.group(1)
    return "'" if match.group() == "\\'" else '\\"'
