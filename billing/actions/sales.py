"""Selling: charge the card on file now, or record a sale paid elsewhere."""

import datetime as dt

from django.contrib.auth.models import User
from django.db import transaction

from billing import errors, limits
from billing.lines import validate_lines
from billing.models import Invoice, Order, Payment, PaymentMethod
from billing.permissions import optional_reason, require
from billing.selectors import amount_due
from billing.steps import charging, credits, keys, receiving
from billing.steps.inputs import checked_text
from billing.steps.invoicing import issue_invoice
from billing.steps.opening import open_orders, plan_sale
from core import clock
from offers.lines import SaleLine

SOURCES = ("phone", "event")
RECORD_METHODS = tuple(m for m in Payment.Method.values if m != Payment.Method.CARD)


def charge_sale(
    contact,
    *,
    lines: list[SaleLine],
    payment_method: PaymentMethod | None,
    actor: User,
    reason: str = "",
    source: str = "phone",
    event_name: str = "",
    idempotency_key: str | None = None,
) -> Invoice:
    """Issue an invoice for the lines and charge the card for what is due now.

    A decline leaves the invoice open with its failed payment, for the rep to retry or
    another card; a lost gateway answer leaves the payment `unknown` until reconciled.
    """
    require(actor, "sell", "sell")
    reason = optional_reason(reason)
    if source not in SOURCES:
        raise errors.InvalidRequest(f"Unknown sale source {source!r}.", field="source")
    event_name = checked_text(event_name, field="event_name", max_length=200)
    currency = validate_lines(lines)
    limits.require_sale_within_limit(actor, lines)
    card = charging.usable_card(contact, payment_method)
    params = {
        "contact": contact.pk,
        "lines": [line.fingerprint() for line in lines],
        "card": card.pk,
        "source": source,
    }

    specs, plans = plan_sale(lines, clock.today())
    with transaction.atomic(durable=True):
        slot = keys.claim(idempotency_key, "charge_sale", params)
        if slot.prior:
            return slot.prior
        invoice = issue_invoice(
            contact,
            specs,
            currency=currency,
            source=source,
            actor=actor,
            reason=reason,
            event_name=event_name,
            action="sale.charged",
        )
        open_orders(invoice, plans, card=card, actor=actor, reason=reason)
        credits.apply_to(invoice, actor=actor)
        due = amount_due(invoice)
        payment = None
        if due.amount > 0:
            payment = charging.start_charge(invoice, amount=due, card=card, actor=actor)
        else:
            charging.close_if_settled(invoice)
        slot.fill(invoice)
    if payment is not None:
        charging.charge_now(payment, actor=actor)
    invoice.refresh_from_db()
    return invoice


def record_sale(
    contact,
    *,
    lines: list[SaleLine],
    method: str = "other_system",
    reference: str,
    paid_at: dt.datetime | None = None,
    event_name: str = "",
    collection_method: str | None = None,
    actor: User,
    reason: str = "",
    idempotency_key: str | None = None,
) -> Invoice:
    """Log a sale whose money was taken outside Paydesk (another system, cash, an event).

    A sale that opens orders (subscription, payment plan) must say how their later periods
    are paid (`collection_method`): charging the card on file is never assumed for money
    that came in another way."""
    require(actor, "sell", "record a sale")
    reason = optional_reason(reason)
    if method not in RECORD_METHODS:
        raise errors.InvalidRequest(f"Unknown payment method {method!r}.", field="method")
    reference = checked_text((reference or "").strip(), field="reference", max_length=200)
    event_name = checked_text(event_name, field="event_name", max_length=200)
    if method == Payment.Method.OTHER_SYSTEM and not reference:
        raise errors.InvalidRequest(
            "Give the other system's reference for this sale.", field="reference"
        )
    if method == Payment.Method.EVENT and not event_name.strip():
        raise errors.InvalidRequest("Name the event.", field="event_name")
    if paid_at and paid_at > clock.now():
        raise errors.InvalidRequest("The payment date cannot be in the future.", field="paid_at")
    currency = validate_lines(lines)
    limits.require_sale_within_limit(actor, lines)
    params = {
        "contact": contact.pk,
        "lines": [line.fingerprint() for line in lines],
        "method": method,
        "reference": reference,
    }
    if any(line.payment_terms.is_recurring for line in lines):
        if collection_method not in Order.CollectionMethod.values:
            raise errors.InvalidRequest(
                errors.SAY_HOW_LATER_PERIODS_ARE_PAID, field="collection_method"
            )
        params["collection_method"] = collection_method

    specs, plans = plan_sale(lines, clock.today())
    with transaction.atomic(durable=True):
        slot = keys.claim(idempotency_key, "record_sale", params)
        if slot.prior:
            return slot.prior
        source = "event" if method == Payment.Method.EVENT else "other_system"
        invoice = issue_invoice(
            contact,
            specs,
            currency=currency,
            source=source,
            actor=actor,
            reason=reason,
            event_name=event_name,
            action="sale.recorded",
        )
        card = contact.payment_methods.usable().filter(is_default=True).first()
        open_orders(
            invoice,
            plans,
            card=card,
            actor=actor,
            reason=reason,
            collection_method=collection_method or Order.CollectionMethod.CHARGE_AUTOMATICALLY,
        )
        due = amount_due(invoice)
        if due.amount > 0:
            receiving.receive_outside(
                invoice,
                amount=due,
                method=method,
                reference=reference,
                paid_at=paid_at,
                actor=actor,
            )
        charging.close_if_settled(invoice)
        slot.fill(invoice)
    invoice.refresh_from_db()
    return invoice
