"""Subscription callbacks (upstream SubscriptionFilter): a successful subscribable request
enqueues one `subscriptions.deliver` job per triggered subscription, which the job runner POSTs
to a real loopback receiver as upstream's EventIO."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Iterator, Sequence
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from pyshepard.app import create_app
from pyshepard.core.clock import utcnow
from pyshepard.core.db import Database, UnitOfWork
from pyshepard.core.ids import next_entity_id
from pyshepard.core.jobs import JobRunner
from pyshepard.core.jobs.models import Job
from pyshepard.subscriptions.models import Subscription
from pyshepard.subscriptions.service import DELIVER_JOB
from pyshepard.subscriptions.tasks import deliver
from tests.api.references_support import create_collection, create_data_object
from tests.api.test_collections import set_permissions
from tests.conftest import API, ApiUser
from tests.http_receiver import Receiver, running_receiver

BASE = "http://testserver"


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with running_receiver() as running:
        yield running


async def run_deliveries(database: Database) -> int:
    runner = JobRunner(
        database,
        {DELIVER_JOB: deliver},
        worker_id="subscription-callback-test",
        retry_base=timedelta(milliseconds=1),
        retry_cap=timedelta(milliseconds=1),
    )
    return await runner.run_once()


async def subscribe(
    client: httpx.AsyncClient, owner: ApiUser, method: str, pattern: str, callback: str
) -> dict[str, Any]:
    response = await client.post(
        f"{API}/users/{owner.username}/subscriptions",
        json={
            "name": f"{method} {pattern}",
            "callbackURL": callback,
            "subscribedURL": pattern,
            "requestMethod": method,
        },
        headers=owner.headers,
    )
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def collection_url(collection_id: int) -> str:
    return f"{BASE}{API}/collections/{collection_id}"


def events(receiver: Receiver) -> list[dict[str, Any]]:
    return [json.loads(body) for _headers, body in receiver.requests]


async def delivery_jobs(database: Database, subscription_id: int) -> list[Job]:
    async def work(uow: UnitOfWork) -> Sequence[Job]:
        return (await uow.session.scalars(select(Job).where(Job.kind == DELIVER_JOB))).all()

    rows: Sequence[Job] = await database.run(work)
    return [row for row in rows if row.payload["subscription_id"] == subscription_id]


async def rename(client: httpx.AsyncClient, owner: ApiUser, collection_id: int) -> int:
    response = await client.put(
        f"{API}/collections/{collection_id}", json={"name": "renamed"}, headers=owner.headers
    )
    return response.status_code


async def test_matching_post_put_delete_each_send_one_callback(
    private_client: httpx.AsyncClient, private_app: Any, user: ApiUser, receiver: Receiver
) -> None:
    collection = await create_collection(private_client, user)
    url = collection_url(collection["id"])
    on_create = await subscribe(
        private_client, user, "POST", re.escape(url) + "/dataObjects", receiver.url
    )
    on_update = await subscribe(private_client, user, "PUT", re.escape(url), receiver.url)
    on_delete = await subscribe(
        private_client,
        user,
        "DELETE",
        rf"http://testserver/.*/collections/{collection['id']}",
        receiver.url,
    )

    data_object = await create_data_object(private_client, user, collection["id"])
    assert await rename(private_client, user, collection["id"]) == 200
    deleted = await private_client.delete(
        f"{API}/collections/{collection['id']}", headers=user.headers
    )
    assert deleted.status_code == 204
    assert receiver.requests == []  # sent by the job runner, not by the request

    assert await run_deliveries(private_app.state.db) >= 3
    by_method = {event["requestMethod"]: event for event in events(receiver)}
    assert len(receiver.requests) == 3
    assert by_method == {
        "POST": {
            "subscription": on_create,
            "subscribedObject": {"uniqueId": str(data_object["id"])},
            "url": f"{url}/dataObjects",
            "requestMethod": "POST",
        },
        "PUT": {
            "subscription": on_update,
            "subscribedObject": {"uniqueId": str(collection["id"])},
            "url": url,
            "requestMethod": "PUT",
        },
        "DELETE": {
            "subscription": on_delete,
            "subscribedObject": None,
            "url": url,
            "requestMethod": "DELETE",
        },
    }
    assert receiver.requests[0][0]["content-type"] == "application/json"
    # delivered once: the runner has nothing left to send
    assert await run_deliveries(private_app.state.db) == 0
    assert len(receiver.requests) == 3


async def test_other_method_or_partial_match_sends_nothing(
    private_client: httpx.AsyncClient, private_app: Any, user: ApiUser, receiver: Receiver
) -> None:
    collection = await create_collection(private_client, user)
    url = collection_url(collection["id"])
    await subscribe(private_client, user, "DELETE", re.escape(url), receiver.url)
    await subscribe(private_client, user, "GET", re.escape(url), receiver.url)
    # found by re.search, but the whole URL must match (Java's Matcher.matches)
    await subscribe(private_client, user, "PUT", f"/collections/{collection['id']}", receiver.url)

    assert await rename(private_client, user, collection["id"]) == 200
    read = await private_client.get(f"{API}/collections/{collection['id']}", headers=user.headers)
    assert read.status_code == 200  # GET operations are not subscribable upstream

    await run_deliveries(private_app.state.db)
    assert receiver.requests == []


async def test_a_catastrophically_backtracking_pattern_is_cut_off_not_run_to_the_end(
    private_client: httpx.AsyncClient, private_app: Any, user: ApiUser, receiver: Receiver
) -> None:
    """Any user's subscribedURL runs on every subscribable request: a pattern with exponential
    backtracking (Python's `re` would need years on this URL) is cut off after MATCH_TIMEOUT_S
    and skipped; the request answers and the other subscriptions still fire."""
    collection = await create_collection(private_client, user)
    url = collection_url(collection["id"])
    await subscribe(private_client, user, "PUT", r"(.|.)*\d\D", receiver.url)
    fine = await subscribe(private_client, user, "PUT", re.escape(url), receiver.url)

    assert await rename(private_client, user, collection["id"]) == 200

    await run_deliveries(private_app.state.db)
    assert [event["subscription"] for event in events(receiver)] == [fine]


async def test_failed_request_sends_nothing(
    private_client: httpx.AsyncClient,
    private_app: Any,
    user: ApiUser,
    other_user: ApiUser,
    receiver: Receiver,
) -> None:
    collection = await create_collection(private_client, user)
    subscription = await subscribe(
        private_client, user, "PUT", re.escape(collection_url(collection["id"])), receiver.url
    )
    assert await rename(private_client, other_user, collection["id"]) == 403
    invalid = await private_client.put(
        f"{API}/collections/{collection['id']}", json={"name": ""}, headers=user.headers
    )
    assert invalid.status_code == 400

    assert await delivery_jobs(private_app.state.db, subscription["id"]) == []
    await run_deliveries(private_app.state.db)
    assert receiver.requests == []


async def test_subscriber_needs_read_on_the_entity(
    private_client: httpx.AsyncClient,
    private_app: Any,
    user: ApiUser,
    other_user: ApiUser,
    receiver: Receiver,
) -> None:
    collection = await create_collection(private_client, user)
    url = collection_url(collection["id"])
    watcher = await subscribe(private_client, other_user, "PUT", re.escape(url), receiver.url)

    assert await rename(private_client, user, collection["id"]) == 200
    await run_deliveries(private_app.state.db)
    assert receiver.requests == []

    await set_permissions(private_client, user, collection["id"], reader=[other_user.username])
    assert await rename(private_client, user, collection["id"]) == 200
    await run_deliveries(private_app.state.db)
    assert [event["subscription"] for event in events(receiver)] == [watcher]


async def test_loopback_callbacks_are_refused_unless_allowed(
    *,
    client: httpx.AsyncClient,
    private_client: httpx.AsyncClient,
    private_app: Any,
    db: Database,
    user: ApiUser,
    receiver: Receiver,
) -> None:
    collection = await create_collection(client, user)
    url = collection_url(collection["id"])
    refused = await client.post(
        f"{API}/users/{user.username}/subscriptions",
        json={
            "name": "loopback",
            "callbackURL": receiver.url,
            "subscribedURL": re.escape(url),
            "requestMethod": "PUT",
        },
        headers=user.headers,
    )
    assert refused.status_code == 400
    assert "subscription_allow_private_callbacks" in refused.json()["message"]
    listed = await client.get(f"{API}/users/{user.username}/subscriptions", headers=user.headers)
    assert listed.json() == []

    # accepted while allowed, then delivered by a worker of a server that does not allow it
    subscription = await subscribe(private_client, user, "PUT", re.escape(url), receiver.url)
    assert await rename(client, user, collection["id"]) == 200
    await run_deliveries(db)
    assert receiver.requests == []
    [job] = await delivery_jobs(db, subscription["id"])
    assert job.status == "succeeded"
    assert job.result is not None
    assert job.result["skipped"].startswith("callback refused")


async def test_a_failing_receiver_is_retried(
    private_client: httpx.AsyncClient, private_app: Any, user: ApiUser
) -> None:
    with running_receiver(500, 503) as failing:
        collection = await create_collection(private_client, user)
        subscription = await subscribe(
            private_client, user, "PUT", re.escape(collection_url(collection["id"])), failing.url
        )
        assert await rename(private_client, user, collection["id"]) == 200
        for _ in range(50):
            await run_deliveries(private_app.state.db)
            if len(failing.requests) >= 3:
                break
            await asyncio.sleep(0.01)
        assert failing.statuses == [500, 503, 204]
        assert len({body for _headers, body in failing.requests}) == 1
        [job] = await delivery_jobs(private_app.state.db, subscription["id"])
        assert job.status == "succeeded"
        assert job.attempts == 3


async def test_a_subscription_made_elsewhere_counts_after_the_recheck_interval(
    settings: Any, db: Database, user: ApiUser, receiver: Receiver
) -> None:
    """What another replica creates is seen within `subscription_recheck_seconds`; until then
    this process answers from its last read (no transaction per subscribable request)."""

    app = create_app(
        settings.model_copy(
            update={
                "subscription_allow_private_callbacks": True,
                "subscription_recheck_seconds": 0.5,
            }
        )
    )
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url=BASE) as client:
        collection = await create_collection(client, user)
        assert await rename(client, user, collection["id"]) == 200  # this process reads PUT's

        async def behind_the_service(uow: UnitOfWork) -> int:
            row = Subscription(
                id=await next_entity_id(uow.session),
                name="made by another replica",
                callback_url=receiver.url,
                subscribed_url=re.escape(collection_url(collection["id"])),
                request_method="PUT",
                created_by=user.username,
                created_at=utcnow(),
            )
            uow.session.add(row)
            await uow.session.flush()
            return row.id

        subscription_id: int = await db.run(behind_the_service)
        assert await rename(client, user, collection["id"]) == 200
        assert await delivery_jobs(db, subscription_id) == []
        await asyncio.sleep(0.6)
        assert await rename(client, user, collection["id"]) == 200
        assert len(await delivery_jobs(db, subscription_id)) == 1
    await app.state.db.dispose()
    await app.state.http.aclose()
