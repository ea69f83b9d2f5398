"""Reading structured-data search strings: Mongo shell filters and shepard's JSON queries."""

from __future__ import annotations

from typing import Any

import pytest

from pyshepard.data.structured.filter_ast import AllOf, Eq, Field, Logic, Not, Range
from pyshepard.data.structured.mongo_text import read_query, read_shell
from pyshepard.data.structured.query import FilterError, Regex, parse_query


@pytest.mark.parametrize(
    ("text", "document"),
    [
        # upstream's StructuredDataSearcherIT queries
        ("number1: {$gt: 1}", {"number1": {"$gt": 1}}),
        ("success: {$eq: 0}", {"success": {"$eq": 0}}),
        ("number2: {$gt: 0}", {"number2": {"$gt": 0}}),
        # seed §8.8.1
        ("{ status: 'A', qty: { $lt: 30 } }", {"status": "A", "qty": {"$lt": 30}}),
        (
            '{"a.b": [1, 2.5, -3e2, true, false, null]}',
            {"a.b": [1, 2.5, -300.0, True, False, None]},
        ),
        ("a.b: 'it\\'s \"quoted\"'", {"a.b": 'it\'s "quoted"'}),
        ("name: /^ab+c$/i", {"name": Regex("^ab+c$", "i")}),
        ("p: /a\\/b/", {"p": Regex("a\\/b", "")}),
        (
            '_id: ObjectId("0123456789abcdef01234567")',
            {"_id": {"$oid": "0123456789abcdef01234567"}},
        ),
        ("  ", {}),
        ("{}", {}),
        ("a: 1, b: 'x',", {"a": 1, "b": "x"}),
        ("'a key': {$in: ['x', /y/]}", {"a key": {"$in": ["x", Regex("y", "")]}}),
        ("a: '\\u00e9\\n'", {"a": "é\n"}),
        ("$or: [{a: 1}, {b: {$exists: false}}]", {"$or": [{"a": 1}, {"b": {"$exists": False}}]}),
    ],
)
def test_shell_syntax(text: str, document: dict[str, Any]) -> None:
    assert read_shell(text) == document


@pytest.mark.parametrize(
    "text",
    [
        "a:",
        "a: {",
        "a: 1 b: 2",
        "{a: 1} extra",
        "[1, 2]",
        "a: 'unterminated",
        "a: undefined",
        "a: NaN",
        "1: 2",
        "a: ObjectId(5)",
        "a: /unterminated",
        "{" * 100 + "}" * 100,
    ],
)
def test_shell_syntax_errors(text: str) -> None:
    with pytest.raises(FilterError) as raised:
        read_query(text)
    assert raised.value.status == 400


@pytest.mark.parametrize(
    ("query", "document"),
    [
        (
            '{"AND": [{"property": "number1", "value": 3, "operator": "ge"},'
            '{"property": "number1", "value": 3, "operator": "le"}]}',
            {"$and": [{"number1": {"$gte": 3}}, {"number1": {"$lte": 3}}]},
        ),
        (
            '{"OR": [{"property": "a", "value": 1, "operator": "gt"},'
            '{"property": "b", "value": [1, 2], "operator": "in"}]}',
            {"$or": [{"a": {"$gt": 1}}, {"b": {"$in": [1, 2]}}]},
        ),
        (
            '{"NOT": {"property": "number1", "value": 3, "operator": "eq"}}',
            {"$nor": [{"number1": {"$eq": 3}}]},
        ),
        (
            '{"NOT": {"OR": [{"property": "n", "value": 4, "operator": "gt"},'
            ' {"property": "n", "value": 1, "operator": "lt"}]}}',
            {"$nor": [{"$or": [{"n": {"$gt": 4}}, {"n": {"$lt": 1}}]}]},
        ),
        (
            '{"property": "x", "value": "y", "operator": "ne"}',
            {"x": {"$ne": "y"}},
        ),
        # a Mongo filter in JSON is taken as is
        ('{"number1": {"$gt": 1}}', {"number1": {"$gt": 1}}),
    ],
)
def test_shepard_queries_become_mongo_filters(query: str, document: dict[str, Any]) -> None:
    assert read_query(query) == document


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ('{"XOR": [{"property": "a", "value": 1, "operator": "eq"}]}', "unknown operator: XOR"),
        ('{"property": "a", "value": 1, "operator": "contains"}', "unknown comparison operator"),
        ('{"property": "a", "operator": "eq"}', "lacks value"),
        ('{"AND": []}', "AND needs a non-empty array"),
        ('{"NOT": 5}', "a query term must be a non-empty JSON object"),
    ],
)
def test_bad_shepard_queries(query: str, message: str) -> None:
    with pytest.raises(FilterError, match=message):
        read_query(query)


def test_parse_query_builds_the_ast() -> None:
    assert parse_query("a.b: {$gt: 1, $ne: 5}") == Field(
        ("a", "b"), AllOf((Range("$gt", 1), Not(Eq(5))))
    )
    assert parse_query("{x: 1, y: 2}") == Logic(
        "$and", (Field(("x",), Eq(1)), Field(("y",), Eq(2)))
    )
    assert parse_query('{"NOT": {"property": "n", "value": 1, "operator": "lt"}}') == Logic(
        "$nor", (Field(("n",), Range("$lt", 1)),)
    )
