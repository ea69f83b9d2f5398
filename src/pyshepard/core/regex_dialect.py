"""One regular-expression syntax on both databases.

Patterns are written as for Python's `re` (the `regex` module runs them on SQLite, see
`core/sqlite_regexp.py`), which is also the PCRE dialect MongoDB and Neo4j users write.
PostgreSQL's ARE engine reads a few constructs differently: `\\b` is a backspace there and
a word boundary is `\\y`; named groups `(?P<n>…)` and `(?P=n)` do not exist. `RegexPattern`
rewrites those when the pattern is bound to a PostgreSQL statement.
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import Dialect, Text
from sqlalchemy.types import TypeDecorator

_NAMED_GROUP = re.compile(r"\(\?P<(\w+)>")
_NAMED_REFERENCE = re.compile(r"\(\?P=(\w+)\)")


def to_postgres(pattern: str) -> str:
    """`pattern` in PostgreSQL's ARE syntax (word boundaries, named groups and references)."""
    out: list[str] = []
    names: dict[str, int] = {}
    groups = 0
    in_class = False
    class_start = 0  # where a class's members begin: a `]` there is a member, not the end
    i = 0
    while i < len(pattern):
        char = pattern[i]
        if char == "\\" and i + 1 < len(pattern):
            escaped = pattern[i + 1]
            if not in_class and escaped in "bB":
                out.append("\\y" if escaped == "b" else "\\Y")
            else:
                out.append(pattern[i : i + 2])
            i += 2
            continue
        if in_class:
            in_class = char != "]" or len(out) == class_start
            out.append(char)
        elif char == "[":
            in_class = True
            out.append(char)
            if pattern[i + 1 : i + 2] == "^":
                out.append("^")
                i += 1
            class_start = len(out)
        elif char == "(" and (named := _NAMED_GROUP.match(pattern, i)):
            groups += 1
            names[named.group(1)] = groups
            out.append("(")
            i = named.end()
            continue
        elif char == "(" and (reference := _NAMED_REFERENCE.match(pattern, i)):
            out.append(f"\\{names.get(reference.group(1), 0)}")
            i = reference.end()
            continue
        else:
            if char == "(" and pattern[i + 1 : i + 2] != "?":
                groups += 1
            out.append(char)
        i += 1
    return "".join(out)


class RegexPattern(TypeDecorator[str]):
    """A bound regular expression, in PostgreSQL's syntax when bound there."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        if isinstance(value, str) and dialect.name == "postgresql":
            return to_postgres(value)
        return value
