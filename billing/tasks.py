"""Scheduled sweeps. Each finds its work in database state and acts idempotently, so a lost
or repeated django-q2 task is harmless."""

import datetime as dt
import logging

from django.db import transaction
from django.db.models import Q

from billing.actions.charging import charge_now, reconcile_charge
from billing.actions.periods import bill_period, end_or_resume
from billing.actions.refunds import reconcile_refund
from billing.models import Order, Payment, Refund
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


BATCH = 50


def charge_due_orders(now: dt.datetime | None = None) -> dict[str, int]:
    """Bill and charge every order period that is due, catching up missed periods.

    Orders are claimed with `skip_locked`, so a second runner takes other orders instead of
    waiting; a period's charge key `order:<id>:period:<n>` (unique) makes a rerun harmless.
    The gateway is called after each batch's transaction commits.
    """
    today = (now or clock.now()).date()
    counts = {"billed": 0, "charged": 0}
    live = [Order.Status.ACTIVE, Order.Status.TRIALING, Order.Status.PAST_DUE]
    with transaction.atomic():
        changing = Order.objects.filter(
            Q(status=Order.Status.PAUSED, pause_until__lte=today)
            | Q(cancel_at__lte=today, status__in=live)
        ).select_for_update(skip_locked=True)
        for order in changing.select_related("product"):
            end_or_resume(order, today)
    while True:
        with transaction.atomic():
            due = (
                Order.objects.filter(status__in=live, next_charge_on__lte=today)
                .exclude(cancel_at__lte=today)
                .select_related("product", "contact", "payment_method")
                .order_by("next_charge_on", "pk")
                .select_for_update(skip_locked=True, of=("self",))[:BATCH]
            )
            payments = []
            for order in due:
                counts["billed"] += 1
                payments.append(bill_period(order))
        if not payments:
            break
        for payment in filter(None, payments):
            charge_now(payment, actor=None)
            counts["charged"] += 1
    log.info("charge_due_orders %s", counts)
    return counts
