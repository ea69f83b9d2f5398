"""Time helpers: one clock, and shepard's ISO-8601 wire format with milliseconds and offset."""

from __future__ import annotations

from datetime import UTC, datetime


def utcnow() -> datetime:
    return datetime.now(UTC)


def to_wire(moment: datetime | None) -> str | None:
    """`2024-08-15T11:18:44.632+00:00`, as upstream's Jackson renders a Date."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}+00:00"
