"""Post-payment automation: delivery emails and membership access, per product.

After a payment, refund, void or ended order commits, billing.followups enqueues the django-q2
tasks (billing.tasks) that call the functions below, so a slow mail server or a failing task
never reaches the rep who took the payment. The broker delivers at least once, so every
function is idempotent on its own: one AccessGrant per (payment, product) and one Delivery
per (payment, product) enforced by unique constraints, and one Delivery per order or one-time
invoice (deliver), and revocations are compare-and-set updates that change a row
once.

Access rules (Product.access):
- term: until the paid order period ends (the invoice line's `period_end`, which is the next
  period's first day) plus TERM_GRACE, so a renewal charged late on its due day or retried by
  dunning does not cut the member off for a few hours; without an order period, as `days`.
- days: `access_days` from now, or from the end of the contact's live grant for the product
  (buying 30 days twice gives 60).
- lifetime: no end.
Revoked: when the payment is fully refunded and the product says `revoke_on_refund`; when its
invoice is voided (the sale should never have existed, whatever the product says). An ended
order (cancelled at term end, plan completed) ends the contact's grants for that product at
the order's `current_period_end`, whichever payment granted them.
"""

import datetime as dt
import logging

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.db.models import Max, Q, QuerySet, Sum
from django.template.loader import render_to_string
from django.utils import timezone

from billing.models import AccessGrant, Delivery, Invoice, InvoiceLine, Order, Payment, Refund
from core import audit, clock
from offers.models import Product

log = logging.getLogger(__name__)

TERM_GRACE = dt.timedelta(days=1)


def products_of(invoice_id: int) -> list[Product]:
    """The products an invoice sold as items: what its payments fulfil."""
    lines = InvoiceLine.objects.filter(
        invoice_id=invoice_id, kind=InvoiceLine.Kind.ITEM, product__isnull=False
    )
    ids = set(lines.values_list("product_id", flat=True))
    return list(Product.objects.filter(pk__in=ids).order_by("pk"))


def products_of_invoices(invoice_ids) -> dict[int, list[Product]]:
    """`products_of` for many invoices in one query: invoice id -> its products, by pk."""
    lines = InvoiceLine.objects.filter(
        invoice_id__in=invoice_ids, kind=InvoiceLine.Kind.ITEM, product__isnull=False
    ).select_related("product")
    found: dict[int, dict[int, Product]] = {}
    for line in lines:
        found.setdefault(line.invoice_id, {})[line.product_id] = line.product
    return {pk: [p for _, p in sorted(products.items())] for pk, products in found.items()}


def fully_refunded(payment: Payment) -> bool:
    """Refunds that succeeded cover the payment (pending ones may still fail)."""
    done = payment.refunds.filter(status=Refund.Status.SUCCEEDED).aggregate(s=Sum("amount"))["s"]
    return (done or 0) >= payment.amount.amount


def has_access(contact, product: Product, *, at: dt.datetime | None = None) -> bool:
    at = at or clock.now()
    return (
        AccessGrant.objects.filter(contact=contact, product=product, revoked_at__isnull=True)
        .filter(starts_at__lte=at)
        .filter(Q(ends_at__isnull=True) | Q(ends_at__gt=at))
        .exists()
    )


def _start_of(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


# Run by billing.tasks; each safe to run twice or concurrently ------------------------------


def grant_access(payment: Payment, product: Product) -> AccessGrant | None:
    if product.access == Product.Access.NONE or payment.status != Payment.Status.SUCCEEDED:
        return None
    # A task that runs late must not grant what a refund or void already took back.
    if payment.invoice.status == Invoice.Status.VOID or fully_refunded(payment):
        return None
    with transaction.atomic(durable=True):
        existing = AccessGrant.objects.filter(payment=payment, product=product).first()
        if existing is not None:
            return existing
        now = clock.now()
        grant = AccessGrant(
            contact_id=payment.contact_id,
            product=product,
            payment=payment,
            starts_at=now,
            ends_at=_ends_at(payment, product, now),
            created_at=now,
        )
        try:
            with transaction.atomic():
                grant.save()
        except IntegrityError:
            # A concurrent twin inserted first (we waited on the unique index): keep its row.
            return AccessGrant.objects.get(payment=payment, product=product)
        audit.record(
            "access.granted",
            grant,
            actor=None,
            contact_id=payment.contact_id,
            after={"product": product.pk, "ends_at": grant.ends_at and grant.ends_at.isoformat()},
        )
    return grant


def _ends_at(payment: Payment, product: Product, now: dt.datetime) -> dt.datetime | None:
    if product.access == Product.Access.LIFETIME:
        return None
    if product.access == Product.Access.TERM:
        ends = InvoiceLine.objects.filter(
            invoice_id=payment.invoice_id, product=product, period_end__isnull=False
        ).values_list("period_end", flat=True)
        if ends:
            return _start_of(max(ends)) + TERM_GRACE
    live = AccessGrant.objects.filter(
        contact_id=payment.contact_id, product=product, revoked_at__isnull=True, ends_at__gt=now
    ).aggregate(last=Max("ends_at"))["last"]
    return max(now, live or now) + dt.timedelta(days=product.access_days)


def deliver(payment: Payment, product: Product) -> Delivery | None:
    """Email the download link once per order (subscription, payment plan) or one-time sale:
    on its first payment, not again with every installment, renewal or partial payment.

    The row is inserted before sending, in the same transaction: a concurrent twin for the
    same payment blocks on the unique index and then finds the row; twins for two payments of
    one order or invoice are serialised by the lock below. A failed send rolls the row back
    for a retry. The one window left is a crash after the mail server accepted and before
    commit.
    """
    to = payment.contact.email
    if not (product.delivery_email and to) or payment.status != Payment.Status.SUCCEEDED:
        if not to:
            log.warning("payment %s: no email address to deliver %s to", payment.pk, product.pk)
        return None
    with transaction.atomic(durable=True):
        if _delivered_before(payment, product):
            return None
        delivery, created = Delivery.objects.get_or_create(
            payment=payment, product=product, defaults={"sent_to": to, "sent_at": clock.now()}
        )
        if not created:
            return delivery
        _send(payment, product, to)
        audit.record(
            "delivery.sent",
            delivery,
            actor=None,
            contact_id=payment.contact_id,
            after={"product": product.pk, "to": to},
        )
    return delivery


def _delivered_before(payment: Payment, product: Product) -> bool:
    """Whether another payment of the same invoice, or of the order this product was sold
    with, already delivered it. Locks that order (else the invoice) until commit."""
    invoice = Invoice.objects.select_related("order").get(pk=payment.invoice_id)
    order = invoice.order or Order.objects.filter(source_invoice=invoice, product=product).first()
    if order is not None:
        Order.objects.select_for_update(of=("self",)).get(pk=order.pk)
        paid_for = Q(payment__invoice__order=order) | Q(payment__invoice=order.source_invoice_id)
    else:
        Invoice.objects.select_for_update(of=("self",)).get(pk=invoice.pk)
        paid_for = Q(payment__invoice=invoice)
    others = Delivery.objects.filter(paid_for, product=product).exclude(payment=payment)
    return others.exists()


def _send(payment: Payment, product: Product, to: str) -> None:
    context = {"contact": payment.contact, "product": product, "payment": payment}
    message = EmailMultiAlternatives(
        subject=f"Your {product.name} is ready",
        body=render_to_string("billing/email/delivery.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[to],
    )
    message.attach_alternative(
        render_to_string("billing/email/delivery.html", context), "text/html"
    )
    message.send()


def revoke_for_refund(payment: Payment) -> int:
    if not fully_refunded(payment):
        return 0
    grants = AccessGrant.objects.filter(payment=payment, product__revoke_on_refund=True)
    return _revoke(grants, "refunded")


def revoke_for_void(invoice_pk: int) -> int:
    # Payments moved to a replacement invoice are no longer on this one, so they keep access.
    return _revoke(AccessGrant.objects.filter(payment__invoice_id=invoice_pk), "voided")


def _revoke(grants: QuerySet[AccessGrant], reason: str) -> int:
    now = clock.now()
    count = 0
    with transaction.atomic(durable=True):
        for grant in grants.filter(revoked_at__isnull=True).order_by("pk"):
            # Compare-and-set: a concurrent twin changes nothing.
            claimed = AccessGrant.objects.filter(pk=grant.pk, revoked_at__isnull=True).update(
                revoked_at=now, revoke_reason=reason
            )
            if claimed:
                count += 1
                audit.record(
                    "access.revoked", grant, actor=None, reason=reason, contact_id=grant.contact_id
                )
    return count


def end_for_order(order: Order) -> int:
    if order.current_period_end is None:
        return 0
    cutoff = _start_of(order.current_period_end)
    # Only what this order's own payments granted: a separate purchase of the same product
    # (a lifetime licence, another order) keeps its access.
    paid_by_order = Q(payment__invoice__order=order) | Q(payment__invoice=order.source_invoice_id)
    grants = (
        AccessGrant.objects.filter(product_id=order.product_id, revoked_at__isnull=True)
        .filter(paid_by_order)
        .filter(Q(ends_at__isnull=True) | Q(ends_at__gt=cutoff))
    )
    count = 0
    with transaction.atomic(durable=True):
        for grant in grants.order_by("pk"):
            # A grant that starts after the cutoff simply ends where it starts.
            ends = max(cutoff, grant.starts_at)
            claimed = (
                AccessGrant.objects.filter(pk=grant.pk, revoked_at__isnull=True)
                .filter(Q(ends_at__isnull=True) | Q(ends_at__gt=ends))
                .update(ends_at=ends, revoke_reason="order_ended")
            )
            if claimed:
                count += 1
                audit.record(
                    "access.ended",
                    grant,
                    actor=None,
                    reason="order ended",
                    contact_id=grant.contact_id,
                    after={"ends_at": ends.isoformat(), "order": order.pk},
                )
    return count
