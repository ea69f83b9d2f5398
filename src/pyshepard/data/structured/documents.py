"""Reading, checking and rendering structured-data payloads (no I/O here)."""

from __future__ import annotations

import json
import math
import secrets
import time
from collections.abc import Iterator
from itertools import count
from typing import Any

from pyshepard.core.clock import to_wire
from pyshepard.core.errors import InvalidBody
from pyshepard.data.structured.schemas import StructuredData, StructuredDataPayload

NOT_PARSABLE = "The specified payload is not json parsable"
NOT_AN_OBJECT = "The specified payload is not a JSON object"

# ObjectId layout: 4-byte seconds, 5 random bytes per process, 3-byte counter
_PROCESS = secrets.token_bytes(5)
_COUNTER: Iterator[int] = count(secrets.randbelow(2**24))


def new_oid() -> str:
    """24 hex digits shaped like a MongoDB ObjectId (roughly time-ordered, unique)."""
    seconds = int(time.time()) & 0xFFFFFFFF
    return (
        seconds.to_bytes(4, "big") + _PROCESS + (next(_COUNTER) % 2**24).to_bytes(3, "big")
    ).hex()


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"number out of range: {text}")
    return value


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def read_payload(text: str | None) -> dict[str, Any]:
    """The JSON object a payload string holds, without upstream's protected `_` fields.

    Raises InvalidBody (400) when it is not a JSON object both databases can store.
    """
    if text is None:
        raise InvalidBody(NOT_PARSABLE)
    try:
        value = json.loads(text, parse_float=_finite, parse_constant=_refuse_constant)
    except (ValueError, RecursionError):
        raise InvalidBody(NOT_PARSABLE) from None
    if not isinstance(value, dict):
        raise InvalidBody(NOT_AN_OBJECT)
    _check_storable(value)
    return {key: item for key, item in value.items() if not key.startswith("_")}


def _check_storable(value: Any) -> None:
    """PostgreSQL's jsonb holds no NUL characters and neither database lone surrogates."""
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, dict):
            pending.extend(item.keys())
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
        elif isinstance(item, str):
            if "\x00" in item:
                raise InvalidBody(f"{NOT_PARSABLE}: text must not contain NUL characters")
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                raise InvalidBody(f"{NOT_PARSABLE}: text must be valid Unicode") from None


def render_info(oid: str, name: str | None, created_at: Any) -> StructuredData:
    return StructuredData(oid=oid, name=name, createdAt=to_wire(created_at))


def render_payload(
    oid: str, name: str | None, created_at: Any, document: dict[str, Any] | None
) -> StructuredDataPayload:
    """As upstream's `Document.toJson()`: `_id` first, the fields, then `_meta`."""
    info = render_info(oid, name, created_at)
    if document is None:
        return StructuredDataPayload(structuredData=info, payload=None)
    meta: dict[str, Any] = {} if name is None else {"name": name}
    meta["createdAt"] = {
        "$date": created_at.strftime("%Y-%m-%dT%H:%M:%S.")
        + f"{created_at.microsecond // 1000:03d}Z"
    }
    body = {"_id": {"$oid": oid}, **document, "_meta": meta}
    return StructuredDataPayload(structuredData=info, payload=json.dumps(body, ensure_ascii=False))
