"""Rep actions on what an open order charges and to which card: discounts, re-pricing with its
proration, the card. Changes are kept as OrderChange rows (old, new, who, why); when and
whether an order charges is billing/actions/order_lifecycle.py.

Actions that only change future charges move no money now, so they post no journal; the
money follows when a period is billed. Prorations and refunds post their own journals.
"""

import datetime as dt
from decimal import Decimal

from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction
from djmoney.money import Money

from billing import errors, events, ledger, limits
from billing.actions.invoices import retry_invoice
from billing.models import Account, Invoice, Order, PaymentMethod
from billing.permissions import require, require_reason
from billing.selectors import amount_due
from billing.steps import charging, credits, keys, locks
from billing.steps.amounts import checked_amount
from billing.steps.inputs import MAX_DISCOUNTED_CHARGES
from billing.steps.invoicing import LineSpec, issue_invoice
from billing.steps.order_changes import record_change, require_live
from core import clock, money


def discount_order(
    order: Order,
    *,
    amount: Money | None = None,
    percent: Decimal | None = None,
    charges: int = 1,
    actor: User,
    reason: str,
    idempotency_key: str | None = None,
) -> Order:
    """Take an amount or a percent off each of the order's next `charges` charges."""
    require(actor, "discount", "discount orders")
    reason = require_reason(reason)
    if (amount is None) == (percent is None):
        raise errors.InvalidRequest(errors.DISCOUNT_ONE_OF, field="amount")
    if not 1 <= charges <= MAX_DISCOUNTED_CHARGES:
        raise errors.InvalidRequest(
            f"Discount between 1 and {MAX_DISCOUNTED_CHARGES} charges.", field="charges"
        )
    if percent is not None:
        percent = Decimal(percent)
        if not (0 < percent <= 100) or percent.as_tuple().exponent < -2:
            raise errors.InvalidRequest(errors.PERCENT_RANGE, field="percent")
    params = {"order": order.pk, "amount": str(amount), "percent": str(percent), "charges": charges}
    with transaction.atomic(durable=True):
        slot = keys.claim(idempotency_key, "discount_order", params)
        if slot.prior:
            return slot.prior
        order = locks.lock_order(order.pk)
        require_live(order, "discount this order")
        if amount is not None:
            amount = checked_amount(amount, order.currency, subject="order")
        limits.require_order_within_limit(
            actor,
            order,
            unit_price=order.unit_price,
            quantity=order.quantity,
            percent=percent,
            amount=amount,
            field="amount" if percent is None else "percent",
        )
        before = {
            "percent": order.discount_percent,
            "amount": order.discount_amount,
            "charges": order.discount_charges,
        }
        order.discount_percent, order.discount_amount = percent, amount
        order.discount_charges = charges
        order.save()
        record_change(
            order,
            "discounted",
            before,
            {"percent": percent, "amount": amount, "charges": charges},
            actor=actor,
            reason=reason,
        )
        slot.fill(order)
    return order


def preview_proration(
    order: Order,
    *,
    unit_price: Money | None = None,
    quantity: int | None = None,
    on: dt.date | None = None,
) -> list[LineSpec]:
    """The lines a change effective `on` (default today) would post, day-based: a credit for
    the unused part of the current period at what it was billed at, a charge for it at the new
    price. Each part is rounded once to the minor unit; the preview is exactly what is posted.
    A trial keeps its own price (nothing, when free) to its end: re-pricing it prorates
    nothing, and the new price starts with the first paid period."""
    on = on or clock.today()
    start, end = order.current_period_start, order.current_period_end
    if order.periods_billed == 0 or not start or not end or not (start <= on < end):
        return []
    days, left = (end - start).days, (end - on).days
    old = order.period_price
    new = (unit_price or order.unit_price) * (quantity or order.quantity)
    credit = money.prorate(old, left, days)
    charge = money.prorate(new, left, days)
    note = f"{left} of {days} days, {on:%d %b %Y} to {end:%d %b %Y}"
    return [
        LineSpec(
            f"Unused time at {old} ({note})",
            -credit,
            1,
            -credit,
            kind="proration",
            product=order.product,
            offer_id=order.offer_id,
            period_start=on,
            period_end=end,
        ),
        LineSpec(
            f"Remaining time at {new} ({note})",
            charge,
            1,
            charge,
            kind="proration",
            product=order.product,
            offer_id=order.offer_id,
            period_start=on,
            period_end=end,
        ),
    ]


def change_order_terms(
    order: Order,
    *,
    unit_price: Money | None = None,
    quantity: int | None = None,
    effective: str = "next_charge",
    prorate: bool = False,
    actor: User,
    reason: str,
    idempotency_key: str | None = None,
) -> Order:
    """Re-price a subscriber. "next_charge": later periods bill the new price. "now" with
    prorate: the unused time is credited and the rest charged at once when the net is owed;
    a net credit goes to the contact's credit balance (the ledger), spent on their next
    invoices in the currency and refundable."""
    require(actor, "change_orders", "change orders")
    reason = require_reason(reason)
    if effective not in ("next_charge", "now"):
        raise errors.InvalidRequest("Choose now or next charge.", field="effective")
    if unit_price is None and quantity is None:
        raise errors.InvalidRequest("Give a new price or quantity.", field="unit_price")
    if quantity is not None and not 1 <= quantity <= settings.PAYDESK_MAX_QUANTITY:
        raise errors.InvalidRequest(
            f"Quantity must be between 1 and {settings.PAYDESK_MAX_QUANTITY}.", field="quantity"
        )
    payment = None
    params = {
        "order": order.pk,
        "unit_price": str(unit_price),
        "quantity": quantity,
        "effective": effective,
        "prorate": prorate,
    }
    with transaction.atomic(durable=True):
        slot = keys.claim(idempotency_key, "change_order_terms", params)
        if slot.prior:
            return slot.prior
        order = locks.lock_order(order.pk)
        require_live(order, "change this order")
        if order.kind != Order.Kind.SUBSCRIPTION:
            raise errors.InvalidRequest("A payment plan's amounts are fixed.", field="unit_price")
        if unit_price is not None:
            unit_price = checked_amount(unit_price, order.currency, subject="order")
        limits.require_order_within_limit(
            actor,
            order,
            unit_price=unit_price or order.unit_price,
            quantity=quantity or order.quantity,
            percent=order.discount_percent if order.discount_charges else None,
            amount=order.discount_amount if order.discount_charges else None,
            field="unit_price",
        )
        before = {"unit_price": str(order.unit_price), "quantity": order.quantity}
        lines = (
            preview_proration(order, unit_price=unit_price, quantity=quantity)
            if (effective == "now" and prorate)
            else []
        )
        order.unit_price = unit_price or order.unit_price
        order.quantity = quantity or order.quantity
        if lines:
            order.period_price = order.unit_price * order.quantity
        order.save()
        record_change(
            order,
            "terms_changed",
            before,
            {
                "unit_price": str(order.unit_price),
                "quantity": order.quantity,
                "effective": effective,
                "lines": [str(s.amount) for s in lines],
            },
            actor=actor,
            reason=reason,
            prorate=prorate,
        )
        net = money.sum_money((s.amount for s in lines), order.currency)
        if net.amount > 0:
            invoice = issue_invoice(
                order.contact,
                lines,
                currency=order.currency,
                source=Invoice.Source.ORDER,
                actor=actor,
                reason=reason,
                order=order,
                action="order.prorated",
            )
            credits.apply_to(invoice, actor=actor)
            due = amount_due(invoice)
            if due.amount <= 0:
                charging.close_if_settled(invoice)
            elif order.payment_method:
                payment = charging.start_charge(
                    invoice, amount=due, card=order.payment_method, actor=actor
                )
        elif net.amount < 0:
            credits.grant(
                order.contact,
                -net,
                offset=[
                    ledger.debit(Account.DISCOUNTS, -lines[0].amount),
                    ledger.credit(Account.REVENUE, lines[1].amount),
                ],
                actor=actor,
                memo=f"Order #{order.pk}: {lines[0].description}",
                kind="proration_credit",
            )
        slot.fill(order)
    if payment is not None:
        charging.charge_now(payment, actor=actor)
    return order


def set_order_card(
    order: Order,
    *,
    payment_method: PaymentMethod,
    actor: User,
    retry_now: bool = True,
    idempotency_key: str | None = None,
) -> Order:
    """Charge future periods to another card; with retry_now, charge the order's unpaid
    invoices on it at once."""
    require(actor, "manage_cards", "change an order's card")
    card = charging.usable_card(order.contact, payment_method)
    params = {"order": order.pk, "card": card.pk, "retry_now": retry_now}
    with transaction.atomic(durable=True):
        slot = keys.claim(idempotency_key, "set_order_card", params)
        if slot.prior:
            return slot.prior
        order = locks.lock_order(order.pk)
        before = {"card": str(order.payment_method) if order.payment_method else None}
        order.payment_method = card
        order.save(update_fields=["payment_method"])
        record_change(order, "card_changed", before, {"card": str(card)}, actor=actor, reason="")
        # The order's own open invoices are retried below (retry_now); other collections of
        # the contact are not this action's to charge.
        events.announce(
            events.card_added, payment_method=card, actor=actor, retry_collections=False
        )
        slot.fill(order)
    if retry_now:
        for invoice in order.invoices.filter(status=Invoice.Status.OPEN).order_by("pk"):
            try:
                retry_invoice(invoice, payment_method=card, actor=actor, reason="card updated")
            except errors.BillingError:
                continue  # e.g. a charge already in progress: the next sweep settles it
    return order
