"""Structured-data queries: Mongo-style filter documents translated into SQL WHERE clauses.

`parse_query(text)` reads what upstream's search accepts (shepard's JSON query language or a
Mongo shell filter) into a filter document; `parse_filter(document)` validates a filter
document into an AST (FilterError = 400 on anything unsupported); `compile_filter` turns the
AST into one SQLAlchemy boolean over the JSON column, for PostgreSQL (jsonb) or SQLite (JSON1).
Documents are never loaded into Python to be filtered.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import ColumnElement

from pyshepard.data.structured.filter_ast import FilterError, Node, Regex, parse_filter
from pyshepard.data.structured.mongo_text import read_query
from pyshepard.data.structured.sql_json import compile_node

__all__ = ["FilterError", "Node", "Regex", "compile_filter", "parse_filter", "parse_query"]


def parse_query(text: str) -> Node:
    """A search `query` string (shepard JSON query or Mongo shell filter) as a filter AST."""
    return parse_filter(read_query(text))


def compile_filter(
    node: Node | Mapping[str, Any],
    *,
    document: ColumnElement[Any],
    oid: ColumnElement[str],
    dialect: str,
) -> ColumnElement[bool]:
    """The WHERE clause selecting documents that match; `oid` answers `_id` conditions."""
    tree = parse_filter(node) if isinstance(node, Mapping) else node
    return compile_node(tree, document=document, oid=oid, dialect=dialect)
