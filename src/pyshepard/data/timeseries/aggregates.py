"""SQL of the aggregate queries, for PostgreSQL and SQLite (used by `store.py` only).

Every query yields `(b, value)` rows ordered by `b`, the bucket start. Buckets are
floor(ts / width) * width, as upstream's `time_bucket`; gap filling generates every bucket of
the window and fills with NULL, the previous value (`locf`) or a linear interpolation between
the neighbouring buckets (`interpolate`), all with window functions.
Named parameters: tid, start, end, width, and first/last (bucket range) when filling.
"""

# ruff: noqa: S608 - table names and SQL fragments are module constants; values are bound

from __future__ import annotations

from pyshepard.data.timeseries.schemas import AggregateFunction, FillOption

F = AggregateFunction
SQLITE_SQRT = "pyshepard_sqrt"
W = "CAST(:width AS BIGINT)"
BUCKET = f"(CASE WHEN ts >= 0 THEN ts / {W} ELSE (ts + 1) / {W} - 1 END) * {W}"

_SIMPLE = {
    F.COUNT: "count(value)",
    F.SUM: "sum(value)",
    F.MIN: "min(value)",
    F.MAX: "max(value)",
    F.SPREAD: "max(value) - min(value)",
}


def base(table: str, *, single: bool) -> str:
    bucket = "CAST(0 AS BIGINT)" if single else BUCKET
    return (
        f"SELECT {bucket} AS b, ts, value FROM {table} "
        "WHERE timeseries_id = :tid AND ts >= :start AND ts <= :end"
    )


def _postgres(function: AggregateFunction, table: str) -> str:
    simple = {
        **_SIMPLE,
        F.MEAN: "CAST(avg(value) AS DOUBLE PRECISION)",
        F.STDDEV: "CAST(stddev_samp(value) AS DOUBLE PRECISION)",
        F.MEDIAN: "percentile_cont(0.5) WITHIN GROUP (ORDER BY value)",
        F.MODE: "mode() WITHIN GROUP (ORDER BY value)",
    }
    if function in simple:
        return f"SELECT b, {simple[function]} AS value FROM base GROUP BY b"
    edge = "min" if function is F.FIRST else "max"
    return (
        f"SELECT e.b, p.value FROM (SELECT b, {edge}(ts) AS t FROM base GROUP BY b) e "
        f"JOIN {table} p ON p.timeseries_id = :tid AND p.ts = e.t"
    )


def _sqlite(function: AggregateFunction) -> str:
    simple = {**_SIMPLE, F.MEAN: "avg(value)"}
    if function in simple:
        return f"SELECT b, {simple[function]} AS value FROM base GROUP BY b"
    if function in (F.FIRST, F.LAST):
        # SQLite's bare columns take their value from the row holding the min()/max()
        edge = "min" if function is F.FIRST else "max"
        return f"SELECT b, value FROM (SELECT b, value, {edge}(ts) AS t FROM base GROUP BY b)"
    if function is F.STDDEV:
        # two-pass sample standard deviation; the store registers the square root function
        # (SQLite builds need not have math functions)
        return (
            f"SELECT b, {SQLITE_SQRT}(CASE WHEN count(*) > 1 THEN sum((value - m) * (value - m)) "
            "/ (count(*) - 1) END) AS value "
            "FROM (SELECT b, value, avg(value) OVER (PARTITION BY b) AS m FROM base) GROUP BY b"
        )
    if function is F.MEDIAN:
        return (
            "SELECT b, avg(value) AS value FROM (SELECT b, value, "
            "row_number() OVER (PARTITION BY b ORDER BY value) AS rn, "
            "count(*) OVER (PARTITION BY b) AS n FROM base) "
            "WHERE rn IN ((n + 1) / 2, (n + 2) / 2) GROUP BY b"
        )
    # MODE: the most frequent value, the smallest of equally frequent ones (as PostgreSQL)
    return (
        "SELECT b, value FROM (SELECT b, value, "
        "row_number() OVER (PARTITION BY b ORDER BY cnt DESC, value) AS rn "
        "FROM (SELECT b, value, count(*) AS cnt FROM base GROUP BY b, value)) WHERE rn = 1"
    )


def _buckets(dialect: str) -> str:
    if dialect == "postgresql":
        return f"SELECT generate_series(CAST(:first AS BIGINT), CAST(:last AS BIGINT), {W}) AS b"
    return (
        f"SELECT CAST(:first AS BIGINT) AS b UNION ALL SELECT b + {W} FROM buckets WHERE b < :last"
    )


# As TimescaleDB's `locf` and `interpolate` in `time_bucket_gapfill`: only buckets without
# rows (`present` 0) are filled; a bucket with rows keeps its aggregate even when that is NULL
# (STDDEV of one point), and such a NULL is what `locf` carries on and what `interpolate` sees.
_PREVIOUS = (
    "SELECT b, first_value(value) OVER (PARTITION BY grp ORDER BY b) AS value "
    "FROM (SELECT b, value, sum(present) OVER (ORDER BY b) AS grp FROM filled) AS g"
)
_LINEAR = (
    "SELECT b, CASE WHEN present = 1 THEN value "
    "WHEN pt IS NULL OR nt IS NULL THEN NULL "
    "ELSE pv + (nv - pv) * CAST(b - pt AS DOUBLE PRECISION) / (nt - pt) END AS value "
    "FROM (SELECT b, value, present, "
    "first_value(value) OVER (PARTITION BY gf ORDER BY b) AS pv, "
    "first_value(CASE WHEN present = 1 THEN b END) "
    "OVER (PARTITION BY gf ORDER BY b) AS pt, "
    "first_value(value) OVER (PARTITION BY gb ORDER BY b DESC) AS nv, "
    "first_value(CASE WHEN present = 1 THEN b END) "
    "OVER (PARTITION BY gb ORDER BY b DESC) AS nt "
    "FROM (SELECT b, value, present, sum(present) OVER (ORDER BY b) AS gf, "
    "sum(present) OVER (ORDER BY b DESC) AS gb FROM filled) AS g) AS n"
)


def aggregate_sql(
    dialect: str,
    table: str,
    function: AggregateFunction,
    *,
    fill: FillOption | None = None,
    single: bool = False,
) -> str:
    """One query computing `function` per bucket (or over the whole window if `single`)."""
    per_bucket = _postgres(function, table) if dialect == "postgresql" else _sqlite(function)
    ctes = [f"base AS ({base(table, single=single)})", f"agg AS ({per_bucket})"]
    if fill is None or fill is FillOption.NONE:
        return f"WITH {', '.join(ctes)} SELECT b, value FROM agg ORDER BY b"
    ctes.append(f"buckets AS ({_buckets(dialect)})")
    ctes.append(
        "filled AS (SELECT buckets.b AS b, agg.value AS value, "
        "CASE WHEN agg.b IS NULL THEN 0 ELSE 1 END AS present "
        "FROM buckets LEFT JOIN agg ON agg.b = buckets.b)"
    )
    final = {
        FillOption.NULL: "SELECT b, value FROM filled",
        FillOption.PREVIOUS: _PREVIOUS,
        FillOption.LINEAR: _LINEAR,
    }[fill]
    keyword = "WITH RECURSIVE" if dialect == "sqlite" else "WITH"
    return f"{keyword} {', '.join(ctes)} SELECT b, value FROM ({final}) AS r ORDER BY b"
