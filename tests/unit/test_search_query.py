"""The search query language: parsing into an AST, and the compiled SQL evaluated on the test
database (SQLite or PostgreSQL, whichever the suite runs on)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import ColumnElement, Integer, String, literal, select, union_all
from sqlalchemy.sql.selectable import Subquery

from pyshepard.core.db import Database, UTCDateTime
from pyshepard.search.query import (
    Combinator,
    Condition,
    Field,
    Junction,
    Kind,
    Negation,
    Operator,
    QueryError,
    parse_query,
    to_sql,
)


def q(document: Any) -> str:
    return json.dumps(document)


def leaf(prop: str, operator: str, value: Any) -> dict[str, Any]:
    return {"property": prop, "operator": operator, "value": value}


# ---------------------------------------------------------------------------- parsing


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("a\x00b", "must not contain NUL"),
        (["ok", "\x00"], "must not contain NUL"),
        ("x" * 10_001, "longer than 10000 characters"),
    ],
)
def test_text_values_without_nul_and_within_the_cap(value: Any, message: str) -> None:
    operator = "in" if isinstance(value, list) else "contains"
    with pytest.raises(QueryError, match=message):
        parse_query(q(leaf("name", operator, value)))
    parse_query(q(leaf("name", "regmatch", "x" * 10_000)))  # the cap itself is allowed


def test_leaf_parses_into_a_condition() -> None:
    assert parse_query(q(leaf("name", "contains", "X"))) == Condition(
        "name", Operator.CONTAINS, "X"
    )


def test_combinators_nest() -> None:
    node = parse_query(
        q(
            {
                "AND": [
                    leaf("name", "eq", "a"),
                    {"OR": [leaf("id", "gt", 3), {"NOT": leaf("id", "in", [1, 2])}]},
                    {"XOR": [leaf("a", "ne", "b"), leaf("c", "regmatch", "d.*")]},
                ]
            }
        )
    )
    assert node == Junction(
        Combinator.AND,
        (
            Condition("name", Operator.EQ, "a"),
            Junction(
                Combinator.OR,
                (
                    Condition("id", Operator.GT, 3),
                    Negation(Condition("id", Operator.IN, [1, 2])),
                ),
            ),
            Junction(
                Combinator.XOR,
                (Condition("a", Operator.NE, "b"), Condition("c", Operator.REGMATCH, "d.*")),
            ),
        ),
    )


def test_all_nine_operators_are_known() -> None:
    for operator in ("eq", "contains", "gt", "lt", "ge", "le", "ne", "regmatch"):
        assert parse_query(q(leaf("p", operator, "v"))) == Condition("p", Operator(operator), "v")
    assert parse_query(q(leaf("p", "in", ["v"]))) == Condition("p", Operator.IN, ["v"])


def test_operator_and_combinator_names_are_case_insensitive() -> None:
    node = parse_query(q({"and": [leaf("p", "EQ", 1), {"Not": leaf("p", "Contains", "x")}]}))
    assert node == Junction(
        Combinator.AND,
        (Condition("p", Operator.EQ, 1), Negation(Condition("p", Operator.CONTAINS, "x"))),
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{not json", "could not parse JSON"),
        ("", "could not parse JSON"),
        ("[]", "non-empty JSON object"),
        ('"name"', "non-empty JSON object"),
        ("{}", "non-empty JSON object"),
        (q({"NAND": [leaf("p", "eq", 1)]}), "unknown boolean operator: NAND"),
        (q(leaf("p", "like", "x")), "unknown comparison operator like"),
        (q(leaf("p", 7, "x")), "unknown comparison operator 7"),
        (q({"property": "p", "operator": "eq"}), "lacks value"),
        (q({"value": 1}), "lacks operator, property"),
        (q(leaf("p", "in", "x")), "needs an array"),
        (q(leaf("p", "eq", [1])), "needs a single value"),
        (q(leaf("p", "eq", {"a": 1})), "needs a single value"),
        (q(leaf(3, "eq", 1)), "property must be a non-empty string"),
        (q(leaf("", "eq", 1)), "property must be a non-empty string"),
        (q({"AND": []}), "non-empty array"),
        (q({"OR": leaf("p", "eq", 1)}), "non-empty array"),
        (q({"NOT": []}), "non-empty JSON object"),
        (q({"AND": [leaf("p", "eq", 1)], "OR": [leaf("p", "eq", 1)]}), "exactly one"),
        (q(leaf("p", "regmatch", "(")), "invalid regular expression"),
        (q(leaf("p", "regmatch", 5)), "needs a string"),
    ],
)
def test_malformed_queries_are_400(text: str, message: str) -> None:
    with pytest.raises(QueryError) as caught:
        parse_query(text)
    assert caught.value.status == 400
    assert caught.value.exception == "ShepardParserException"
    assert message in caught.value.message


def test_deeply_nested_queries_are_refused() -> None:
    document: dict[str, Any] = leaf("p", "eq", 1)
    for _ in range(40):
        document = {"NOT": document}
    with pytest.raises(QueryError, match="too complex"):
        parse_query(q(document))


def test_huge_queries_are_refused() -> None:
    with pytest.raises(QueryError, match="too complex"):
        parse_query(q({"OR": [leaf("p", "eq", i) for i in range(1500)]}))


# ---------------------------------------------------------------------------- SQL semantics

ROWS = [
    (1, "Alice", "alice@example.org", datetime(2024, 1, 1, tzinfo=UTC)),
    (2, "bob", None, datetime(2024, 6, 1, tzinfo=UTC)),
    (3, "Carol_100%", "carol@EXAMPLE.org", datetime(2025, 1, 1, tzinfo=UTC)),
]


def _table() -> Subquery:
    selects = [
        select(
            literal(row_id, Integer).label("id"),
            literal(name, String).label("name"),
            literal(email, String).label("email"),
            literal(created, UTCDateTime()).label("created_at"),
        )
        for row_id, name, email, created in ROWS
    ]
    return union_all(*selects).subquery("people")


def _fields(table: Subquery) -> dict[str, Field]:
    return {
        "id": Field(table.c.id, Kind.INTEGER),
        "name": Field(table.c.name),
        "email": Field(table.c.email),
        "createdAt": Field(table.c.created_at, Kind.DATETIME),
    }


async def _ids(db: Database, document: Any, **extra: Any) -> set[int]:
    table = _table()
    clause = to_sql(parse_query(q(document)), _fields(table), **extra)
    async with db.engine.connect() as connection:
        result = await connection.execute(select(table.c.id).where(clause))
        return {row[0] for row in result}


@pytest.mark.parametrize(
    ("document", "expected"),
    [
        (leaf("name", "eq", "ALICE"), {1}),
        (leaf("name", "eq", "alic"), set()),
        (leaf("name", "contains", "O"), {2, 3}),
        (leaf("name", "contains", "_100%"), {3}),
        (leaf("name", "contains", "%"), {3}),
        (leaf("name", "contains", "c_r"), set()),  # `_` is literal, not a wildcard
        (leaf("email", "contains", "example"), {1, 3}),
        (leaf("email", "ne", "ALICE@example.org"), {3}),  # NULL never matches ne
        (leaf("name", "gt", "B"), {2, 3}),
        (leaf("name", "ge", "bob"), {2, 3}),
        (leaf("name", "lt", "bob"), {1}),
        (leaf("name", "le", "BOB"), {1, 2}),
        (leaf("name", "in", ["alice", "BOB", "nobody"]), {1, 2}),
        (leaf("name", "in", []), set()),
        (leaf("name", "regmatch", "a.*"), {1}),
        (leaf("name", "regmatch", "car"), set()),  # whole-string match, as Cypher's =~
        (leaf("name", "regmatch", ".*ROL_1.*"), {3}),
        (leaf("name", "regmatch", "alice|bob"), {1, 2}),
        (leaf("name", "eq", None), set()),
        (leaf("id", "eq", 2), {2}),
        (leaf("id", "eq", "2"), {2}),
        (leaf("id", "eq", 2.0), {2}),
        (leaf("id", "ne", 2), {1, 3}),
        (leaf("id", "ge", 2), {2, 3}),
        (leaf("id", "in", [1, 3, 99]), {1, 3}),
        (leaf("createdAt", "gt", int(datetime(2024, 3, 1, tzinfo=UTC).timestamp() * 1000)), {2, 3}),
        (leaf("createdAt", "lt", "2024-12-31T00:00:00+00:00"), {1, 2}),
        (leaf("createdAt", "eq", "2024-06-01T00:00:00"), {2}),
        (leaf("createdAt", "in", [int(datetime(2025, 1, 1, tzinfo=UTC).timestamp() * 1000)]), {3}),
    ],
)
async def test_comparisons(db: Database, document: Any, expected: set[int]) -> None:
    assert await _ids(db, document) == expected


async def test_and_or_not(db: Database) -> None:
    assert await _ids(db, {"AND": [leaf("name", "contains", "o"), leaf("id", "lt", 3)]}) == {2}
    assert await _ids(db, {"OR": [leaf("name", "eq", "alice"), leaf("id", "eq", 3)]}) == {1, 3}
    assert await _ids(db, {"NOT": leaf("name", "eq", "alice")}) == {2, 3}


async def test_not_keeps_null_out_as_cypher_does(db: Database) -> None:
    assert await _ids(db, {"NOT": leaf("email", "contains", "alice")}) == {3}


async def test_xor_is_parity_of_its_operands(db: Database) -> None:
    a, b = leaf("name", "contains", "a"), leaf("id", "gt", 1)
    assert await _ids(db, {"XOR": [a, b]}) == {1, 2}
    c = leaf("id", "eq", 3)
    assert await _ids(db, {"XOR": [a, b, c]}) == {1, 2, 3}
    # NULL on either side stays NULL: bob (no email) is out although id > 1
    assert await _ids(db, {"XOR": [leaf("email", "contains", "x"), b]}) == {1}


async def test_unknown_property_never_matches_even_negated(db: Database) -> None:
    assert await _ids(db, leaf("shoeSize", "eq", "x")) == set()
    assert await _ids(db, {"NOT": leaf("shoeSize", "eq", "x")}) == set()
    assert await _ids(db, {"OR": [leaf("shoeSize", "eq", "x"), leaf("id", "eq", 1)]}) == {1}


async def test_fallback_resolves_extra_properties(db: Database) -> None:
    table = _table()

    def fallback(name: str) -> Field | None:
        return Field(table.c.name) if name == "attributes.nickname" else None

    clause = to_sql(parse_query(q(leaf("attributes.nickname", "eq", "bob"))), {}, fallback=fallback)
    async with db.engine.connect() as connection:
        rows = (await connection.execute(select(table.c.id).where(clause))).all()
    assert [row[0] for row in rows] == [2]


async def test_predicate_properties_compile_the_whole_condition(db: Database) -> None:
    table = _table()
    seen: list[Condition] = []

    def initials(condition: Condition) -> ColumnElement[bool]:
        seen.append(condition)
        return table.c.name.in_(["Alice", "bob"])

    clause = to_sql(parse_query(q(leaf("initials", "eq", "ab"))), {"initials": initials})
    async with db.engine.connect() as connection:
        rows = (await connection.execute(select(table.c.id).where(clause))).all()
    assert {row[0] for row in rows} == {1, 2}
    assert seen == [Condition("initials", Operator.EQ, "ab")]


@pytest.mark.parametrize(
    ("document", "message"),
    [
        (leaf("id", "contains", 1), "operator contains is not supported for property id"),
        (leaf("id", "regmatch", "1"), "operator regmatch is not supported for property id"),
        (leaf("id", "eq", 1.5), "needs an integer"),
        (leaf("id", "eq", "one"), "needs an integer"),
        (leaf("id", "eq", True), "needs an integer"),
        (leaf("id", "eq", 2**70), "out of range"),
        (leaf("createdAt", "gt", "yesterday"), "ISO-8601"),
        (leaf("createdAt", "gt", False), "needs a timestamp"),
        (leaf("createdAt", "gt", 10**20), "out of range"),
        (leaf("createdAt", "contains", "2024"), "not supported"),
    ],
)
def test_values_that_do_not_fit_the_property_are_400(document: Any, message: str) -> None:
    table = _table()
    with pytest.raises(QueryError) as caught:
        to_sql(parse_query(q(document)), _fields(table))
    assert caught.value.status == 400
    assert message in caught.value.message
