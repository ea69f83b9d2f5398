"""Subscription job handler: POST the event of a triggered subscription to its callback URL."""

from __future__ import annotations

import json
import logging
from typing import Any

import httpx

from pyshepard.core import outbound
from pyshepard.core.db import UnitOfWork
from pyshepard.subscriptions import service

log = logging.getLogger(__name__)

CALLBACK_TIMEOUT_S = 10.0


async def deliver(uow: UnitOfWork, payload: dict[str, Any]) -> dict[str, Any] | None:
    """`subscriptions.deliver` {subscription_id, body}: POST the event (upstream's EventIO) to
    the callback URL. A non-public target is refused for good unless
    `subscription_allow_private_callbacks`; a non-2xx answer or a network error raises, so the
    job runner retries with backoff."""
    subscription = await service.subscription_for_delivery(uow, int(payload["subscription_id"]))
    if subscription is None:
        return {"skipped": "subscription deleted"}
    url = subscription.callback_url
    if not uow.settings.subscription_allow_private_callbacks:
        try:
            if outbound.names_non_public_host(url):
                raise PermissionError(f"{url} names a non-public host")
            await outbound.require_public_host(url)
        except (PermissionError, OSError) as exc:
            log.warning("subscription %s: callback refused: %s", subscription.id, exc)
            return {"skipped": f"callback refused: {exc}"}
    body = json.dumps(payload["body"], separators=(",", ":")).encode()
    headers = {"Content-Type": "application/json", "User-Agent": "pyshepard-subscriptions"}
    async with httpx.AsyncClient(timeout=CALLBACK_TIMEOUT_S, follow_redirects=False) as http:
        response = await http.post(url, content=body, headers=headers)
    log.info("subscription %s: callback %s answered %s", subscription.id, url, response.status_code)
    if not 200 <= response.status_code < 300:
        raise RuntimeError(
            f"callback of subscription {subscription.id} answered HTTP {response.status_code}"
        )
    return {"subscription_id": subscription.id, "status": response.status_code}
