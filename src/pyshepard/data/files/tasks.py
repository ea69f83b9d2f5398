"""Background work of the files domain, run periodically by every worker (see jobs_registry)."""

from __future__ import annotations

import logging

from pyshepard.core.clock import utcnow
from pyshepard.core.db import Database, UnitOfWork
from pyshepard.data.files import service

log = logging.getLogger(__name__)


async def sweep_blobs(database: Database) -> None:
    """Removes file blobs no row uses and what crashed uploads left, both older than the grace
    period (uploads in flight are younger). Safe to run from several workers at once: each
    blob is removed under its lock, after checking again that no row uses it."""

    async def sweep(uow: UnitOfWork) -> list[str]:
        return await service.sweep_orphan_blobs(uow)

    removed = await database.run(sweep)
    abandoned = await database.blobs.abandon_incomplete(utcnow() - service.DEFAULT_GRACE)
    if removed or abandoned:
        log.info(
            "blob sweep: %d unused blobs, %d interrupted uploads removed", len(removed), abandoned
        )
