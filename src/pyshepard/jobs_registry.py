"""Every background job kind the server knows, mapped to its handler.

Domains add theirs here as they grow them (a thin `tasks.py` per domain), e.g.
`"subscriptions.deliver": subscriptions_tasks.deliver`. A handler is
`async def handler(uow, payload) -> dict | None`: it runs in its own unit of work, which
commits together with the job's `succeeded` row; raising schedules a retry with backoff.
Runners fail jobs of kinds missing from this mapping with a clear `last_error`.
"""

from __future__ import annotations

from pyshepard.core.jobs import Handler

HANDLERS: dict[str, Handler] = {}
