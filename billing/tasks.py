"""Scheduled sweeps. Each finds its work in database state and acts idempotently, so a lost
or repeated django-q2 task is harmless."""

import datetime as dt
import logging

from billing.actions.charging import reconcile_charge
from billing.actions.refunds import reconcile_refund
from billing.models import Payment, Refund
from core import clock

log = logging.getLogger(__name__)

# A pending row younger than this may still be waiting on its gateway call in a live request.
RECONCILE_AFTER = dt.timedelta(minutes=2)


def reconcile_pending(now: dt.datetime | None = None) -> dict[str, int]:
    """Settle charges and refunds whose gateway outcome was lost, asking the gateway by key."""
    cutoff = (now or clock.now()) - RECONCILE_AFTER
    settled = {"payments": 0, "refunds": 0}
    stuck = Payment.objects.filter(
        status__in=[Payment.Status.PENDING, Payment.Status.UNKNOWN], created_at__lte=cutoff
    ).select_related("contact", "payment_method", "invoice")
    for payment in stuck.order_by("pk"):
        if reconcile_charge(payment).status in (Payment.Status.SUCCEEDED, Payment.Status.FAILED):
            settled["payments"] += 1
    refunds = Refund.objects.filter(
        status__in=[Refund.Status.PENDING, Refund.Status.UNKNOWN], created_at__lte=cutoff
    ).select_related("payment")
    for refund in refunds.order_by("pk"):
        if reconcile_refund(refund).status in (Refund.Status.SUCCEEDED, Refund.Status.FAILED):
            settled["refunds"] += 1
    log.info("reconcile_pending settled %s", settled)
    return settled
