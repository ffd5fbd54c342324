"""Refunds: money back against one payment, never more than is left to refund.

The amount is reserved on the payment before the gateway is called (billing.steps.refunding),
so concurrent refunds cannot together exceed the captured amount.
"""

from django.contrib.auth.models import User
from django.db import transaction
from djmoney.money import Money

from billing import errors, limits
from billing.models import Dispute, Payment, Refund
from billing.permissions import require, require_reason
from billing.steps import keys, locks, refunding
from billing.steps.amounts import checked_amount


def refund_payment(
    payment: Payment,
    *,
    amount: Money | None = None,
    settle: str = "gateway",
    actor: User,
    reason: str,
    idempotency_key: str | None = None,
) -> Refund:
    """Return money on a captured payment: through the gateway, or recorded as paid back
    outside. The invoice's amount due is unchanged: the customer does not owe it again."""
    require(actor, "refund", "refund payments")
    reason = require_reason(reason)
    if settle not in Refund.Settle.values:
        raise errors.InvalidRequest(f"Unknown settlement {settle!r}.", field="settle")
    if settle == "gateway" and payment.method != Payment.Method.CARD:
        raise errors.InvalidRequest(
            "Only card payments can be refunded through the gateway; record it as paid back "
            "outside instead.",
            field="settle",
        )
    if amount is not None:
        amount = checked_amount(amount, str(payment.amount.currency), subject="payment")
    params = {"payment": payment.pk, "amount": str(amount), "settle": settle}

    with transaction.atomic(durable=True):
        slot = keys.claim(idempotency_key, "refund_payment", params)
        if slot.prior:
            return slot.prior
        locks.lock_invoice(payment.invoice_id)
        locked = locks.lock_payment(payment.pk)
        returning = plan_refund(locked, amount)
        limits.require_refund_within_limit(actor, locked, returning)
        refund = refunding.request(locked, returning, settle=settle, actor=actor, reason=reason)
        slot.fill(refund)
    if settle == Refund.Settle.GATEWAY:
        refund = refunding.send(refund, locked, actor=actor)
    return refund


def plan_refund(payment: Payment, amount: Money | None) -> Money:
    """What refunding `amount` (None: everything left) returns on a payment locked by the
    caller; refuses what the payment cannot give back. A request for a manager's approval shows
    this and checks it again before the manager's refund."""
    if payment.status != Payment.Status.SUCCEEDED:
        raise errors.InvalidTransition("Only a captured payment can be refunded.")
    # Stripe refuses to refund a disputed charge, and a refund paid back outside would
    # return the money a second time if the dispute is lost.
    if payment.disputes.filter(status__in=(Dispute.Status.OPEN, Dispute.Status.LOST)).exists():
        raise errors.InvalidTransition(errors.PAYMENT_DISPUTED)
    left = payment.refundable
    if left.amount <= 0:
        raise errors.InvalidAmount("This payment is already fully refunded.")
    returning = amount or left
    if returning > left:
        raise errors.InvalidAmount(errors.AMOUNT_ABOVE_REFUNDABLE.format(left=left))
    return returning
