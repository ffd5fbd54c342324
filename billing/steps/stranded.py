"""Charges left in flight, found and finished: a sender that stalled past its lease or died
leaves its charge pending (or unknown, if the answer was lost). Reconcile and the sweeps claim
it like any sender (billing.steps.charging.claim), ask the gateway by its key, and send it only
if the gateway never saw it; one given up as not sent is asked about again for a while, so a
capture made behind its back is recorded (charging.record_late_capture)."""

import datetime as dt

from django.db import transaction
from django.db.models import QuerySet

from billing.gateways import get_gateway
from billing.gateways.base import GatewayTimeout
from billing.models import Invoice, Payment
from billing.selectors import amount_due
from billing.steps import charging, locks
from billing.steps.charging import IN_FLIGHT
from billing.transitions import move
from core import audit

# How long after giving a charge up reconcile still asks the gateway about it: a sender that
# stalled past its lease may get through and then die before recording the capture.
LATE_CAPTURE_WINDOW = dt.timedelta(days=1)


def reconcile_charge(payment: Payment, *, now: dt.datetime | None = None) -> bool:
    """Settle a charge left in flight; True if this call settled it.

    The row is claimed first, so a sender whose lease is live is left alone and two sweeps
    never both handle it. Then the gateway is asked by key; if it never saw the key, the
    charge is sent now under that same key (or given up, unsent, if its invoice no longer asks
    for it): a charge that may not have been sent is never recorded as declined."""
    if not charging.claim(payment, now=now):
        return False
    try:
        result = get_gateway(payment.gateway).find_charge(payment.idempotency_key)
    except GatewayTimeout:
        return False
    if result is None:
        if not _still_wanted(payment):
            return True
        result = charging.call_gateway(payment)
    return charging.settle_charge(payment, result).status not in IN_FLIGHT


def _still_wanted(payment: Payment) -> bool:
    """Whether the claimed, never-sent charge is still asked for; if not, give it up as
    `not_sent`: no decline, so no past-due order, no dunning case and no notice."""
    with transaction.atomic():
        invoice = locks.lock_invoice(payment.invoice_id)
        payment = locks.lock_payment(payment.pk)
        if payment.status not in IN_FLIGHT:
            return False
        if invoice.status == Invoice.Status.OPEN and amount_due(invoice) >= payment.amount:
            return True
        move(payment, Payment.Status.NOT_SENT, what="give up the unsent charge")
        payment.save(update_fields=["status"])
        audit.record(
            "payment.not_sent",
            payment,
            actor=None,
            contact_id=payment.contact_id,
            amount=payment.amount,
            reason=f"{invoice.number} no longer asks for it",
        )
    return False


def send_stranded(
    payments: QuerySet[Payment], *, now: dt.datetime | None = None, limit: int | None = None
) -> int:
    """Reconcile up to `limit` charges of `payments` left in flight; returns how many this
    call settled (a row another sender holds is not counted, nor touched)."""
    rows = payments.filter(status__in=IN_FLIGHT, method=Payment.Method.CARD).order_by("pk")
    rows = rows.select_related("contact", "payment_method", "invoice")
    return sum(reconcile_charge(payment, now=now) for payment in rows[:limit])


def recheck_given_up(payments: QuerySet[Payment]) -> int:
    """Ask the gateway about the charges of `payments` given up as not sent; record a capture
    made behind one's back (`record_late_capture`). Returns how many were found."""
    found = 0
    given_up = payments.filter(status=Payment.Status.NOT_SENT).order_by("pk")
    for payment in given_up.select_related("contact", "payment_method", "invoice"):
        try:
            result = get_gateway(payment.gateway).find_charge(payment.idempotency_key)
        except GatewayTimeout:
            continue
        if result is not None and result.status == "succeeded":
            charging.settle_charge(payment, result)
            found += 1
    return found
