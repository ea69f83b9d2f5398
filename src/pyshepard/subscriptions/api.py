from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Response

from pyshepard.api import SHEPARD_PREFIX, Caller, Uow, error_responses
from pyshepard.auth.users.schemas import NotBlankStr
from pyshepard.subscriptions import service
from pyshepard.subscriptions.schemas import Subscription

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
