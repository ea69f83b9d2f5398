"""Reading database errors: what caused them (SQLSTATEs along the chain of causes), and which
ones only ask the client to try again."""

from __future__ import annotations

from collections.abc import Iterator

# PostgreSQL aborted the transaction to resolve a deadlock / a serialization conflict with a
# concurrent one: nothing was stored, and the same request can simply be repeated
_RETRY_STATES = {"40P01", "40001"}
RETRY_CONFLICT = (
    "The database aborted this request to resolve a conflict with a concurrent request; "
    "nothing was stored. Please retry it."
)


def causes(exc: BaseException) -> Iterator[BaseException]:
    """`exc`, the driver error SQLAlchemy wrapped (`orig`), and their causes, each once."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = getattr(current, "orig", None) or current.__cause__


def is_retryable_conflict(exc: BaseException) -> bool:
    return any(getattr(cause, "sqlstate", None) in _RETRY_STATES for cause in causes(exc))
