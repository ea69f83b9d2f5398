from __future__ import annotations

from pyshepard.core.errors import NotFound


class PayloadNotFound(NotFound):
    """Upstream raises JAX-RS' NotFoundException for gone containers and unknown channels."""

    exception = "NotFoundException"
