"""Billing one period of an open order: its invoice, and the pending charge keyed by period;
and the sweep's own status changes (a pause that ended, a cancellation at the end of term)."""

import datetime as dt

from django.db import transaction
from django_q.tasks import async_task

from billing import events, followups
from billing.models import Invoice, Order, Payment
from billing.schedule import period_start
from billing.selectors import amount_due
from billing.steps import charging, credits
from billing.steps.invoicing import LineSpec, issue_invoice
from billing.transitions import move
from core import audit, money


def period_amount(order: Order, n: int):
    if order.kind == Order.Kind.PAYMENT_PLAN:
        return money.from_minor_units(order.installments[n - 1], order.currency)
    return order.unit_price * order.quantity


def discount_for(order: Order, amount):
    if not order.discount_charges:
        return None
    if order.discount_percent is not None:
        return money.percent_of(amount, order.discount_percent)
    return min(order.discount_amount, amount)


def bill_period(order: Order) -> Payment | None:
    """Inside the sweep's transaction, with the order locked: invoice period n, advance the
    order, and start its charge. Returns the pending payment to send to the gateway."""
    n = order.periods_billed
    start = order.next_charge_on
    if order.kind == Order.Kind.PAYMENT_PLAN:
        name, end = f"{order.product.name} (installment {n} of {len(order.installments)})", None
    else:
        name, end = order.product.name, period_start(order, n + 1)
    amount = period_amount(order, n)
    unit, quantity = (order.unit_price, order.quantity) if end else (amount, 1)
    specs = [
        LineSpec(
            name,
            unit,
            quantity,
            amount,
            product=order.product,
            offer_id=order.offer_id,
            terms=order.terms,
            period_start=start,
            period_end=end,
        )
    ]
    off = discount_for(order, amount)
    if off and off.amount:
        specs.append(
            LineSpec(
                "Discount",
                -off,
                1,
                -off,
                kind="discount",
                product=order.product,
                offer_id=order.offer_id,
            )
        )
        order.discount_charges -= 1
    order.period_price = amount - (off or money.zero(order.currency))
    invoice = issue_invoice(
        order.contact,
        specs,
        currency=order.currency,
        source=Invoice.Source.ORDER,
        actor=None,
        order=order,
        period=n,
        action="order.period_billed",
    )
    order.periods_billed = n + 1
    order.current_period_start, order.current_period_end = start, end
    last = order.kind == Order.Kind.PAYMENT_PLAN and n >= len(order.installments)
    order.next_charge_on = None if last else period_start(order, n + 1)
    order.save()
    credits.apply_to(invoice, actor=None)
    due = amount_due(invoice)
    if due.amount <= 0:
        charging.close_if_settled(invoice)
        charging.follow_orders([order], invoice, succeeded=True)
        return None
    if order.collection_method == Order.CollectionMethod.SEND_INVOICE:
        # The customer pays this period from the emailed invoice; no card is charged.
        send_to_pay(invoice)
        return None
    card = order.payment_method
    if card is None or not card.usable:
        # No gateway call on a card that cannot work: the period's invoice stays open and goes
        # to collection, which waits for a card that does (billing/README "Open orders").
        charging.follow_orders([order], invoice, succeeded=False)
        audit.record("order.no_card", order, actor=None, contact_id=order.contact_id)
        why = card.unusable_reason if card else "no_card"
        events.announce(events.charge_skipped, invoice=invoice, decline_code=why)
        return None
    return charging.start_charge(
        invoice, amount=due, card=card, actor=None, key=f"order:{order.pk}:period:{n}"
    )


def send_to_pay(invoice: Invoice) -> None:
    """Email the period's invoice to the contact once the billing commits; recorded like a
    rep's send (billing.actions.delivery), by the automation."""
    to = invoice.contact.email
    if not to:
        audit.record("invoice.not_sent", invoice, actor=None, contact_id=invoice.contact_id)
        return
    audit.record(
        "invoice.sent", invoice, actor=None, contact_id=invoice.contact_id, after={"to": to}
    )
    transaction.on_commit(lambda: async_task("billing.tasks.send_invoice_email", invoice.pk, to))


def end_or_resume(order: Order, today: dt.date) -> None:
    """Sweep-time status changes: a paused order whose pause ended resumes, a cancellation
    scheduled for the end of the term takes effect."""
    if order.status == Order.Status.PAUSED and order.pause_until and order.pause_until <= today:
        move(order, Order.Status.ACTIVE, what="resume this order")
        order.pause_until = None
        if order.next_charge_on is None or order.next_charge_on < today:
            order.anchor_on, order.anchor_period = today, order.periods_billed
            order.next_charge_on = today
        order.save()
        audit.record(
            "order.resumed", order, actor=None, contact_id=order.contact_id, reason="pause ended"
        )
    if order.cancel_at and order.cancel_at <= today and order.status != Order.Status.CANCELLED:
        old = move(order, Order.Status.CANCELLED, what="cancel this order")
        order.next_charge_on = None
        order.save()
        audit.record(
            "order.cancelled",
            order,
            actor=None,
            contact_id=order.contact_id,
            reason="end of term",
            before={"status": old},
        )
        followups.order_ended(order)
