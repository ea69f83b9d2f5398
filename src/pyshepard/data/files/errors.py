from __future__ import annotations

from pyshepard.core.errors import DomainError, InvalidInput, NotFound


class FileNotFound(NotFound):
    """Upstream raises JAX-RS NotFoundException for unknown oids."""

    exception = "NotFoundException"


class UploadInvalid(InvalidInput):
    exception = "InvalidBodyException"


class UnsupportedMediaType(DomainError):
    status = 415
    exception = "NotSupportedException"


class BlobVanished(DomainError):
    """The bytes were removed by a concurrent delete between upload and commit; retry."""

    status = 409
    exception = "ConflictException"
