"""Registry webhooks (admin): register, list, delete; signing delivered bodies."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from urllib.parse import urlsplit

from pyshepard.core.clock import utcnow
from pyshepard.core.db import UnitOfWork
from pyshepard.core.errors import InvalidInput, NotFound, PermissionDenied
from pyshepard.core.identity import Principal
from pyshepard.core.outbound import names_non_public_host
from pyshepard.registry.models import RegistryWebhook
from pyshepard.registry.schemas import Webhook, WebhookCreate
from pyshepard.registry.service.common import PUBLISHED, store_of

# --- webhooks ----------------------------------------------------------------------------------


def _require_admin(actor: Principal) -> None:
    if not actor.is_admin:
        raise PermissionDenied("Registry webhooks are managed by admins")


def _render_webhook(webhook: RegistryWebhook, *, secret: str | None = None) -> Webhook:
    return Webhook(
        id=webhook.id,
        url=webhook.url,
        events=webhook.events,
        created_by=webhook.created_by,
        created_at=webhook.created_at,
        secret=secret,
    )


async def create_webhook(uow: UnitOfWork, actor: Principal, body: WebhookCreate) -> Webhook:
    """Admin only; raises InvalidInput for a non-HTTP(S) or non-public URL."""
    _require_admin(actor)
    parts = urlsplit(body.url)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise InvalidInput("the webhook url must be an absolute http(s) URL")
    if not uow.settings.subscription_allow_private_callbacks and names_non_public_host(body.url):
        raise InvalidInput(
            f"url {body.url} points to a loopback, private or link-local address; this server "
            "does not send webhooks there (setting subscription_allow_private_callbacks)"
        )
    secret = body.secret or secrets.token_urlsafe(32)
    webhook = await store_of(uow).add_webhook(
        RegistryWebhook(
            id=str(uuid.uuid4()),
            url=body.url,
            secret=secret,
            events=[PUBLISHED],
            created_by=actor.username,
            created_at=utcnow(),
        )
    )
    return _render_webhook(webhook, secret=secret)


async def list_webhooks(uow: UnitOfWork, actor: Principal) -> list[Webhook]:
    _require_admin(actor)
    return [_render_webhook(w) for w in await store_of(uow).webhooks()]


async def delete_webhook(uow: UnitOfWork, actor: Principal, webhook_id: str) -> None:
    _require_admin(actor)
    webhook = await store_of(uow).webhook(webhook_id)
    if webhook is None:
        raise NotFound(f"Webhook {webhook_id} not found")
    await store_of(uow).remove_webhook(webhook)


def sign(secret: str, body: bytes) -> str:
    """`sha256=<hex HMAC-SHA256 of the body>`, the value of `X-Pyshepard-Signature`."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


async def webhook_for_delivery(uow: UnitOfWork, webhook_id: str) -> RegistryWebhook | None:
    return await store_of(uow).webhook(webhook_id)
