"""Patterns in Python/PCRE syntax rewritten for PostgreSQL's ARE engine."""

from __future__ import annotations

import pytest

from pyshepard.core.regex_dialect import to_postgres


@pytest.mark.parametrize(
    ("pattern", "postgres"),
    [
        (r"\bbar\b", r"\ybar\y"),
        (r"o\B", r"o\Y"),
        (r"[\b]x", r"[\b]x"),  # a backspace inside a class, in both syntaxes
        (r"\\b", r"\\b"),  # an escaped backslash, then a letter
        (r"[]\b]\b", r"[]\b]\y"),  # `]` first in a class is a member
        (r"[^]\b]\b", r"[^]\b]\y"),
        (r"(?P<w>foo)-(?P=w)", r"(foo)-\1"),
        (r"(a)(?:b)(?P<x>c)(?P=x)", r"(a)(?:b)(c)\2"),
        (r"^plain [a-z]+$", r"^plain [a-z]+$"),
    ],
)
def test_rewrites_only_what_postgresql_reads_differently(pattern: str, postgres: str) -> None:
    assert to_postgres(pattern) == postgres
