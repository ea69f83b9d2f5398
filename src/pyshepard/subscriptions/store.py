from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from pyshepard.subscriptions.models import NO_CALLBACK, Subscription


class SubscriptionStore:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, subscription_id: int) -> Subscription | None:
        return await self.session.get(Subscription, subscription_id)

    async def list_for(self, username: str) -> Sequence[Subscription]:
        result = await self.session.scalars(
            select(Subscription)
            .where(Subscription.created_by == username)
            .order_by(Subscription.id)
        )
        return result.all()

    async def with_callback_for(self, method: str) -> Sequence[Subscription]:
        result = await self.session.scalars(
            select(Subscription)
            .where(Subscription.request_method == method, Subscription.callback_url != NO_CALLBACK)
            .order_by(Subscription.id)
        )
        return result.all()

    async def add(self, subscription: Subscription) -> Subscription:
        self.session.add(subscription)
        await self.session.flush()
        return subscription

    async def delete(self, subscription_id: int) -> None:
        await self.session.execute(delete(Subscription).where(Subscription.id == subscription_id))
        await self.session.flush()
