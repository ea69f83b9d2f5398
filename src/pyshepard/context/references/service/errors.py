"""Errors with upstream's exception names where they differ from the core ones."""

from __future__ import annotations

from pyshepard.core.errors import NotFound


class PayloadNotFound(NotFound):
    """Upstream throws JAX-RS' own NotFoundException when a referenced entity is gone."""

    exception = "NotFoundException"
