"""Rep actions on open orders. Changes are kept as OrderChange rows (old, new, who, why).

Actions that only change future charges move no money now, so they post no journal; the
money follows when a period is billed. Prorations and refunds post their own journals.
"""

import datetime as dt
from decimal import Decimal

from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction
from djmoney.money import Money

from billing import errors, events, followups, ledger, limits
from billing.actions.invoices import retry_invoice
from billing.models import Account, Invoice, Order, OrderChange, Payment, PaymentMethod
from billing.permissions import optional_reason, require, require_reason
from billing.schedule import period_start
from billing.selectors import amount_due
from billing.steps import cancelling, charging, credits, keys, locks, refunding
from billing.steps.amounts import checked_amount
from billing.steps.inputs import MAX_DISCOUNTED_CHARGES, checked_day
from billing.steps.invoicing import LineSpec, issue_invoice
from billing.transitions import move
from core import audit, clock, money

LIVE = (Order.Status.ACTIVE, Order.Status.TRIALING, Order.Status.PAST_DUE)


def _change(
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


def _require_live(order: Order, what: str, statuses=LIVE) -> None:
    if order.status not in statuses:
        raise errors.InvalidTransition(
            f"Cannot {what}: the order is {order.get_status_display().lower()}."
        )


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
        _require_live(order, "discount this order")
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
            "percent": str(order.discount_percent),
            "amount": str(order.discount_amount),
            "charges": order.discount_charges,
        }
        order.discount_percent, order.discount_amount = percent, amount
        order.discount_charges = charges
        order.save()
        _change(
            order,
            "discounted",
            before,
            {"percent": str(percent), "amount": str(amount), "charges": charges},
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
        _require_live(order, "change this order")
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
        _change(
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


def reschedule_order(
    order: Order,
    *,
    next_charge_on: dt.date,
    move_anchor: bool = True,
    actor: User,
    reason: str,
    idempotency_key: str | None = None,
) -> Order:
    """Move the next charge. move_anchor: every later charge follows the new date; otherwise
    only this charge moves and later ones keep the old cadence."""
    require(actor, "change_orders", "reschedule orders")
    reason = require_reason(reason)
    if next_charge_on < clock.today():
        raise errors.InvalidRequest("Choose today or a later date.", field="next_charge_on")
    params = {"order": order.pk, "next_charge_on": str(next_charge_on), "move_anchor": move_anchor}
    checked_day(next_charge_on, field="next_charge_on")
    with transaction.atomic(durable=True):
        slot = keys.claim(idempotency_key, "reschedule_order", params)
        if slot.prior:
            return slot.prior
        order = locks.lock_order(order.pk)
        _require_live(order, "reschedule this order")
        if order.next_charge_on is None:
            raise errors.InvalidTransition("This order has no charge left to move.")
        if not move_anchor and next_charge_on >= period_start(order, order.periods_billed + 1):
            raise errors.InvalidRequest(
                "A one-off move must stay before the charge after it; move the anchor instead.",
                field="next_charge_on",
            )
        before = {"next_charge_on": str(order.next_charge_on), "anchor_on": str(order.anchor_on)}
        if move_anchor:
            order.anchor_on, order.anchor_period = next_charge_on, order.periods_billed
        order.next_charge_on = next_charge_on
        order.save()
        _change(
            order,
            "rescheduled",
            before,
            {"next_charge_on": str(next_charge_on), "move_anchor": move_anchor},
            actor=actor,
            reason=reason,
            effective_on=next_charge_on,
        )
        slot.fill(order)
    return order


def pause_order(
    order: Order,
    *,
    resume_on: dt.date | None = None,
    actor: User,
    reason: str,
    idempotency_key: str | None = None,
) -> Order:
    """Stop charging from now until `resume_on` (or until resumed by hand). The period already
    paid for runs out as sold; no period is billed while paused; on resume the next charge is
    the resume date (a new anchor) unless the old charge date is still ahead."""
    require(actor, "change_orders", "pause orders")
    reason = require_reason(reason)
    if resume_on is not None and resume_on <= clock.today():
        raise errors.InvalidRequest("Resume on a later date than today.", field="resume_on")
    checked_day(resume_on, field="resume_on")
    with transaction.atomic(durable=True):
        slot = keys.claim(
            idempotency_key, "pause_order", {"order": order.pk, "resume_on": str(resume_on)}
        )
        if slot.prior:
            return slot.prior
        order = locks.lock_order(order.pk)
        _require_live(order, "pause this order")
        before = {"status": order.status}
        move(order, Order.Status.PAUSED, what="pause this order")
        order.pause_until = resume_on
        order.save()
        _change(
            order,
            "paused",
            before,
            {"status": order.status, "resume_on": str(resume_on)},
            actor=actor,
            reason=reason,
        )
        slot.fill(order)
    return order


def resume_order(
    order: Order,
    *,
    next_charge_on: dt.date | None = None,
    actor: User,
    reason: str = "",
    idempotency_key: str | None = None,
) -> Order:
    require(actor, "change_orders", "resume orders")
    reason = optional_reason(reason)
    today = clock.today()
    if next_charge_on is not None and next_charge_on < today:
        raise errors.InvalidRequest("Choose today or a later date.", field="next_charge_on")
    params = {"order": order.pk, "next_charge_on": str(next_charge_on)}
    checked_day(next_charge_on, field="next_charge_on")
    with transaction.atomic(durable=True):
        slot = keys.claim(idempotency_key, "resume_order", params)
        if slot.prior:
            return slot.prior
        order = locks.lock_order(order.pk)
        _require_live(order, "resume this order", statuses=(Order.Status.PAUSED,))
        before = {"status": order.status, "next_charge_on": str(order.next_charge_on)}
        move(order, Order.Status.ACTIVE, what="resume this order")
        order.pause_until = None
        start = next_charge_on or (
            order.next_charge_on
            if order.next_charge_on and order.next_charge_on >= today
            else today
        )
        if start != order.next_charge_on:
            order.anchor_on, order.anchor_period = start, order.periods_billed
        order.next_charge_on = start
        order.save()
        _change(
            order,
            "resumed",
            before,
            {"status": order.status, "next_charge_on": str(start)},
            actor=actor,
            reason=reason,
        )
        slot.fill(order)
    return order


def cancel_order(
    order: Order,
    *,
    at: str = "now",
    refund_unused: bool = False,
    actor: User,
    reason: str,
    idempotency_key: str | None = None,
) -> Order:
    """Cancel now (optionally refunding the unused part of the current period, day-based; see
    billing.steps.cancelling) or at the end of the paid term (charges stop; it ends on the
    term's last day). Every permission and limit the refund needs is checked before anything
    is written, so a refused cancel leaves the order as it was."""
    require(actor, "change_orders", "cancel orders")
    reason = require_reason(reason)
    if at not in ("now", "end_of_term"):
        raise errors.InvalidRequest("Cancel now or at the end of the term.", field="at")
    if refund_unused and at == "now":
        require(actor, "refund", "refund payments")
    refunds = []
    params = {"order": order.pk, "at": at, "refund_unused": refund_unused}
    with transaction.atomic(durable=True):
        slot = keys.claim(idempotency_key, "cancel_order", params)
        if slot.prior:
            return slot.prior
        order = locks.lock_order(order.pk)
        _require_live(order, "cancel this order", statuses=(*LIVE, Order.Status.PAUSED))
        for invoice in cancelling.period_invoices(order):
            locks.lock_payments(locks.lock_invoice(invoice.pk))
        plan = cancelling.plan_cancel(order, at=at, refund_unused=refund_unused)
        for payment, amount in plan.refunds:
            limits.require_refund_within_limit(actor, payment, amount)
        before = {"status": order.status, "next_charge_on": str(order.next_charge_on)}
        if at == "end_of_term":
            order.cancel_at = plan.ends_on
            order.next_charge_on = None
        else:
            move(order, Order.Status.CANCELLED, what="cancel this order")
            order.next_charge_on = None
            followups.order_ended(order)
        order.save()
        _change(
            order,
            "cancelled",
            before,
            {
                "at": at,
                "cancel_at": str(order.cancel_at),
                "refund": str(plan.refunded) if plan.refunds else None,
                "to_credit": str(plan.to_credit) if plan.to_credit else None,
            },
            actor=actor,
            reason=reason,
        )
        for payment, amount in plan.refunds:
            settle = "gateway" if payment.method == Payment.Method.CARD else "outside"
            refunds.append(
                refunding.request(
                    payment, amount, settle=settle, actor=actor, reason=f"Unused time: {reason}"
                )
            )
        if plan.to_credit:
            credits.grant(
                order.contact,
                plan.to_credit,
                offset=[ledger.debit(Account.REFUNDS, plan.to_credit)],
                actor=actor,
                memo=f"Order #{order.pk}: unused time paid with credit",
                kind="unused_time_credit",
            )
        slot.fill(order)
    for refund in refunds:
        if refund.settle == "gateway":
            refunding.send(refund, refund.payment, actor=actor)
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
        _change(order, "card_changed", before, {"card": str(card)}, actor=actor, reason="")
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
