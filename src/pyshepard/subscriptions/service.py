"""Subscriptions: self-service storage, and the events of subscribable requests turned into
durable callback jobs (`subscriptions.deliver`, sent by `tasks.deliver`)."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

import regex

from pyshepard.auth.permissions import service as permissions
from pyshepard.auth.permissions.policy import Action
from pyshepard.auth.users import service as users
from pyshepard.core.clock import utcnow
from pyshepard.core.config import Settings
from pyshepard.core.db import UnitOfWork
from pyshepard.core.errors import InvalidInput, NotFound, PermissionDenied
from pyshepard.core.identity import Principal
from pyshepard.core.ids import next_entity_id
from pyshepard.core.jobs import enqueue
from pyshepard.core.outbound import names_non_public_host
from pyshepard.subscriptions import candidates
from pyshepard.subscriptions.candidates import Candidate
from pyshepard.subscriptions.models import NO_CALLBACK, Subscription
from pyshepard.subscriptions.schemas import Subscription as SubscriptionOut
from pyshepard.subscriptions.store import SubscriptionStore

log = logging.getLogger(__name__)

REQUEST_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE")
MAX_NAME_LENGTH = 1024  # the subscriptions.name column
DELIVER_JOB = "subscriptions.deliver"
DELIVERY_ATTEMPTS = 5
# subscribedURL patterns are anyone's regexes, run on every subscribable request
MATCH_TIMEOUT_S = 0.05
# first path segments (below /shepard/api) whose services check permissions themselves; upstream
# PermissionsService.isAllowed lets their events through without an entity check
_SELF_CHECKED = ("users", "labJournalEntries")


def _store(uow: UnitOfWork) -> SubscriptionStore:
    return SubscriptionStore(uow.session)


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
        regex.compile(subscribed_url)
    except regex.error as exc:
        raise InvalidInput(f"subscribedURL is not a valid regular expression: {exc}") from None
    if (
        callback_url
        and not uow.settings.subscription_allow_private_callbacks
        and names_non_public_host(callback_url)
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
    uow.now_and_after_commit(candidates.forget)
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
    uow.now_and_after_commit(candidates.forget)


# --- events of subscribable requests ------------------------------------------------------------


def unique_id(entity: object) -> str | None:
    """Upstream's `HasId.getUniqueId()` of a response body: the id of an entity, the oid of a
    payload, the joined key of a timeseries; None for anything else (e.g. an empty 204)."""
    if not isinstance(entity, Mapping):
        return None
    if entity.get("id") is not None:
        return str(entity["id"])
    if entity.get("oid") is not None:
        return str(entity["oid"])
    timeseries_key = ("measurement", "device", "location", "symbolicName", "field")
    if all(isinstance(entity.get(key), str) for key in timeseries_key):
        return "-".join(str(entity[key]) for key in timeseries_key)
    return None


async def _subscriber_may_read(uow: UnitOfWork, username: str, segments: Sequence[str]) -> bool:
    """Upstream `isAllowed(request, Read, subscriber)`: the entity is the id in the second path
    segment (a collection, its data objects' and references' paths included, or a container)."""
    entity = segments[1] if len(segments) > 1 else ""
    if not entity.strip() or segments[0] in _SELF_CHECKED:
        return True
    if not entity.isdecimal():
        return False
    return await permissions.allows(uow, Principal(username=username), Action.READ, int(entity))


def _recalled(settings: Settings, method: str) -> tuple[Candidate, ...] | None:
    return candidates.recall(
        settings.resolved_database_url, method, settings.subscription_recheck_seconds
    )


def surely_untriggered(settings: Settings, method: str) -> bool:
    """True when this process knows, without a database trip, that no subscription has a
    callback for `method` (its last read is recent and found none)."""
    return _recalled(settings, method) == ()


async def _candidates(uow: UnitOfWork, method: str) -> tuple[Candidate, ...]:
    """The subscriptions with a callback for `method`: read at most every
    `subscription_recheck_seconds` per process (see `candidates`)."""
    known = _recalled(uow.settings, method)
    if known is None:
        known = tuple(
            Candidate(
                id=row.id,
                subscribed_url=row.subscribed_url,
                created_by=row.created_by,
                rendered=SubscriptionOut.of(row).model_dump(mode="json"),
            )
            for row in await _store(uow).with_callback_for(method)
        )
        candidates.remember(uow.settings.resolved_database_url, method, known)
    return known


async def triggered_callbacks(
    uow: UnitOfWork, *, method: str, url: str, api_path: str, entity_id: str | None
) -> list[dict[str, Any]]:
    """The callback jobs' payloads a successful subscribable request triggers (read only): one
    per subscription with the same method, a `subscribedURL` matching the whole absolute `url`
    and an owner who may read the addressed entity. `api_path` is the path below /shepard/api."""
    segments = api_path.strip("/").split("/")
    payloads: list[dict[str, Any]] = []
    for subscription in await _candidates(uow, method):
        try:
            if regex.fullmatch(subscription.subscribed_url, url, timeout=MATCH_TIMEOUT_S) is None:
                continue
        except regex.error:  # validated on create; a pattern stored by an older version may not be
            continue
        except TimeoutError:  # a pattern that backtracks catastrophically must not stall requests
            log.warning(
                "subscription %s: subscribedURL needed over %s s to match %s; skipped",
                subscription.id,
                MATCH_TIMEOUT_S,
                url,
            )
            continue
        if not await _subscriber_may_read(uow, subscription.created_by, segments):
            continue
        event: dict[str, Any] = {
            "subscription": subscription.rendered,
            "subscribedObject": None if entity_id is None else {"uniqueId": entity_id},
            "url": url,
            "requestMethod": method,
        }
        payloads.append({"subscription_id": subscription.id, "body": event})
        log.debug("subscription %s triggered by %s %s", subscription.id, method, url)
    return payloads


async def enqueue_callbacks(uow: UnitOfWork, payloads: Sequence[dict[str, Any]]) -> None:
    """Queue one `subscriptions.deliver` job per payload of `triggered_callbacks`."""
    for payload in payloads:
        await enqueue(uow, DELIVER_JOB, payload, max_attempts=DELIVERY_ATTEMPTS)


async def subscription_for_delivery(uow: UnitOfWork, subscription_id: int) -> Subscription | None:
    """The subscription a callback job belongs to; None once it was deleted."""
    return await _store(uow).get(subscription_id)
