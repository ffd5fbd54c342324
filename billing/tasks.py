"""Every django-q2 task of billing: the scheduled sweeps and the follow-ups of a change.

Sweeps find their work in database state and act idempotently, so a lost or repeated task is
harmless. Follow-ups are enqueued by billing.followups after a change commits; each takes ids
(what the broker can carry), loads its rows, and is safe to run twice or concurrently.
"""

import datetime as dt
import logging

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import Q
from django.template.loader import render_to_string

from billing import fulfilment
from billing.documents import invoice_context
from billing.models import AccessGrant, Commission, Delivery, Invoice, Order, Payment, Refund
from billing.steps.charging import charge_now, reconcile_charge
from billing.steps.commissions import recompute
from billing.steps.periods import bill_period, end_or_resume
from billing.steps.refunding import reconcile_refund
from core import clock
from offers.models import Product

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


# Follow-ups (enqueued by billing.followups) ------------------------------------------------


def grant_access(payment_pk: int, product_pk: int) -> AccessGrant | None:
    payment = Payment.objects.select_related("invoice").get(pk=payment_pk)
    return fulfilment.grant_access(payment, Product.objects.get(pk=product_pk))


def deliver(payment_pk: int, product_pk: int) -> Delivery | None:
    payment = Payment.objects.select_related("contact").get(pk=payment_pk)
    return fulfilment.deliver(payment, Product.objects.get(pk=product_pk))


def revoke_access_for_refund(payment_pk: int) -> int:
    return fulfilment.revoke_for_refund(Payment.objects.get(pk=payment_pk))


def revoke_access_for_void(invoice_pk: int) -> int:
    return fulfilment.revoke_for_void(invoice_pk)


def end_access_for_order(order_pk: int) -> int:
    return fulfilment.end_for_order(Order.objects.get(pk=order_pk))


def recompute_commissions(invoice_pk: int, payment_pk: int | None = None) -> list[Commission]:
    """The second run finds nothing to post."""
    return recompute(invoice_pk, actor=None, reason="automatic", payment_pk=payment_pk)


def send_invoice_email(invoice_id: int, to: str) -> None:
    """The invoice (HTML + text) a rep sent with `send_invoice`."""
    invoice = Invoice.objects.select_related("contact").get(pk=invoice_id)
    context = invoice_context(invoice)
    message = EmailMultiAlternatives(
        subject=f"Invoice {invoice.number} from Paydesk",
        body=render_to_string("billing/email/invoice.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[to],
    )
    message.attach_alternative(render_to_string("billing/email/invoice.html", context), "text/html")
    message.send()
