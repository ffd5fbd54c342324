"""Refunds: money back against one payment, never more than is left to refund.

The amount is reserved on the payment (`amount_refunded`, under the payment's lock) before the
gateway is called, so concurrent refunds cannot together exceed the captured amount; a failed
refund releases its reservation.
"""

from django.db import transaction
from django.db.models import Q, Sum
from djmoney.money import Money

from billing import errors, events, ledger
from billing.actions import locks
from billing.actions.idempotent import once
from billing.actions.invoices import checked_amount
from billing.gateways import get_gateway
from billing.gateways.base import GatewayError, GatewayTimeout, RefundResult
from billing.models import Account, Payment, Refund
from billing.permissions import require, require_reason, require_refund_within_limit
from billing.transitions import move
from core import audit, clock, money
from core.txn import in_transaction


def refund_payment(
    payment: Payment,
    *,
    amount: Money | None = None,
    settle: str = "gateway",
    actor,
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

    def run(remember) -> Refund:
        with transaction.atomic(durable=True):
            locks.lock_invoice(payment.invoice_id)
            locked = locks.lock_payment(payment.pk)
            if locked.status != Payment.Status.SUCCEEDED:
                raise errors.InvalidTransition("Only a captured payment can be refunded.")
            left = locked.refundable
            if left.amount <= 0:
                raise errors.InvalidAmount("This payment is already fully refunded.")
            returning = amount or left
            if returning > left:
                raise errors.InvalidAmount(errors.AMOUNT_ABOVE_REFUNDABLE.format(left=left))
            require_refund_within_limit(actor, returning)
            refund = Refund.objects.create(
                payment=locked,
                amount=returning,
                settle=settle,
                reason=reason,
                created_at=clock.now(),
                actor=actor,
            )
            refund.idempotency_key = f"refund:{refund.pk}"
            refund.save(update_fields=["idempotency_key"])
            _reserve(locked)
            audit.record(
                "refund.requested",
                refund,
                actor=actor,
                reason=reason,
                contact_id=locked.contact_id,
                amount=returning,
                after={"settle": settle},
            )
            if settle == Refund.Settle.OUTSIDE:
                _succeed(refund, locked, ref="", actor=actor)
            remember(refund)
        if settle == Refund.Settle.GATEWAY:
            refund = settle_refund(refund, _call_gateway(refund, locked), actor=actor)
        return refund

    return once(idempotency_key, "refund_payment", params, run)


def _reserve(payment: Payment) -> None:
    """Recompute what is refunded or being refunded, under the payment's lock."""
    held = payment.refunds.filter(~Q(status=Refund.Status.FAILED)).aggregate(s=Sum("amount"))["s"]
    payment.amount_refunded = Money(held or 0, payment.amount.currency)
    payment.save(update_fields=["amount_refunded"])


def _call_gateway(refund: Refund, payment: Payment) -> RefundResult | None:
    assert not in_transaction(), "never call a gateway inside a transaction"
    try:
        return get_gateway(payment.gateway).refund(
            charge_ref=payment.gateway_ref,
            amount_minor=money.to_minor_units(refund.amount),
            currency=str(refund.amount.currency),
            idempotency_key=refund.idempotency_key,
        )
    except GatewayTimeout:
        return None
    except GatewayError as exc:
        return RefundResult(status="failed", ref="", message=str(exc))


def settle_refund(refund: Refund, result: RefundResult | None, *, actor=None) -> Refund:
    with transaction.atomic():
        payment = Payment.objects.get(pk=refund.payment_id)
        locks.lock_invoice(payment.invoice_id)
        payment = locks.lock_payment(payment.pk)
        refund = locks.lock_refund(refund.pk)
        if refund.status not in (Refund.Status.PENDING, Refund.Status.UNKNOWN):
            return refund
        if result is None:
            if refund.status == Refund.Status.PENDING:
                move(refund, Refund.Status.UNKNOWN, what="mark the refund unknown")
                refund.save(update_fields=["status"])
                audit.record(
                    "refund.unknown",
                    refund,
                    actor=actor,
                    contact_id=payment.contact_id,
                    amount=refund.amount,
                )
        elif result.status == "succeeded":
            _succeed(refund, payment, ref=result.ref, actor=actor)
        else:
            move(refund, Refund.Status.FAILED, what="record the failed refund")
            refund.message = result.message[:300]
            refund.save(update_fields=["status", "message"])
            _reserve(payment)
            audit.record(
                "refund.failed",
                refund,
                actor=actor,
                contact_id=payment.contact_id,
                amount=refund.amount,
                after={"message": result.message},
            )
    return refund


def _succeed(refund: Refund, payment: Payment, *, ref: str, actor) -> None:
    move(refund, Refund.Status.SUCCEEDED, what="record the refund")
    refund.gateway_ref = ref
    refund.save(update_fields=["status", "gateway_ref"])
    paid_from = Account.CASH if refund.settle == Refund.Settle.GATEWAY else Account.EXTERNAL
    ledger.post(
        "refund",
        [ledger.debit(Account.REFUNDS, refund.amount), ledger.credit(paid_from, refund.amount)],
        contact=payment.contact,
        invoice=payment.invoice,
        actor=actor,
        memo=refund.reason,
    )
    audit.record(
        "refund.succeeded",
        refund,
        actor=actor,
        reason=refund.reason,
        contact_id=payment.contact_id,
        amount=refund.amount,
    )
    events.announce(events.refund_succeeded, refund=refund)


def reconcile_refund(refund: Refund) -> Refund:
    payment = refund.payment
    try:
        result = get_gateway(payment.gateway).find_refund(refund.idempotency_key)
    except GatewayTimeout:
        return refund
    if result is None:
        result = RefundResult(
            status="failed", ref="", message="The refund never reached the gateway."
        )
    return settle_refund(refund, result)
