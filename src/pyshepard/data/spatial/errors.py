from __future__ import annotations

from pyshepard.core.errors import InvalidInput, NotFound


class BadRequest(InvalidInput):
    """Upstream's JAX-RS `BadRequestException` (unparsable filter parameters)."""

    exception = "BadRequestException"


class PayloadNotFound(NotFound):
    """Upstream's JAX-RS `NotFoundException` (a reference whose container is gone)."""

    exception = "NotFoundException"
