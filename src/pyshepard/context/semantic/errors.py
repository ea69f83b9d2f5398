"""Errors with upstream's exception names where they differ from the core ones."""

from __future__ import annotations

from pyshepard.core.errors import NotFound


class SemanticNotFound(NotFound):
    """Upstream throws JAX-RS' own NotFoundException for an annotation, or an annotation's
    repository, that does not exist (a repository looked up by itself keeps the core name)."""

    exception = "NotFoundException"
