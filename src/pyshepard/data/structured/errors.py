from __future__ import annotations

from pyshepard.core.errors import NotFound


class DocumentNotFound(NotFound):
    """Upstream raises JAX-RS' NotFoundException for unknown oids."""

    exception = "NotFoundException"
