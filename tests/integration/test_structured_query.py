"""The Mongo-style filter translator against a pure-Python reference evaluator, on the test
database (SQLite, or PostgreSQL with PYSHEPARD_TEST_DATABASE_URL): random documents, random
filters, and the SQL answer must equal the evaluator's, document for document."""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pyshepard.core.db import Database
from pyshepard.core.identity import Principal
from pyshepard.data.containers import service as containers
from pyshepard.data.containers.schemas import ContainerType
from pyshepard.data.structured import service
from pyshepard.data.structured.models import StructuredDocument
from pyshepard.data.structured.query import FilterError, Regex
from tests.integration.structured_reference import evaluate

KEYS = ["a", "b", "c", "0", "1"]
STRINGS = ["", "a", "b", "ab", "B", "é", "10", "a\nb", "zz"]
NUMBERS: list[Any] = [-2, -1, 0, 1, 2, 3, 1.5, 2.0, -0.5, 10, 2**40]
PATTERNS = ["^a", "b$", "a|é", "[0-9]", ".", "^$", "^a.b$", "A"]


def _scalar(rng: random.Random) -> Any:
    kind = rng.random()
    if kind < 0.35:
        return rng.choice(NUMBERS)
    if kind < 0.7:
        return rng.choice(STRINGS)
    if kind < 0.85:
        return rng.choice([True, False])
    return None


def _value(rng: random.Random, depth: int) -> Any:
    roll = rng.random()
    if depth >= 3 or roll < 0.5:
        return _scalar(rng)
    if roll < 0.75:
        return [_value(rng, depth + 1) for _ in range(rng.randint(0, 3))]
    return _object(rng, depth + 1)


def _object(rng: random.Random, depth: int) -> dict[str, Any]:
    keys = rng.sample(KEYS, rng.randint(0, 4))
    return {key: _value(rng, depth) for key in keys}


def corpus(seed: int, size: int) -> list[dict[str, Any]]:
    rng = random.Random(seed)  # noqa: S311 - reproducible test data
    documents = [_object(rng, 0) for _ in range(size)]
    documents += [
        {},
        {"a": None},
        {"a": []},
        {"a": [[1]]},
        {"a": [{"b": 1}, {"b": [2, 3]}, {"c": 1}]},
        {"a": {"0": "key"}},
        {"a": ["first", {"0": "second"}]},
        {"a": {"b": {"c": 2.0}}},
        {"a": [1, "1", True, None, {"b": None}]},
        {"a": {"c": 1, "b": 2}},
    ]
    return documents


@dataclass
class Corpus:
    container_id: int
    actor: Principal
    documents: list[dict[str, Any]]
    oids: list[str]


@pytest.fixture(scope="module")
async def stored(db: Database) -> Corpus:
    actor = Principal(username=f"q_{uuid.uuid4().hex[:8]}", via="test")
    documents = corpus(seed=20240815, size=180)

    async def work(uow):  # type: ignore[no-untyped-def]
        container = await containers.create_container(
            uow, actor, ContainerType.STRUCTUREDDATA, "query-corpus"
        )
        oids = []
        for index, document in enumerate(documents):
            oid = f"{index:024x}"
            uow.session.add(
                StructuredDocument(
                    container_id=container.id,
                    oid=oid,
                    name=None,
                    created_at=container.created_at,
                    document=document,
                )
            )
            oids.append(oid)
        await uow.session.flush()
        return Corpus(container.id, actor, documents, oids)

    result: Corpus = await db.run(work)
    return result


async def search(db: Database, stored: Corpus, filter_doc: Any) -> list[str]:
    async def work(uow):  # type: ignore[no-untyped-def]
        rows = await service.search_documents(uow, stored.actor, [stored.container_id], filter_doc)
        return [row.oid for row in rows]

    oids: list[str] = await db.run(work)
    return oids


def expected(stored: Corpus, filter_doc: dict[str, Any]) -> list[str]:
    return [
        oid
        for oid, document in zip(stored.oids, stored.documents, strict=True)
        if evaluate(filter_doc, document)
    ]


# --- random filters -----------------------------------------------------------------------

paths = st.lists(st.sampled_from(KEYS), min_size=1, max_size=3).map(".".join)
scalars = st.one_of(st.sampled_from(NUMBERS), st.sampled_from(STRINGS), st.booleans(), st.none())
literals = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=2),
        st.dictionaries(st.sampled_from(KEYS), inner, max_size=2),
    ),
    max_leaves=4,
)
regexes = st.builds(Regex, st.sampled_from(PATTERNS), st.sampled_from(["", "i", "m", "s"]))
orderable = st.one_of(st.sampled_from(NUMBERS), st.sampled_from(STRINGS))
operator_objects = st.dictionaries(
    st.sampled_from(["$eq", "$ne", "$gt", "$gte", "$lt", "$lte", "$in", "$nin", "$exists"]),
    st.none(),
    min_size=1,
    max_size=2,
).flatmap(
    lambda spec: st.fixed_dictionaries(
        {
            op: {
                "$eq": literals,
                "$ne": literals,
                "$gt": orderable,
                "$gte": orderable,
                "$lt": orderable,
                "$lte": orderable,
                "$in": st.lists(st.one_of(literals, regexes), max_size=3),
                "$nin": st.lists(st.one_of(literals, regexes), max_size=3),
                "$exists": st.booleans(),
            }[op]
            for op in spec
        }
    )
)
conditions = st.one_of(
    literals,
    regexes,
    operator_objects,
    st.builds(lambda r: {"$regex": r.pattern, "$options": r.options}, regexes),
    operator_objects.map(lambda spec: {"$not": spec}),
    regexes.map(lambda r: {"$not": r}),
)
field_filters = st.dictionaries(paths, conditions, min_size=1, max_size=2)
filters = st.recursive(
    field_filters,
    lambda inner: st.one_of(
        st.builds(
            lambda op, parts: {op: parts},
            st.sampled_from(["$and", "$or", "$nor"]),
            st.lists(inner, min_size=1, max_size=3),
        ),
        st.builds(lambda left, right: {**left, **right}, inner, field_filters),
    ),
    max_leaves=5,
)


@settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(filter_doc=filters)
async def test_sql_agrees_with_the_reference_evaluator(
    db: Database, stored: Corpus, filter_doc: dict[str, Any]
) -> None:
    assert await search(db, stored, filter_doc) == expected(stored, filter_doc), filter_doc


# --- chosen cases (documented semantics) ---------------------------------------------------

CASES: list[tuple[dict[str, Any], list[dict[str, Any]], list[int]]] = [
    # seed §8.8.1's example
    (
        {"status": "A", "qty": {"$lt": 30}},
        [{"status": "A", "qty": 10}, {"status": "A", "qty": 30}, {"status": "B", "qty": 1}],
        [0],
    ),
    # numbers compare with numbers only, strings with strings only (by code point)
    (
        {"n": {"$gt": 5}},
        [{"n": 10}, {"n": "10"}, {"n": 5.5}, {"n": True}, {"n": [1, 7]}, {"n": None}],
        [0, 2, 4],
    ),
    ({"s": {"$gte": "b"}}, [{"s": "a"}, {"s": "b"}, {"s": "B"}, {"s": "é"}, {"s": 3}], [1, 3]),
    ({"n": 2}, [{"n": 2.0}, {"n": "2"}, {"n": [1, 2]}, {"n": True}], [0, 2]),
    ({"n": 1}, [{"n": True}, {"n": 1}], [1]),
    # null matches null values and missing fields; $ne null needs a value
    ({"x": None}, [{"x": None}, {}, {"x": 0}, {"x": [None, 1]}], [0, 1, 3]),
    ({"x": {"$ne": None}}, [{"x": None}, {}, {"x": 0}], [2]),
    ({"x": {"$exists": True}}, [{"x": None}, {}, {"x": False}], [0, 2]),
    # dotted paths into objects and through arrays of objects
    (
        {"a.b": 3},
        [{"a": {"b": 3}}, {"a": [{"b": 1}, {"b": [2, 3]}]}, {"a": [[{"b": 3}]]}, {"a": 3}],
        [0, 1],
    ),
    ({"a.1": "x"}, [{"a": ["y", "x"]}, {"a": {"1": "x"}}, {"a": [{"1": "x"}]}], [0, 1, 2]),
    # whole-array and whole-object equality; objects ignore key order
    ({"t": ["a", "b"]}, [{"t": ["a", "b"]}, {"t": ["b", "a"]}, {"t": [["a", "b"]]}], [0, 2]),
    ({"o": {"k": 1, "l": 2}}, [{"o": {"l": 2, "k": 1}}, {"o": {"k": 1}}], [0]),
    # negations hold where the field is missing
    ({"n": {"$nin": [1, 2]}}, [{"n": 1}, {"n": 3}, {}], [1, 2]),
    ({"n": {"$not": {"$gt": 1}}}, [{"n": 2}, {"n": 0}, {}, {"n": "z"}], [1, 2, 3]),
    ({"$nor": [{"n": 1}, {"m": 1}]}, [{"n": 1}, {"m": 1}, {"n": 2}], [2]),
    # regular expressions: search semantics, options, only on strings
    ({"s": {"$regex": "^ab"}}, [{"s": "abc"}, {"s": "xab"}, {"s": 1}], [0]),
    ({"s": {"$regex": "AB", "$options": "i"}}, [{"s": "xab"}, {"s": "x"}], [0]),
    ({"s": Regex("b$", "")}, [{"s": ["ab", "c"]}, {"s": "ba"}], [0]),
    ({"s": {"$in": [Regex("^z"), 1]}}, [{"s": "zed"}, {"s": 1}, {"s": "a"}], [0, 1]),
    # one syntax on both databases (PostgreSQL's ARE spells some of these differently)
    ({"s": {"$regex": r"\bbar\b"}}, [{"s": "foo bar"}, {"s": "foobar"}, {"s": "bar!"}], [0, 2]),
    ({"s": {"$regex": r"o\B"}}, [{"s": "foo"}, {"s": "go"}], [0]),
    ({"s": {"$regex": r"(?P<c>o)(?P=c)"}}, [{"s": "foo"}, {"s": "fo"}], [0]),
    ({"s": {"$regex": r"^[[:alpha:]]+$"}}, [{"s": "abc"}, {"s": "ab1"}], [0]),
    ({"s": {"$regex": r"^[\]b]+$"}}, [{"s": "]b]"}, {"s": "a"}], [0]),
    # $and / $or / implicit and
    (
        {"$or": [{"a": 1}, {"b": {"$exists": False}}], "c": {"$lte": 2}},
        [{"a": 1, "c": 2}, {"b": 1, "c": 1}, {"c": 1}, {"a": 1}],
        [0, 2],
    ),
]


@pytest.mark.parametrize(("filter_doc", "documents", "matches"), CASES)
async def test_documented_semantics(
    db: Database,
    filter_doc: dict[str, Any],
    documents: list[dict[str, Any]],
    matches: list[int],
) -> None:
    actor = Principal(username=f"q_{uuid.uuid4().hex[:8]}", via="test")

    async def store(uow):  # type: ignore[no-untyped-def]
        container = await containers.create_container(
            uow, actor, ContainerType.STRUCTUREDDATA, "cases"
        )
        for index, document in enumerate(documents):
            uow.session.add(
                StructuredDocument(
                    container_id=container.id,
                    oid=f"{container.id:012x}{index:012x}",
                    created_at=container.created_at,
                    document=document,
                )
            )
        return container.id

    container_id = await db.run(store)
    case = Corpus(
        container_id,
        actor,
        documents,
        [f"{container_id:012x}{i:012x}" for i in range(len(documents))],
    )
    found = await search(db, case, filter_doc)
    assert found == [case.oids[i] for i in matches]
    assert found == expected(case, filter_doc)


@pytest.mark.parametrize(
    "filter_doc",
    [
        {"a": {"$gt": True}},
        {"a": {"$gt": [1]}},
        {"a": {"$in": 5}},
        {"a": {"$unknown": 1}},
        {"$where": "1"},
        {"$and": []},
        {"$or": {}},
        {"a": {"$regex": "("}},
        {"a": {"$regex": "a", "$options": "x"}},
        {"a": {"$options": "i"}},
        {"a": {"$exists": "yes"}},
        {"a": {"$gt": 1, "b": 2}},
        {"a..b": 1},
        {'a"b': 1},
        {"a.b.c.d.e.f.g.h.i": 1},
        {"a": {"$not": 5}},
        {"a": {"$eq": float("nan")}},
        {"a": {"$eq": Regex("x")}},
    ],
)
async def test_unsupported_filters_are_refused(
    db: Database, stored: Corpus, filter_doc: Any
) -> None:
    with pytest.raises(FilterError):
        await search(db, stored, filter_doc)


async def test_identifier_and_paging(db: Database, stored: Corpus) -> None:
    first, second = stored.oids[0], stored.oids[1]
    assert await search(db, stored, {"_id": first}) == [first]
    assert await search(db, stored, {"_id": {"$oid": second}}) == [second]
    assert await search(db, stored, {"_id": {"$in": [second, "nope", first]}}) == [first, second]
    assert len(await search(db, stored, {"_id": {"$ne": first}})) == len(stored.oids) - 1

    async def window(uow):  # type: ignore[no-untyped-def]
        rows = await service.search_documents(
            uow, stored.actor, [stored.container_id], {}, limit=3, skip=2
        )
        return [row.oid for row in rows]

    assert await db.run(window) == stored.oids[2:5]


async def test_search_is_limited_to_readable_live_containers(db: Database, stored: Corpus) -> None:
    stranger = Principal(username=f"s_{uuid.uuid4().hex[:8]}", via="test")

    async def as_stranger(uow):  # type: ignore[no-untyped-def]
        return await service.search_documents(uow, stranger, [stored.container_id], {})

    assert await db.run(as_stranger) == []
    assert len(await search(db, stored, {})) == len(stored.oids)
