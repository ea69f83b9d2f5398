"""Subscriptions: storage and API (delivery is a separate concern). Self-service only."""

from __future__ import annotations

import ipaddress
import re
import socket
from collections.abc import Sequence
from urllib.parse import urlsplit

from pyshepard.auth.users import service as users
from pyshepard.core.clock import utcnow
from pyshepard.core.db import UnitOfWork
from pyshepard.core.errors import InvalidInput, NotFound, PermissionDenied
from pyshepard.core.identity import Principal
from pyshepard.core.ids import next_entity_id
from pyshepard.subscriptions.models import Subscription
from pyshepard.subscriptions.store import SubscriptionStore

REQUEST_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE")
MAX_NAME_LENGTH = 1024  # the subscriptions.name column
# the column is NOT NULL; upstream allows a subscription without callback, stored as ""
NO_CALLBACK = ""
_LOCAL_NAMES = ("localhost", "ip6-localhost", "ip6-loopback")

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


def _store(uow: UnitOfWork) -> SubscriptionStore:
    return SubscriptionStore(uow.session)


def is_public_address(address: IPAddress) -> bool:
    """False for loopback, private, link-local, shared, reserved and multicast addresses."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_global and not address.is_multicast


def _literal_address(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        pass
    if re.fullmatch(r"[0-9a-fA-FxX.]+", host):
        try:  # the resolver's lenient IPv4 forms: 127.1, 0x7f.1, 2130706433
            return ipaddress.IPv4Address(socket.inet_aton(host))
        except OSError:
            return None
    return None


def non_public_callback(url: str) -> bool:
    """Whether the URL names a loopback/private/link-local host literally. Host names are
    resolved only at delivery time, which must check the resolved addresses again."""
    host = (urlsplit(url).hostname or "").rstrip(".").lower()
    if not host or host in _LOCAL_NAMES or host.endswith(".localhost"):
        return True
    address = _literal_address(host)
    return address is not None and not is_public_address(address)


def _validate(
    uow: UnitOfWork, *, name: str, callback_url: str | None, subscribed_url: str, method: str
) -> None:
    if not name.strip():
        raise InvalidInput("name must not be blank")
    if len(name) > MAX_NAME_LENGTH:
        raise InvalidInput(f"name must be at most {MAX_NAME_LENGTH} characters long")
    if method not in REQUEST_METHODS:
        raise InvalidInput(f"requestMethod must be one of {', '.join(REQUEST_METHODS)}")
    if not subscribed_url.strip():
        raise InvalidInput("subscribedURL must not be blank")
    try:
        re.compile(subscribed_url)
    except re.error as exc:
        raise InvalidInput(f"subscribedURL is not a valid regular expression: {exc}") from None
    if (
        callback_url
        and not uow.settings.subscription_allow_private_callbacks
        and non_public_callback(callback_url)
    ):
        raise InvalidInput(
            f"callbackURL {callback_url} points to a loopback, private or link-local address; "
            "this server does not send callbacks there "
            "(setting subscription_allow_private_callbacks)"
        )


async def _own(uow: UnitOfWork, actor: Principal, username: str) -> None:
    """Upstream's order: unknown user 404, then someone else's path 403."""
    await users.get_user(uow, username)
    if actor.username != username:
        raise PermissionDenied()


async def create_subscription(
    uow: UnitOfWork,
    actor: Principal,
    username: str,
    *,
    name: str,
    callback_url: str | None,
    subscribed_url: str,
    request_method: str,
) -> Subscription:
    """Raises InvalidInput (bad regex, non-public callback), NotFound, PermissionDenied."""
    _validate(
        uow,
        name=name,
        callback_url=callback_url,
        subscribed_url=subscribed_url,
        method=request_method,
    )
    await _own(uow, actor, username)
    return await _store(uow).add(
        Subscription(
            id=await next_entity_id(uow.session),
            name=name,
            callback_url=callback_url or NO_CALLBACK,
            subscribed_url=subscribed_url,
            request_method=request_method,
            created_by=username,
            created_at=utcnow(),
        )
    )


async def list_subscriptions(
    uow: UnitOfWork, actor: Principal, username: str
) -> Sequence[Subscription]:
    await _own(uow, actor, username)
    return await _store(uow).list_for(username)


async def get_subscription(
    uow: UnitOfWork, actor: Principal, username: str, subscription_id: int
) -> Subscription:
    """Raises NotFound (user, subscription) and PermissionDenied (path, owner) in upstream order."""
    await _own(uow, actor, username)
    subscription = await _store(uow).get(subscription_id)
    if subscription is None:
        raise NotFound("ID ERROR - Subscription does not exist")
    if subscription.created_by != username:
        raise PermissionDenied("You do not have permissions for this Subscription.")
    return subscription


async def delete_subscription(
    uow: UnitOfWork, actor: Principal, username: str, subscription_id: int
) -> None:
    await get_subscription(uow, actor, username, subscription_id)
    await _store(uow).delete(subscription_id)
