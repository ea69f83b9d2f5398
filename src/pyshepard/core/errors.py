"""Domain errors. Services raise these; `app.py` renders them as shepard's ApiError body."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    status: int = 500
    # upstream's Java exception class name, shown in the `exception` field
    exception: str = "ShepardProcessingException"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidInput(DomainError):
    status = 400
    exception = "InvalidRequestException"


class InvalidBody(InvalidInput):
    exception = "InvalidBodyException"


class Unauthenticated(DomainError):
    status = 401
    exception = "AuthenticationException"


class PermissionDenied(DomainError):
    status = 403
    exception = "InvalidAuthException"

    def __init__(
        self, message: str = "The requested action is forbidden by the permission policies"
    ):
        super().__init__(message)


class NotFound(DomainError):
    status = 404
    exception = "InvalidPathException"


class Conflict(DomainError):
    status = 409
    exception = "ConflictException"


class PreconditionFailed(DomainError):
    status = 412
    exception = "PreconditionFailedException"


class PayloadTooLarge(DomainError):
    status = 413
    exception = "PayloadTooLargeException"


class UnsupportedMediaType(DomainError):
    status = 415
    exception = "NotSupportedException"


class ServiceUnavailable(DomainError):
    """A backing service (the object store) does not answer; nothing was changed."""

    status = 503
    exception = "ServiceUnavailableException"


class ConstraintViolation(DomainError):
    """Bean-validation style failure, rendered as `{title, status, violations[]}`."""

    status = 400
    exception = "ConstraintViolationException"

    def __init__(self, violations: list[dict[str, Any]]) -> None:
        super().__init__("Constraint Violation")
        self.violations = violations


def not_found(kind: str, entity_id: object, error: type[NotFound] = NotFound) -> NotFound:
    """The upstream message for a missing or soft-deleted entity (as `error`, where upstream
    names the exception differently)."""
    return error(f"ID ERROR - {kind} with id {entity_id} is null or deleted")
