"""Every django-q2 task of billing: the scheduled sweeps and the follow-ups of a change.

Sweeps find their work in database state and act idempotently, so a lost or repeated task is
harmless. Each sweep is a chunk task (`*_chunk`: one bounded batch, then the next enqueued
while more remains), so no task runs long enough for the cluster's timeout to kill it half-way;
one killed anyway strands nothing for good, since the next chunk or sweep sends every stranded
charge under its original key (billing.steps.stranded.send_stranded). The plain functions
(`charge_due_orders`, `reconcile_pending`) run every chunk in this process, for tests,
commands and shells. Follow-ups are enqueued by billing.followups after a change commits; each
takes ids (what the broker can carry), loads its rows, and is safe to run twice or concurrently.
"""

import datetime as dt
import logging

from django.conf import settings
from django.contrib.auth.models import User
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django_q.tasks import async_task

from billing import customer_emails, fulfilment
from billing.models import (
    AccessGrant,
    ApprovalRequest,
    Commission,
    Delivery,
    Dispute,
    Invoice,
    Order,
    Payment,
    Refund,
)
from billing.steps import charging, refunding, renewals, sending, stranded
from billing.steps.commissions import recompute
from billing.steps.periods import end_or_resume
from core import clock, roles
from offers.models import Product

log = logging.getLogger(__name__)

# A pending row younger than this may still be waiting on its gateway call in a live request.
RECONCILE_AFTER = dt.timedelta(minutes=2)
# Rows per chunk: one batch's gateway calls (Stripe: about 1 s each) stay well inside the
# cluster's timeout of 120 s.
BATCH = 50

Counts = dict[str, int]


def reconcile_pending(now: dt.datetime | None = None) -> Counts:
    """Settle every charge and refund whose gateway outcome was lost, or whose sender stalled
    or died, chunk after chunk in this process."""
    settled = {"payments": 0, "refunds": 0}
    after: tuple[int, int] | None = (0, 0)
    while after:
        after = _reconcile_chunk(now, settled, after)
    log.info("reconcile_pending settled %s", settled)
    return settled


def reconcile_pending_chunk(
    now: dt.datetime | None = None, after: tuple[int, int] = (0, 0)
) -> Counts:
    """The scheduled sweep: one chunk of `reconcile_pending`, then the next enqueued."""
    settled = {"payments": 0, "refunds": 0}
    following = _reconcile_chunk(now, settled, after)
    if following:
        async_task("billing.tasks.reconcile_pending_chunk", now, following)
    return settled


def _reconcile_chunk(
    now: dt.datetime | None, settled: Counts, after: tuple[int, int]
) -> tuple[int, int] | None:
    """Up to BATCH payments and BATCH refunds past the cursor `after` (last payment and refund
    pk seen); the next cursor, or None when nothing is left. Rows a live sender holds are
    skipped and left to the next sweep: the cursor moves past them. The first chunk also asks
    the gateway about charges given up lately, so a capture made behind them is recorded."""
    cutoff = (now or clock.now()) - RECONCILE_AFTER
    if after == (0, 0):
        recent = (now or clock.now()) - stranded.LATE_CAPTURE_WINDOW
        given_up = Payment.objects.filter(claimed_at__gte=recent)
        settled["payments"] += stranded.recheck_given_up(given_up)
    stuck = Payment.objects.filter(
        pk__gt=after[0], status__in=charging.IN_FLIGHT, created_at__lte=cutoff
    )
    payments = list(stuck.order_by("pk").values_list("pk", flat=True)[:BATCH])
    settled["payments"] += stranded.send_stranded(Payment.objects.filter(pk__in=payments), now=now)
    refunds = list(
        Refund.objects.filter(
            pk__gt=after[1], status__in=refunding.IN_FLIGHT, created_at__lte=cutoff
        )
        .select_related("payment")
        .order_by("pk")[:BATCH]
    )
    for refund in refunds:
        if refunding.reconcile_refund(refund, now=now).status not in refunding.IN_FLIGHT:
            settled["refunds"] += 1
    if len(payments) < BATCH and len(refunds) < BATCH:
        return None
    return (payments[-1] if payments else after[0], refunds[-1].pk if refunds else after[1])


def charge_due_orders(now: dt.datetime | None = None) -> Counts:
    """Bill and charge every order period that is due, catching up missed periods, chunk after
    chunk in this process (tests, commands). The cluster runs `charge_due_orders_chunk`."""
    counts = {"billed": 0, "charged": 0}
    while _charge_chunk(now, counts):
        pass
    log.info("charge_due_orders %s", counts)
    return counts


def charge_due_orders_chunk(now: dt.datetime | None = None) -> Counts:
    """The scheduled sweep: one chunk of `charge_due_orders`, then the next enqueued."""
    counts = {"billed": 0, "charged": 0}
    if _charge_chunk(now, counts):
        async_task("billing.tasks.charge_due_orders_chunk", now)
    return counts


def _charge_chunk(now: dt.datetime | None, counts: Counts) -> bool:
    """One bounded chunk: send order charges a killed or timed-out runner left unsent, then
    bill up to BATCH due order periods and send their charges. Whether more may remain.

    Orders are claimed with `skip_locked`, so a second runner takes other orders instead of
    waiting; a period's charge key `order:<id>:period:<n>` (unique) makes a rerun harmless.
    The batch is billed and its captures recorded set-based (billing.steps.renewals); each
    charge is sent only by whoever wins its compare-and-set (charging.claim), so a row a second
    runner or reconcile has taken, or settled, is not sent again. A runner killed between its
    gateway calls and the batch's settle leaves those charges claimed and pending: reconcile
    asks the gateway by key once their lease ran out, and records what it says."""
    today = (now or clock.now()).date()
    live = [Order.Status.ACTIVE, Order.Status.TRIALING, Order.Status.PAST_DUE]
    # Never claimed a lease after they were started: their runner died (or its task timed out)
    # before sending them. A younger one is a live runner's, about to be sent: taken here, it
    # would cost the gateway a second request (reconcile asks by key first) and be settled one
    # by one, while its own runner's claim failed. With a gateway as slow as Stripe, a second
    # worker's chunk nearly always starts while the first is sending.
    unsent = Payment.objects.filter(
        idempotency_key__startswith="order:",
        claimed_at=None,
        created_at__lte=(now or clock.now()) - charging.LEASE,
    )
    resent = stranded.send_stranded(unsent, limit=BATCH)
    counts["charged"] += resent
    with transaction.atomic():
        changing = Order.objects.filter(
            Q(status=Order.Status.PAUSED, pause_until__lte=today)
            | Q(cancel_at__lte=today, status__in=live)
        ).select_for_update(skip_locked=True)
        changed = list(changing.select_related("product")[:BATCH])
        for order in changed:
            end_or_resume(order, today)
    with transaction.atomic():
        due = (
            Order.objects.filter(status__in=live, next_charge_on__lte=today)
            .exclude(cancel_at__lte=today)
            .select_related("product", "contact", "payment_method")
            .order_by("next_charge_on", "pk")
            .select_for_update(skip_locked=True, of=("self",))[:BATCH]
        )
        due = list(due)
        payments = renewals.bill_batch(due)
    counts["billed"] += len(due)
    sent = sending.send_claimed(payments)
    for payment, result in renewals.settle_batch(sent):
        charging.settle_charge(payment, result)
    counts["charged"] += len(sent)
    return bool(due) or resent == BATCH or len(changed) == BATCH


def alert_managers_of_overpayment(payment_pk: int, refund_pk: int) -> int:
    """Email every manager about a late capture that overpaid an invoice (the overpayment is
    refunded automatically; a manager checks with the customer). Returns how many were told."""
    payment = Payment.objects.select_related("invoice", "contact").get(pk=payment_pk)
    refund = Refund.objects.get(pk=refund_pk)
    managers = User.objects.filter(groups__name=roles.MANAGER, is_active=True).exclude(email="")
    to = sorted(set(managers.values_list("email", flat=True)))
    if to:
        send_mail(
            subject=f"Paydesk: {payment.invoice.number} was paid twice",
            message=(
                f"The gateway captured {payment.amount} from {payment.contact.name} for "
                f"{payment.invoice.number} after the invoice was settled otherwise. "
                f"{refund.amount} is being refunded automatically (refund {refund.pk}: "
                f"{refund.get_status_display()})."
            ),
            from_email=settings.DEFAULT_FROM_EMAIL,
            recipient_list=to,
        )
    return len(to)


def sync_gateway_events() -> int:
    """The scheduled catch-up of webhooks: ask Stripe for the events since the last one seen
    and apply them as their webhooks would have (a lost delivery is recovered). Nothing to
    do with the sandbox, which has no events. Returns how many new events were applied."""
    if settings.PAYDESK_GATEWAY != "stripe":
        return 0
    from billing.gateways import stripe_webhooks

    return stripe_webhooks.sync_events()


def alert_managers_of_dispute(dispute_pk: int) -> int:
    """Email every manager about a new dispute: the money is withdrawn, and evidence is due
    by the gateway's date. Returns how many were told."""
    dispute = Dispute.objects.select_related("payment__invoice", "payment__contact").get(
        pk=dispute_pk
    )
    payment = dispute.payment
    due = (
        f" Evidence is due by {dispute.evidence_due_by:%-d %b %Y}."
        if dispute.evidence_due_by
        else ""
    )
    return _tell_managers(
        f"Paydesk: {payment.contact.name} disputed {payment.invoice.number}",
        f"{payment.contact.name} disputed the payment of {payment.amount} for "
        f"{payment.invoice.number} ({dispute.reason_label}). The gateway has withdrawn "
        f"{dispute.amount} plus its fee while the dispute is open.{due}",
    )


def tell_refund_failed(refund_pk: int) -> int:
    """The refund the gateway failed after reporting it done: the rep who asked for it (or the
    managers, for one nobody here asked for) is told to pay the customer another way."""
    refund = Refund.objects.select_related("payment__invoice", "payment__contact", "actor").get(
        pk=refund_pk
    )
    payment = refund.payment
    subject = f"Paydesk: the refund on {payment.invoice.number} failed"
    body = (
        f"The refund of {refund.amount} to {payment.contact.name} on "
        f"{payment.invoice.number} failed after it was made ({refund.message}). The money is "
        "back and can be refunded again; the customer may need another way to be paid."
    )
    if refund.actor and refund.actor.email and refund.actor.is_active:
        send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [refund.actor.email])
        return 1
    return _tell_managers(subject, body)


def send_refund(refund_pk: int) -> Refund:
    """Send a refund recorded where the gateway could not be called (a webhook)."""
    refund = Refund.objects.select_related("payment").get(pk=refund_pk)
    return refunding.send(refund, refund.payment)


def _tell_managers(subject: str, body: str) -> int:
    managers = User.objects.filter(groups__name=roles.MANAGER, is_active=True).exclude(email="")
    to = sorted(set(managers.values_list("email", flat=True)))
    if to:
        send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, to)
    return len(to)


def alert_managers_of_approval_request(request_pk: int) -> int:
    """Email every manager about a rep's request waiting in the approvals queue. Returns how
    many were told."""
    request = ApprovalRequest.objects.select_related("contact", "requested_by").get(pk=request_pk)
    managers = User.objects.filter(groups__name=roles.MANAGER, is_active=True).exclude(email="")
    to = sorted(set(managers.exclude(pk=request.requested_by_id).values_list("email", flat=True)))
    if to:
        rep = request.requested_by.get_full_name() or request.requested_by.username
        send_mail(
            subject=f"Paydesk: {rep} asks for your approval",
            message=(
                f"{rep} asks: {request.summary} for {request.contact.name}.\n"
                f"Reason: {request.reason}\n\n"
                f"Approve or decline it in the approvals queue: {reverse('billing:approval-list')}"
            ),
            from_email=settings.DEFAULT_FROM_EMAIL,
            recipient_list=to,
        )
    return len(to)


def tell_rep_of_decision(request_pk: int) -> int:
    """Email the rep how their request ended. Returns how many were told (0 without an email)."""
    request = ApprovalRequest.objects.select_related("contact", "requested_by", "decided_by").get(
        pk=request_pk
    )
    rep, manager = request.requested_by, request.decided_by
    if not rep.email:
        return 0
    name = manager.get_full_name() or manager.username
    verdict = request.get_status_display().lower()
    send_mail(
        subject=f"Paydesk: your request was {verdict}",
        message=(
            f"{request.summary} for {request.contact.name}: {verdict} by {name}.\n"
            + "\n".join(filter(None, [request.decision_note, request.outcome]))
        ),
        from_email=settings.DEFAULT_FROM_EMAIL,
        recipient_list=[rep.email],
    )
    return 1


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
    """The invoice (HTML + text, with the customer's links) a rep sent with `send_invoice`."""
    invoice = Invoice.objects.select_related("contact").get(pk=invoice_id)
    customer_emails.send_invoice(invoice, to)


def send_receipt(payment_pk: int) -> bool:
    payment = Payment.objects.select_related("contact", "invoice", "payment_method")
    return customer_emails.send_receipt(payment.get(pk=payment_pk))


def send_receipts(payment_pks: list[int]) -> int:
    """The receipts of a renewal batch's captures, one task for the batch (a task a payment
    would cost the sweep a queue write each). A retry after a failed send resends only the
    receipts not sent yet. Returns how many were sent."""
    payments = Payment.objects.select_related("contact", "invoice", "payment_method")
    return sum(
        customer_emails.send_receipt(payment)
        for payment in payments.filter(pk__in=payment_pks).order_by("pk")
    )


def send_refund_confirmation(refund_pk: int) -> bool:
    refund = Refund.objects.select_related(
        "payment__contact", "payment__invoice", "payment__payment_method"
    ).get(pk=refund_pk)
    return customer_emails.send_refund_confirmation(refund)


def send_cancellation(order_pk: int) -> bool:
    order = Order.objects.select_related("contact", "product").get(pk=order_pk)
    return customer_emails.send_cancellation(order)
