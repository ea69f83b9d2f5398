"""The SQL aggregates, buckets and gap filling on both databases, against a plain-Python
reference computed from the same random points (integer and double channels)."""

from __future__ import annotations

import random
import statistics
from collections import Counter
from typing import Any

import pytest

from pyshepard.core.db import Database, UnitOfWork
from pyshepard.core.identity import Principal
from pyshepard.data.containers import service as containers
from pyshepard.data.containers.schemas import ContainerType
from pyshepard.data.timeseries.models import Channel
from pyshepard.data.timeseries.rules import ChannelKey, PointQuery
from pyshepard.data.timeseries.schemas import AggregateFunction, FillOption
from pyshepard.data.timeseries.store import TimeseriesStore

F = AggregateFunction
OWNER = Principal(username="system", via="system")
WIDTH = 100
START, END = 1_000, 3_999  # 30 buckets; points leave some of them empty


def _points(kind: str) -> dict[int, Any]:
    rng = random.Random(f"aggregates-{kind}")  # noqa: S311 - reproducible test data
    stamps = sorted(rng.sample(range(START - 200, END + 200), 400))
    # empty buckets inside the window: 1500..1799 and 3000..3099
    stamps = [t for t in stamps if not (1500 <= t < 1800 or 3000 <= t < 3100)]
    if kind == "Integer":
        return {t: rng.randint(-50, 50) for t in stamps}
    return {t: rng.uniform(-1e3, 1e3) for t in stamps}


def _reference(points: dict[int, Any], function: AggregateFunction) -> dict[int, Any]:
    buckets: dict[int, list[tuple[int, Any]]] = {}
    for t, v in sorted(points.items()):
        if START <= t <= END:
            buckets.setdefault(t // WIDTH * WIDTH, []).append((t, v))
    out = {}
    for b, rows in buckets.items():
        values = [v for _, v in rows]
        out[b] = {
            F.COUNT: len(values),
            F.SUM: sum(values),
            F.MIN: min(values),
            F.MAX: max(values),
            F.MEAN: statistics.fmean(values),
            F.MEDIAN: statistics.median(values) * 1.0,
            F.SPREAD: max(values) - min(values),
            F.STDDEV: statistics.stdev(values) if len(values) > 1 else None,
            F.FIRST: rows[0][1],
            F.LAST: rows[-1][1],
            F.MODE: min(
                v for v, n in Counter(values).items() if n == max(Counter(values).values())
            ),
        }[function]
    return out


def _filled(
    reference: dict[int, Any], fill: FillOption, first: int = START, last: int = END
) -> list[tuple[int, Any]]:
    """TimescaleDB's gap filling: only buckets without points are filled; a bucket with
    points keeps its aggregate even when that is None, and such a None is carried on (locf) or
    seen as a neighbour (interpolate)."""
    slots = list(range(first // WIDTH * WIDTH, last // WIDTH * WIDTH + 1, WIDTH))
    values = [reference.get(b) for b in slots]
    present = [i for i, b in enumerate(slots) if b in reference]
    for i in range(len(slots)):
        if i in present:
            continue
        before = [k for k in present if k < i]
        after = [k for k in present if k > i]
        if fill is FillOption.PREVIOUS and before:
            values[i] = values[before[-1]]
        if fill is FillOption.LINEAR and before and after:
            k0, k1 = before[-1], after[0]
            v0, v1 = values[k0], values[k1]
            if v0 is not None and v1 is not None:
                values[i] = v0 + (v1 - v0) * (i - k0) / (k1 - k0)
    return list(zip(slots, values, strict=True))


def _close(actual: list[tuple[int, Any]], expected: list[tuple[int, Any]]) -> None:
    assert [b for b, _ in actual] == [b for b, _ in expected]
    for (_, got), (_, want) in zip(actual, expected, strict=True):
        if want is None or got is None:
            assert got == want
        else:
            assert got == pytest.approx(want, rel=1e-9, abs=1e-9)


class _NewChannel:
    """WriteChecks for a channel this test creates with `kind` values."""

    def __init__(self, kind: str) -> None:
        self.kind = kind

    def before_lookup(self) -> str:
        return self.kind

    def admit(self, channel_type: str) -> None:
        assert channel_type == self.kind


@pytest.mark.parametrize("kind", ["Integer", "Double"])
async def test_aggregates_match_a_python_reference(db: Database, kind: str) -> None:
    points = _points(kind)

    async def setup(uow: UnitOfWork) -> int:
        container = await containers.create_container(uow, OWNER, ContainerType.TIMESERIES, "agg")
        channel = await TimeseriesStore(uow.session).save(
            None,
            container.id,
            ChannelKey("m", "d", "l", "s", kind),
            (list(points), list(points.values())),
            _NewChannel(kind),
        )
        return channel.id

    channel_id = await db.run(setup)
    functions = [f for f in F if f is not F.INTEGRAL]

    async def check(uow: UnitOfWork) -> None:
        store = TimeseriesStore(uow.session)
        channel = await uow.session.get_one(Channel, channel_id)
        for function in functions:
            reference = _reference(points, function)
            plain = await store.aggregate(channel, PointQuery(START, END, function, WIDTH))
            _close(plain, sorted(reference.items()))
            integral = function is F.COUNT or (
                kind == "Integer" and function not in (F.MEAN, F.MEDIAN, F.STDDEV)
            )
            wire_type = int if integral else float
            assert {type(v) for _, v in plain if v is not None} == {wire_type}
            for fill in (FillOption.NULL, FillOption.PREVIOUS, FillOption.LINEAR):
                filled = await store.aggregate(
                    channel, PointQuery(START, END, function, WIDTH, fill)
                )
                expected = _filled(reference, fill)
                if (
                    fill is FillOption.LINEAR
                    and kind == "Integer"
                    and function not in (F.MEAN, F.MEDIAN, F.STDDEV)
                ):
                    expected = [(b, None if v is None else round(v)) for b, v in expected]
                if function is F.COUNT and fill is FillOption.LINEAR:
                    expected = [(b, None if v is None else round(v)) for b, v in expected]
                _close(filled, expected)
            whole = await store.metric(channel, START, END, function)
            inside = [v for t, v in sorted(points.items()) if START <= t <= END]
            expected_whole = {
                F.COUNT: len(inside),
                F.SUM: sum(inside),
                F.MIN: min(inside),
                F.MAX: max(inside),
                F.MEAN: statistics.fmean(inside),
                F.MEDIAN: statistics.median(inside),
                F.SPREAD: max(inside) - min(inside),
                F.STDDEV: statistics.stdev(inside),
                F.FIRST: inside[0],
                F.LAST: inside[-1],
                F.MODE: min(
                    v for v, n in Counter(inside).items() if n == max(Counter(inside).values())
                ),
            }[function]
            assert whole == pytest.approx(expected_whole, rel=1e-9)
        count = await store.metric(channel, START, END, F.COUNT)
        assert count == sum(1 for t in points if START <= t <= END)
        assert await store.metric(channel, 10**9, 10**9 + 5, F.COUNT) == 0
        assert await store.metric(channel, 10**9, 10**9 + 5, F.MAX) is None

    await db.run(check)


async def test_a_bucket_with_points_is_never_filled(db: Database) -> None:
    """STDDEV of a single point is NULL: that bucket has data and stays NULL, and gaps after it
    carry (PREVIOUS) or interpolate towards (LINEAR) that NULL, as TimescaleDB does."""
    points = {10: 1.0, 20: 3.0, 110: 5.0, 450: 7.0, 460: 9.0, 850: 2.0}

    async def setup(uow: UnitOfWork) -> int:
        container = await containers.create_container(uow, OWNER, ContainerType.TIMESERIES, "f")
        channel = await TimeseriesStore(uow.session).save(
            None,
            container.id,
            ChannelKey("m", "d", "l", "s", "f"),
            (list(points), list(points.values())),
            _NewChannel("Double"),
        )
        return channel.id

    channel_id = await db.run(setup)
    stddev = {0: 2**0.5, 100: None, 400: 2**0.5, 800: None}

    async def check(uow: UnitOfWork) -> None:
        store = TimeseriesStore(uow.session)
        channel = await uow.session.get_one(Channel, channel_id)
        for fill in (FillOption.NULL, FillOption.PREVIOUS, FillOption.LINEAR):
            filled = await store.aggregate(channel, PointQuery(0, 999, F.STDDEV, WIDTH, fill))
            _close(filled, _filled(stddev, fill, 0, 999))
        previous = await store.aggregate(
            channel, PointQuery(0, 999, F.STDDEV, WIDTH, FillOption.PREVIOUS)
        )
        assert [v is None for _, v in previous] == [
            False, True, True, True, False, False, False, False, True, True
        ]  # fmt: skip

    await db.run(check)
