"""Stripe's events, translated into billing's steps (dj-stripe receivers).

dj-stripe sends each signed event it records (webhook or the event sync) to these receivers,
inside the transaction that records it, so an event whose handling fails is not recorded and
comes again. Each receiver reads the object in the signed payload (never re-fetched from
Stripe) and hands plain values to a step in billing.steps.reports or billing.steps.disputes,
which apply it once under row locks. What comes twice, or late, changes nothing.
"""

import datetime as dt

import stripe
from djmoney.money import Money
from djstripe import event_handlers
from djstripe.event_handlers import djstripe_receiver
from djstripe.models import Event
from djstripe.signals import WEBHOOK_SIGNALS

from billing.gateways.base import CardDetails, GatewayTimeout
from billing.gateways.stripe import _charge_result
from billing.steps import disputes, reports
from core import money, roles

GATEWAY = "stripe"
PAYMENT_INTENT = ["payment_intent.succeeded", "payment_intent.payment_failed"]
REFUND = [
    "charge.refunded",
    "charge.refund.updated",
    "refund.created",
    "refund.updated",
    "refund.failed",
]
DISPUTE = [
    "charge.dispute.created",
    "charge.dispute.updated",
    "charge.dispute.funds_withdrawn",
    "charge.dispute.funds_reinstated",
    "charge.dispute.closed",
]
CARD = [
    "payment_method.updated",
    "payment_method.automatically_updated",
    "payment_method.detached",
]
HANDLED = PAYMENT_INTENT + REFUND + DISPUTE + CARD
OUTCOMES = {"won": "won", "lost": "lost", "warning_closed": "closed"}


def take_over_handled_events() -> None:
    """Disconnect dj-stripe's own receivers from the events handled here: they retrieve the
    object again from Stripe's API inside the webhook's transaction (a failing call answered
    500) to fill dj-stripe's mirror tables, which Paydesk does not use."""
    own = [getattr(event_handlers, name) for name in dir(event_handlers)]
    for name in HANDLED:
        for handler in own:
            if callable(handler) and getattr(handler, "__module__", "") == event_handlers.__name__:
                WEBHOOK_SIGNALS[name].disconnect(handler, sender=Event)


def _object(event: Event) -> dict:
    return event.data.get("object") or {}


def _when(timestamp: int | None) -> dt.datetime | None:
    return dt.datetime.fromtimestamp(timestamp, tz=dt.UTC) if timestamp else None


def _money(amount_minor: int, currency: str) -> Money:
    return money.from_minor_units(amount_minor, currency.upper())


@djstripe_receiver(PAYMENT_INTENT)
def payment_intent(sender, event: Event, **kwargs) -> None:
    data = _object(event)
    key = (data.get("metadata") or {}).get("idempotency_key")
    if not key:
        return  # not sent by Paydesk
    try:
        result = _charge_result(stripe.PaymentIntent.construct_from(data, None))
    except GatewayTimeout:
        return  # still processing: its final event settles it
    reports.charge(key, result, actor=roles.stripe_user())


@djstripe_receiver(REFUND)
def refund(sender, event: Event, **kwargs) -> None:
    data = _object(event)
    if data.get("object") == "charge":
        # Older API versions list the charge's refunds in it; newer ones send refund.* events.
        found = (data.get("refunds") or {}).get("data") or []
        intent = data.get("payment_intent") or ""
    else:
        found, intent = [data], data.get("payment_intent") or ""
    for item in found:
        if _superseded(event, item["id"], REFUND):
            continue
        reports.refund(
            reports.ReportedRefund(
                gateway=GATEWAY,
                ref=item["id"],
                payment_ref=item.get("payment_intent") or intent,
                key=(item.get("metadata") or {}).get("idempotency_key") or "",
                amount=_money(item["amount"], item["currency"]),
                status=item.get("status") or "",
                reason=item.get("reason") or "",
                message=item.get("failure_reason") or "",
            ),
            actor=roles.stripe_user(),
        )


@djstripe_receiver(DISPUTE)
def dispute(sender, event: Event, **kwargs) -> None:
    data = _object(event)
    status = data.get("status") or ""
    movements = tuple(
        disputes.Movement(
            ref=txn["id"],
            amount=_money(txn["amount"], txn["currency"]),
            fee=_money(txn.get("fee") or 0, txn["currency"]),
        )
        for txn in data.get("balance_transactions") or []
        if isinstance(txn, dict) and txn.get("amount")
    )
    evidence = data.get("evidence_details") or {}
    disputes.apply(
        disputes.ReportedDispute(
            gateway=GATEWAY,
            ref=data["id"],
            payment_ref=data.get("payment_intent") or "",
            amount=_money(data["amount"], data["currency"]),
            reason=data.get("reason") or "general",
            gateway_status=status,
            outcome=OUTCOMES.get(status, "open"),
            opened_at=_when(data.get("created")) or _when(event.stripe_data.get("created")),
            evidence_due_by=_when(evidence.get("due_by")),
            movements=movements,
        ),
        actor=roles.stripe_user(),
    )


@djstripe_receiver(CARD)
def payment_method(sender, event: Event, **kwargs) -> None:
    data = _object(event)
    token = data.get("id") or ""
    if event.type == "payment_method.detached":
        reports.card_removed(GATEWAY, token, actor=roles.stripe_user())
        return
    card = data.get("card")
    if not card or _superseded(event, token, CARD):
        return
    details = CardDetails(token, card["brand"], card["last4"], card["exp_month"], card["exp_year"])
    reports.card_changed(GATEWAY, details, actor=roles.stripe_user())


def _superseded(event: Event, object_id: str, types: list[str]) -> bool:
    """Whether a newer event about this object was applied already. Events come out of order:
    an older expiry must not overwrite a newer one, and a refund's success reported after its
    failure must not record money that came back."""
    newer = Event.objects.filter(
        type__in=types, created__gt=event.created, data__object__id=object_id
    ).exclude(id=event.id)
    return newer.exists()
