"""Refunds with the gateway: reserve the amount, call the gateway outside any transaction,
settle the outcome under the locks; `reconcile_refund` asks the gateway by key later.

The amount is reserved on the payment (`amount_refunded`, under the payment's lock) before the
gateway is called, so concurrent refunds cannot together exceed the captured amount; a failed
refund releases its reservation. A refund the gateway never saw is not failed (that would
release the reservation while a stalled sender may still get it through): `reconcile_refund`
sends it again under its own key, after a compare-and-set on its lease (`claim`), as charges do.
"""

import datetime as dt

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Q, Sum
from djmoney.money import Money

from billing import followups, ledger
from billing.gateways import get_gateway
from billing.gateways.base import GatewayError, GatewayTimeout, RefundResult
from billing.models import Account, Payment, Refund
from billing.steps import credits, locks
from billing.transitions import move
from core import audit, clock, money
from core.txn import require_no_transaction

LEASE = dt.timedelta(minutes=2)
IN_FLIGHT = (Refund.Status.PENDING, Refund.Status.UNKNOWN)


def request(
    payment: Payment,
    amount: Money,
    *,
    settle: str,
    actor: User,
    reason: str,
    from_credit: bool = False,
) -> Refund:
    """Record a refund on a locked payment the caller has checked, and reserve its amount.
    One paid back outside succeeds at once; a gateway one waits for `call_gateway`."""
    refund = Refund.objects.create(
        payment=payment,
        amount=amount,
        settle=settle,
        reason=reason,
        from_credit=from_credit,
        created_at=clock.now(),
        actor=actor,
    )
    refund.idempotency_key = f"refund:{refund.pk}"
    refund.save(update_fields=["idempotency_key"])
    reserve(payment)
    audit.record(
        "refund.requested",
        refund,
        actor=actor,
        reason=reason,
        contact_id=payment.contact_id,
        amount=amount,
        after={"settle": settle, "from_credit": from_credit},
    )
    if settle == Refund.Settle.OUTSIDE:
        succeed(refund, payment, ref="", actor=actor)
    return refund


def reserve(payment: Payment) -> None:
    """Recompute what is refunded or being refunded, under the payment's lock."""
    held = payment.refunds.filter(~Q(status=Refund.Status.FAILED)).aggregate(s=Sum("amount"))["s"]
    payment.amount_refunded = Money(held or 0, payment.amount.currency)
    payment.save(update_fields=["amount_refunded"])


def claim(refund: Refund, *, now: dt.datetime | None = None) -> bool:
    """Take the refund for one gateway call (compare-and-set on its lease, as for charges)."""
    free = Q(claimed_at=None) | Q(claimed_at__lte=(now or clock.now()) - LEASE)
    taken = Refund.objects.filter(free, pk=refund.pk, status__in=IN_FLIGHT)
    return taken.update(claimed_at=clock.now()) == 1


def send(refund: Refund, payment: Payment, *, actor: User | None = None) -> Refund:
    """Send a refund just requested, unless someone else has taken or settled it meanwhile."""
    if not claim(refund):
        return Refund.objects.get(pk=refund.pk)
    return settle_refund(refund, call_gateway(refund, payment), actor=actor)


def call_gateway(refund: Refund, payment: Payment) -> RefundResult | None:
    require_no_transaction("never call a gateway inside a transaction")
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


def settle_refund(
    refund: Refund, result: RefundResult | None, *, actor: User | None = None
) -> Refund:
    with transaction.atomic():
        payment = Payment.objects.get(pk=refund.payment_id)
        locks.lock_invoice(payment.invoice_id)
        payment = locks.lock_payment(payment.pk)
        refund = locks.lock_refund(refund.pk)
        if refund.status not in IN_FLIGHT:
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
            succeed(refund, payment, ref=result.ref, actor=actor)
        else:
            move(refund, Refund.Status.FAILED, what="record the failed refund")
            refund.message = result.message[:300]
            refund.save(update_fields=["status", "message"])
            reserve(payment)
            restore_credit(refund, payment, actor=actor)
            audit.record(
                "refund.failed",
                refund,
                actor=actor,
                contact_id=payment.contact_id,
                amount=refund.amount,
                after={"message": result.message},
            )
    return refund


def succeed(refund: Refund, payment: Payment, *, ref: str, actor: User) -> None:
    move(refund, Refund.Status.SUCCEEDED, what="record the refund")
    refund.gateway_ref = ref
    refund.save(update_fields=["status", "gateway_ref"])
    paid_from = Account.CASH if refund.settle == Refund.Settle.GATEWAY else Account.EXTERNAL
    # An overpayment back undoes its capture's credit on the invoice; a refund is a cost.
    to = Account.RECEIVABLE if refund.overpayment else Account.REFUNDS
    ledger.post(
        "overpayment_refunded" if refund.overpayment else "refund",
        [ledger.debit(to, refund.amount), ledger.credit(paid_from, refund.amount)],
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
    followups.refund_succeeded(refund)


def reconcile_refund(refund: Refund, *, now: dt.datetime | None = None) -> Refund:
    """Settle a refund left in flight: claimed first (a live sender's lease is respected), then
    by the gateway's answer for its key, or, if the gateway never saw the key, by sending it
    now under that key. The reservation is released only by a refund the gateway refused."""
    if not claim(refund, now=now):
        return refund
    payment = refund.payment
    try:
        result = get_gateway(payment.gateway).find_refund(refund.idempotency_key)
    except GatewayTimeout:
        return refund
    if result is None:
        result = call_gateway(refund, payment)
    return settle_refund(refund, result)


def restore_credit(refund: Refund, payment: Payment, *, actor: User) -> None:
    """A failed refund of credit (now, or later at the gateway): the credit it was to pay out
    is the contact's again."""
    if refund.from_credit:
        credits.grant(
            payment.contact,
            refund.amount,
            offset=[ledger.debit(Account.REFUNDS, refund.amount)],
            actor=actor,
            memo=f"Refund {refund.pk} failed",
            kind="credit_restored",
        )
