"""Rep actions on when an open order charges and whether it lives: reschedule, pause, resume,
cancel. Each writes an OrderChange row and its audit event; only a cancel that refunds unused
time moves money (billing.steps.cancelling plans it)."""

import datetime as dt

from django.contrib.auth.models import User
from django.db import transaction

from billing import errors, followups, ledger, limits
from billing.models import Account, Order, Payment
from billing.permissions import optional_reason, require, require_reason
from billing.schedule import period_start
from billing.steps import cancelling, credits, keys, locks, refunding
from billing.steps.inputs import checked_day
from billing.steps.order_changes import LIVE, record_change, require_live
from billing.transitions import move
from core import clock


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
        require_live(order, "reschedule this order")
        if order.next_charge_on is None:
            raise errors.InvalidTransition("This order has no charge left to move.")
        if not move_anchor and next_charge_on >= period_start(order, order.periods_billed + 1):
            raise errors.InvalidRequest(
                "A one-off move must stay before the charge after it; move the anchor instead.",
                field="next_charge_on",
            )
        before = {"next_charge_on": order.next_charge_on, "anchor_on": order.anchor_on}
        if move_anchor:
            order.anchor_on, order.anchor_period = next_charge_on, order.periods_billed
        order.next_charge_on = next_charge_on
        order.save()
        record_change(
            order,
            "rescheduled",
            before,
            {"next_charge_on": next_charge_on, "move_anchor": move_anchor},
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
        require_live(order, "pause this order")
        before = {"status": order.status}
        move(order, Order.Status.PAUSED, what="pause this order")
        order.pause_until = resume_on
        order.save()
        record_change(
            order,
            "paused",
            before,
            {"status": order.status, "resume_on": resume_on},
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
        require_live(order, "resume this order", statuses=(Order.Status.PAUSED,))
        before = {"status": order.status, "next_charge_on": order.next_charge_on}
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
        record_change(
            order,
            "resumed",
            before,
            {"status": order.status, "next_charge_on": start},
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
        require_live(order, "cancel this order", statuses=(*LIVE, Order.Status.PAUSED))
        for invoice in cancelling.period_invoices(order):
            locks.lock_payments(locks.lock_invoice(invoice.pk))
        plan = cancelling.plan_cancel(order, at=at, refund_unused=refund_unused)
        for payment, amount in plan.refunds:
            limits.require_refund_within_limit(actor, payment, amount)
        before = {"status": order.status, "next_charge_on": order.next_charge_on}
        followups.order_cancelled(order)
        if at == "end_of_term":
            order.cancel_at = plan.ends_on
            order.next_charge_on = None
        else:
            move(order, Order.Status.CANCELLED, what="cancel this order")
            order.next_charge_on = None
            followups.order_ended(order)
        order.save()
        record_change(
            order,
            "cancelled",
            before,
            {
                "at": at,
                "cancel_at": order.cancel_at,
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
