"""Every background job kind the server knows, mapped to its handler.

Domains add theirs here as they grow them (a thin `tasks.py` per domain). A handler is
`async def handler(uow, payload) -> dict | None`: it runs in its own unit of work, which
commits together with the job's `succeeded` row; raising schedules a retry with backoff.
Runners fail jobs of kinds missing from this mapping with a clear `last_error`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from pyshepard.core.db import Database
from pyshepard.core.jobs import FailureHook, Handler, Periodic
from pyshepard.data.files import tasks as files_tasks
from pyshepard.registry import tasks as registry_tasks
from pyshepard.subscriptions import tasks as subscriptions_tasks

HANDLERS: dict[str, Handler] = {
    "registry.validate": registry_tasks.validate,
    "registry.deliver_webhook": registry_tasks.deliver_webhook,
    "subscriptions.deliver": subscriptions_tasks.deliver,
}

# run when a job of the kind has failed for good (every attempt failed, or the last attempt's
# lease expired), in the transaction that records the failure: e.g. a validation run whose job
# gave up is recorded as failed instead of staying `running`
FAILURE_HOOKS: dict[str, FailureHook] = {
    "registry.validate": registry_tasks.validation_failed,
}

# run by every worker (and the embedded worker) every `interval(settings)` seconds, the first
# time one interval after it starts; each must be safe to run from several workers at once
PERIODIC: list[Periodic] = [
    Periodic("files.sweep_blobs", lambda s: s.blob_sweep_interval_seconds, files_tasks.sweep_blobs),
]

# run once when a worker (or the embedded worker) starts, before it claims jobs
STARTUP_HOOKS: list[Callable[[Database], Awaitable[None]]] = [
    registry_tasks.revalidate_on_start,
]
