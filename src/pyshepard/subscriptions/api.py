from __future__ import annotations

import json
import logging
from typing import Annotated, Any

from fastapi import APIRouter, Path, Response
from fastapi.routing import APIRoute
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from pyshepard.api import SHEPARD_PREFIX, Caller, Uow, error_responses
from pyshepard.auth.users.schemas import NotBlankStr
from pyshepard.core.db import Database
from pyshepard.subscriptions import service
from pyshepard.subscriptions.schemas import Subscription

log = logging.getLogger(__name__)

router = APIRouter(prefix=SHEPARD_PREFIX, tags=["subscription"])

Username = Annotated[NotBlankStr, Path()]
SubscriptionId = Annotated[int, Path(alias="subscriptionId", ge=0, le=2**63 - 1)]
SUBSCRIPTIONS = "/users/{username}/subscriptions"


@router.get(
    SUBSCRIPTIONS,
    operation_id="getAllSubscriptions",
    summary="Get All Subscriptions",
    description="Get all subscriptions",
    responses=error_responses(400, 401, 403, 404),
)
async def get_all_subscriptions(username: Username, uow: Uow, caller: Caller) -> list[Subscription]:
    rows = await service.list_subscriptions(uow, caller, username)
    return [Subscription.of(row) for row in rows]


@router.post(
    SUBSCRIPTIONS,
    operation_id="createSubscription",
    summary="Create Subscription",
    description="Create a new subscription",
    status_code=201,
    responses=error_responses(400, 401, 403, 404),
)
async def create_subscription(
    username: Username, body: Subscription, uow: Uow, caller: Caller
) -> Subscription:
    row = await service.create_subscription(
        uow,
        caller,
        username,
        name=body.name,
        callback_url=body.callbackURL,
        subscribed_url=body.subscribedURL,
        request_method=body.requestMethod.value,
    )
    return Subscription.of(row)


@router.get(
    SUBSCRIPTIONS + "/{subscriptionId}",
    operation_id="getSubscription",
    summary="Get Subscription",
    description="Get subscription",
    responses=error_responses(400, 401, 403, 404),
)
async def get_subscription(
    username: Username, subscription_id: SubscriptionId, uow: Uow, caller: Caller
) -> Subscription:
    return Subscription.of(await service.get_subscription(uow, caller, username, subscription_id))


@router.delete(
    SUBSCRIPTIONS + "/{subscriptionId}",
    operation_id="deleteSubscription",
    summary="Delete Subscription",
    description="Delete subscription",
    status_code=204,
    responses=error_responses(400, 401, 403, 404),
)
async def delete_subscription(
    username: Username, subscription_id: SubscriptionId, uow: Uow, caller: Caller
) -> Response:
    await service.delete_subscription(uow, caller, username, subscription_id)
    return Response(status_code=204)


# upstream's @Subscribable operations (5.4.0); createCollection is not among them
SUBSCRIBABLE = frozenset(
    {
        "updateCollection",
        "deleteCollection",
        "createDataObject",
        "updateDataObject",
        "deleteDataObject",
        "deleteBasicReference",
        "createCollectionReference",
        "deleteCollectionReference",
        "createDataObjectReference",
        "deleteDataObjectReference",
        "createFileReference",
        "deleteFileReference",
        "createSpatialDataReference",
        "deleteSpatialDataReference",
        "createStructuredDataReference",
        "deleteStructuredDataReference",
        "createTimeseriesReference",
        "deleteTimeseriesReference",
        "createUriReference",
        "deleteUriReference",
        "createReferenceAnnotation",
        "deleteReferenceAnnotation",
        "createCollectionAnnotation",
        "deleteCollectionAnnotation",
        "createDataObjectAnnotation",
        "deleteDataObjectAnnotation",
        "deleteSemanticRepository",
        "deleteFileContainer",
        "deleteFile",
        "createFile",
        "deleteStructuredDataContainer",
        "createStructuredData",
        "deleteStructuredData",
        "deleteTimeseriesContainer",
        "createTimeseries",
        "importTimeseries",
    }
)
MAX_CAPTURED_BODY = 1024 * 1024  # the id of a larger response body is not looked for


class SubscriptionMiddleware:
    """After a subscribable operation answered 2xx (its unit of work has committed by then),
    looks up the subscriptions it triggers (method, absolute URL, the response entity's id) and
    queues their callback jobs. Runs after the response was sent; a failure here is logged, never
    surfaced to the caller."""

    def __init__(self, app: ASGIApp, *, db: Database) -> None:
        self.app = app
        self.db = db

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in {"GET", "HEAD", "OPTIONS"}:
            await self.app(scope, receive, send)
            return
        status = 0
        chunks: list[bytes] = []
        size = 0

        async def capture(message: Message) -> None:
            nonlocal status, size
            if message["type"] == "http.response.start":
                route = scope.get("route")
                if isinstance(route, APIRoute) and route.operation_id in SUBSCRIBABLE:
                    status = int(message["status"])
            elif message["type"] == "http.response.body" and 200 <= status < 300:
                chunk: bytes = message.get("body", b"")
                size += len(chunk)
                if size <= MAX_CAPTURED_BODY:
                    chunks.append(chunk)
            await send(message)

        await self.app(scope, receive, capture)
        if 200 <= status < 300:
            await self._notify(scope, b"".join(chunks) if size <= MAX_CAPTURED_BODY else b"")

    async def _notify(self, scope: Scope, body: bytes) -> None:
        if service.surely_untriggered(self.db.settings, scope["method"]):
            return  # the common case: no parsing, no transaction
        path: str = scope["path"]
        configured: str = self.db.settings.base_url
        if configured:
            base = configured.rstrip("/")
        else:
            host = next((v for k, v in scope["headers"] if k == b"host"), b"").decode("latin-1")
            base = f"{scope['scheme']}://{host}{scope.get('root_path', '')}"
        try:
            entity: Any = json.loads(body) if body else None
        except ValueError:
            entity = None
        # the lookup takes no write lock (SQLite); only triggered callbacks open a write
        try:
            reader = self.db.unit_of_work(read_only=True)
            try:
                payloads = await service.triggered_callbacks(
                    reader,
                    method=scope["method"],
                    url=base + path,
                    api_path=path.removeprefix(SHEPARD_PREFIX),
                    entity_id=service.unique_id(entity),
                )
            finally:
                await reader.rollback()
                await reader.session.close()
            if payloads:
                await self.db.run(lambda uow: service.enqueue_callbacks(uow, payloads))
        except Exception:
            log.exception("subscriptions: no event recorded for %s %s", scope["method"], path)
