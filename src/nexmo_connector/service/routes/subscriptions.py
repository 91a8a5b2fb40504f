"""Subscriptions: a connection's events delivered to a URL of the user's, per Standard
Webhooks; one trigger route per event type (Swagger needs one operation per path)."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Annotated, Any

from fastapi import APIRouter, Path
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import JSONResponse, Response

from nexmo_connector.service.answers import EVENTS, SubscriptionAnswer
from nexmo_connector.service.context import ServiceContext
from nexmo_connector.service.deliveries import new_secret
from nexmo_connector.service.deps import Context, OwnedConnection, OwnedSubscription, Session
from nexmo_connector.service.docs import LOCATION, PROBLEMS, answer, callbacks
from nexmo_connector.service.errors import Problem
from nexmo_connector.service.events import EVENT_TYPES
from nexmo_connector.service.schemas import SubscriptionIn, TriggerIn
from nexmo_connector.service.store import subscriptions
from nexmo_connector.service.tables import Connection, Delivery, Subscription
from nexmo_connector.service.targets import target_problem

router = APIRouter(tags=["Subscriptions"], responses=PROBLEMS)
CONNECTION = "/v1/connections/{connection_id}"
TRIGGERS = {
    "sms.status": "When an SMS is delivered or fails",
    "sms.receipt": "When a delivery receipt arrives",
    "sms.inbound": "When an SMS is received",
    "call.status": "When a speech call ends",
    "batch.finished": "When a batch finishes",
}


def _view(subscription: Subscription) -> SubscriptionAnswer:
    return {
        "id": subscription.id,
        "connection_id": subscription.connection_id,
        "url": subscription.url,
        "types": subscription.types.split(",") if subscription.types else None,
        "description": subscription.description,
        "state": subscription.state,  # type: ignore[typeddict-item]
        "created_at": subscription.created_at,
    }


def _delivery_view(delivery: Delivery) -> dict[str, Any]:
    return {
        "id": delivery.id,
        "webhook_id": f"msg_{delivery.id}",
        "event_id": str(delivery.event_id),
        "state": delivery.state,
        "attempts": delivery.attempts,
        "due_at": delivery.due_at if delivery.state == "pending" else None,
        "last_status": delivery.last_status,
        "last_error": delivery.last_error,
        "updated_at": delivery.updated_at,
    }


async def _create(
    context: ServiceContext,
    session: AsyncSession,
    connection: Connection,
    url: str,
    types: Sequence[str] | None,
    description: str | None = None,
) -> Response:
    """A subscription; its secret is shown in this answer only."""
    config = context.config
    if problem := await target_problem(url, config.host, config.webhook_allow):
        raise Problem(422, "invalid-input", f"url: {problem}",
                      errors=[{"field": "url", "reason": problem}])  # fmt: skip
    secret = new_secret()
    subscription = Subscription(
        id=subscriptions.new_id(),
        connection_id=connection.id,
        url=url,
        types=",".join(dict.fromkeys(types or [])),
        description=description,
        secret=context.cipher.encrypt(secret),
        state="active",
    )
    session.add(subscription)
    await session.flush()
    location = f"{context.public_url}/v1/subscriptions/{subscription.id}"
    body = {**_view(subscription), "secret": secret}
    return JSONResponse(body, 201, headers={"Location": location})


@router.post(
    CONNECTION + "/subscriptions",
    status_code=201,
    operation_id="CreateSubscription",
    summary="Deliver this connection's events to a URL",
    responses=answer(201, SubscriptionAnswer, "The subscription, its secret shown once.", LOCATION),
)
async def create(
    body: SubscriptionIn, connection: OwnedConnection, session: Session, context: Context
) -> Response:
    """The answer carries the signing secret (`whsec_…`) this once."""
    return await _create(context, session, connection, body.url, body.types, body.description)


@router.get(
    CONNECTION + "/subscriptions", operation_id="ListSubscriptions", summary="Subscriptions"
)
async def list_subscriptions(connection: OwnedConnection, session: Session) -> Any:
    found = await subscriptions.of_connection(session, connection.id)
    return {"subscriptions": [_view(s) for s in found]}


def _trigger(event_type: str) -> Any:
    async def trigger(
        body: TriggerIn, connection: OwnedConnection, session: Session, context: Context
    ) -> Response:
        return await _create(context, session, connection, body.url, [event_type])

    trigger.__doc__ = f"{EVENTS[event_type].__doc__} Subscribes the url to these events only."
    return trigger


for _type in EVENT_TYPES:
    router.add_api_route(
        f"{CONNECTION}/triggers/{_type}",
        _trigger(_type),
        methods=["POST"],
        status_code=201,
        operation_id="On" + "".join(part.title() for part in _type.split(".")),
        summary=TRIGGERS[_type],
        responses=answer(201, SubscriptionAnswer, "Subscribed: DELETE Location to stop.", LOCATION),
        callbacks=callbacks(_type),
    )


@router.delete(
    "/v1/subscriptions/{subscription_id}",
    status_code=204,
    operation_id="DeleteSubscription",
    summary="Stop a subscription",
    responses={204: {"description": "Stopped."}},
)
async def delete(
    session: Session,
    subscription_id: Annotated[
        str, Path(title="Subscription Id", description="The subscription's id.")
    ],
) -> Response:
    """Its id is enough: Power Automate deletes a trigger's subscription without a token."""
    subscription = await session.get(Subscription, subscription_id)
    if subscription is None:
        raise Problem(404, "not-found", f"no subscription {subscription_id[:64]}")
    await session.delete(subscription)
    return Response(status_code=204)


@router.get(
    "/v1/subscriptions/{subscription_id}/deliveries",
    operation_id="ListDeliveries",
    summary="A subscription's deliveries, oldest first",
)
async def deliveries(
    subscription: OwnedSubscription, session: Session, state: str | None = None
) -> Any:
    found = await subscriptions.deliveries_of(session, subscription.id, state)
    return {"subscription": _view(subscription), "deliveries": [_delivery_view(d) for d in found]}


@router.post(
    "/v1/subscriptions/{subscription_id}/deliveries/{delivery_id}/resend",
    operation_id="ResendDelivery",
    summary="Deliver a failed delivery again",
)
async def resend(
    subscription: OwnedSubscription,
    session: Session,
    context: Context,
    delivery_id: Annotated[str, Path(description="The delivery's id.")],
) -> Any:
    delivery = await session.get(Delivery, delivery_id)
    if delivery is None or delivery.subscription_id != subscription.id:
        raise Problem(404, "not-found", f"no delivery {delivery_id[:64]}")
    if subscription.state != "active":
        raise Problem(409, "subscription-disabled", "the receiver answered 410: subscribe again")
    delivery.state, delivery.attempts, delivery.due_at = "pending", 0, time.time()
    delivery.claimed_until = None
    await session.commit()
    context.listeners.stored.set()
    return _delivery_view(delivery)
