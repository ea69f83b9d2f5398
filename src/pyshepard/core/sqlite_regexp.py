"""SQLite's REGEXP operator with a time limit.

SQLAlchemy registers Python's `re.search`, which backtracks without bound: `^(a+)+$` against
forty characters runs for hours while it holds a pooled connection (PostgreSQL's regex engine
answers the same in milliseconds). This REGEXP uses the `regex` module, which accepts `re`'s
syntax and stops a match after a timeout; the statement then fails, and the API answers 400.
It is the only user-defined SQLite function that raises, which is how its failure is told
apart from others (sqlite3 reports every such failure with the same message).
"""

from __future__ import annotations

import sqlite3
from functools import lru_cache

import regex

from pyshepard.core.dberrors import causes

MATCH_SECONDS = 0.25
TOO_SLOW = (
    f"A regular expression took longer than {MATCH_SECONDS:g} s to match a single value and was "
    "stopped; simplify it (nested repetition such as (a+)+ backtracks exponentially)"
)
_FUNCTION_FAILED = "user-defined function raised exception"


@lru_cache(maxsize=256)
def _compiled(pattern: str) -> regex.Pattern[str]:
    return regex.compile(pattern)


def regexp(pattern: str | None, value: str | None) -> bool | None:
    """`value REGEXP pattern` (NULL for NULL operands); raises TimeoutError when too slow."""
    if pattern is None or value is None:
        return None
    return _compiled(pattern).search(value, timeout=MATCH_SECONDS) is not None


def is_regexp_timeout(exc: BaseException) -> bool:
    return any(
        isinstance(cause, sqlite3.OperationalError) and str(cause) == _FUNCTION_FAILED
        for cause in causes(exc)
    )
