"""Text both databases can hold: valid UTF-8 without NUL (PostgreSQL text rejects NUL bytes)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, false

from pyshepard.core.dberrors import causes

UNSTORABLE_TEXT = "Text must be valid Unicode without NUL characters"


def storable(text: str) -> bool:
    """False for text no row can hold, so lookups by it match nothing instead of failing."""
    if "\x00" in text:
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def made_storable(text: str) -> str:
    """Text from elsewhere (a SPARQL endpoint's label) as a row can hold it: NUL characters
    dropped, unpaired surrogates replaced by U+FFFD."""
    cleaned = text.replace("\x00", "")
    return (
        cleaned
        if storable(cleaned)
        else cleaned.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    )


def text_is(column: Any, value: str) -> ColumnElement[bool]:
    """`column = value`; a value no row can hold (NUL, unpaired surrogate) matches nothing on
    both databases (PostgreSQL would refuse it as a parameter)."""
    if not storable(value):
        return false()
    condition: ColumnElement[bool] = column == value
    return condition


# SQLSTATEs PostgreSQL raises for text it cannot hold: NUL byte / invalid UTF-8, untranslatable
_UNSTORABLE_TEXT_STATES = {"22021", "22P05"}


def is_unstorable_text_error(exc: BaseException) -> bool:
    """True when a database call failed only because request text was not storable.

    Services check text where it enters; this recognises the cases a check missed, so they
    stay a client error instead of becoming a 500.
    """
    for cause in causes(exc):
        if isinstance(cause, UnicodeEncodeError):
            return True
        if getattr(cause, "sqlstate", None) in _UNSTORABLE_TEXT_STATES:
            return True
    return False
