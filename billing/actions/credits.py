"""Paying a contact's credit back out: each part a normal Refund against one of their payments.

Credit is money Paydesk owes the contact (billing.steps.credits). Refunding it returns it to
the contact's most recent payments in that currency with room left to refund, newest first:
card payments through the gateway, others recorded as paid back outside. The credit is taken
out in the same transaction that reserves the refunds; a refund that fails gives it back.
"""

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import F
from djmoney.money import Money

from billing import errors, ledger, limits
from billing.models import Account, Payment, Refund
from billing.permissions import require, require_reason
from billing.selectors import credit_balance
from billing.steps import keys, locks, refunding
from billing.steps.amounts import checked_amount
from core import audit

NO_CREDIT = "This contact has no {currency} credit to refund."
ABOVE_CREDIT = "The amount is more than the {credit} credit this contact has."
NO_ROOM = "Only {room} can go back to this contact's payments; refund at most that."


def refund_credit(
    contact,
    *,
    currency: str,
    amount: Money | None = None,
    actor: User,
    reason: str,
    idempotency_key: str | None = None,
) -> list[Refund]:
    """Refund `amount` (default: all) of the contact's credit in `currency`."""
    require(actor, "refund", "refund credit")
    reason = require_reason(reason)
    if amount is not None:
        amount = checked_amount(amount, currency, subject="credit")
    params = {"contact": contact.pk, "currency": currency, "amount": str(amount)}
    with transaction.atomic(durable=True):
        slot = keys.claim(idempotency_key, "refund_credit", params)
        if slot.prior:
            # The first call's audit event names the refunds it made.
            return list(Refund.objects.filter(pk__in=slot.prior.after["refunds"]).order_by("pk"))
        candidates = Payment.objects.filter(
            contact=contact,
            status=Payment.Status.SUCCEEDED,
            amount_currency=currency,
            amount_refunded__lt=F("amount"),
        )
        for invoice_id in sorted({p.invoice_id for p in candidates}):
            locks.lock_invoice(invoice_id)
        payments = [locks.lock_payment(p.pk) for p in candidates.order_by("pk")]
        locks.lock_credit(contact.pk, currency)
        credit = credit_balance(contact, currency)
        if credit.amount <= 0:
            raise errors.InvalidAmount(NO_CREDIT.format(currency=currency), field="amount")
        returning = amount or credit
        if returning > credit:
            raise errors.InvalidAmount(ABOVE_CREDIT.format(credit=credit), field="amount")
        plan, rest = [], returning
        for payment in sorted(payments, key=lambda p: (p.created_at, p.pk), reverse=True):
            piece = min(rest, payment.refundable)
            if piece.amount > 0:
                plan.append((payment, piece))
                rest -= piece
        if rest.amount > 0:
            room = returning - rest
            raise errors.InvalidAmount(NO_ROOM.format(room=room), field="amount")
        for payment, piece in plan:
            limits.require_refund_within_limit(actor, payment, piece)
        refunds = []
        for payment, piece in plan:
            ledger.post(
                "credit_refunded",
                [ledger.debit(Account.CREDIT, piece), ledger.credit(Account.REFUNDS, piece)],
                contact=contact,
                actor=actor,
                memo=reason,
            )
            settle = "gateway" if payment.method == Payment.Method.CARD else "outside"
            refunds.append(
                refunding.request(
                    payment, piece, settle=settle, actor=actor, reason=reason, from_credit=True
                )
            )
        event = audit.record(
            "contact.credit_refunded",
            contact,
            actor=actor,
            reason=reason,
            contact_id=contact.pk,
            amount=returning,
            after={"refunds": [r.pk for r in refunds]},
        )
        slot.fill(event)
    return [
        refunding.send(r, r.payment, actor=actor) if r.settle == Refund.Settle.GATEWAY else r
        for r in refunds
    ]
