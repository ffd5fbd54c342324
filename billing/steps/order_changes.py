"""What every order action shares: which statuses still bill, and the versioned change row
(old, new, who, why) with its audit event that each change of an order writes."""

import datetime as dt

from django.contrib.auth.models import User

from billing import errors
from billing.models import Order, OrderChange
from core import audit, clock

LIVE = (Order.Status.ACTIVE, Order.Status.TRIALING, Order.Status.PAST_DUE)


def record_change(
    order: Order,
    kind: str,
    before: dict,
    after: dict,
    *,
    actor: User,
    reason: str,
    effective_on: dt.date | None = None,
    prorate: bool = False,
) -> OrderChange:
    """`before` and `after` hold each changed field's values; a date, an amount or a percent
    is kept as its text, an unset one as null (the record reads it "none")."""
    before = {key: _stored(value) for key, value in before.items()}
    after = {key: _stored(value) for key, value in after.items()}
    change = OrderChange.objects.create(
        order=order,
        kind=kind,
        before=before,
        after=after,
        prorate=prorate,
        effective_on=effective_on or clock.today(),
        actor=actor,
        reason=reason,
        created_at=clock.now(),
    )
    audit.record(
        f"order.{kind}",
        order,
        actor=actor,
        reason=reason,
        contact_id=order.contact_id,
        before=before,
        after=after,
    )
    return change


def _stored(value: object) -> object:
    if value is None or isinstance(value, bool | int | str | list | dict):
        return value
    return str(value)


def require_live(order: Order, what: str, statuses=LIVE) -> None:
    if order.status not in statuses:
        raise errors.InvalidTransition(
            f"Cannot {what}: the order is {order.get_status_display().lower()}."
        )
