from __future__ import annotations

from pyshepard.core.errors import DomainError, NotFound


class FileNotFound(NotFound):
    """Upstream raises JAX-RS NotFoundException for unknown oids."""

    exception = "NotFoundException"


class BlobVanished(DomainError):
    """The bytes were removed by a concurrent delete between upload and commit; retry."""

    status = 409
    exception = "ConflictException"
