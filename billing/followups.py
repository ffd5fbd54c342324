"""Billing's own follow-ups of a change: the customer's emails (receipts, refunds,
cancellations), fulfilment (delivery, access) and commissions.

The step that makes the change calls these; each enqueues django-q2 tasks (billing.tasks) once
the change commits, so a rolled-back change enqueues nothing and a slow mail server or a
failing task never reaches the rep. They are called, not signalled: signals
(billing.events) are only for dunning, the app above billing. A step calls its follow-up
before it announces the same change to dunning, so billing's own work runs first.
"""

from django.db import transaction
from django_q.tasks import async_task

from billing import fulfilment
from billing.models import ApprovalRequest, Commission, Dispute, Invoice, Order, Payment, Refund
from offers.models import Product


def payment_received(payment: Payment) -> None:
    transaction.on_commit(lambda: _payment_received(payment))


def payments_received(payments: list[Payment]) -> None:
    """`payment_received` for a batch (the renewal sweep's): the same tasks, found with a
    few queries for the whole batch instead of three a payment."""
    transaction.on_commit(lambda: _payments_received(payments))


def refund_succeeded(refund: Refund) -> None:
    transaction.on_commit(lambda: _refund_succeeded(refund))


def overpaid(payment: Payment, refund: Refund) -> None:
    """A late capture paid more than its invoice asked: the managers hear of it."""
    transaction.on_commit(
        lambda: async_task("billing.tasks.alert_managers_of_overpayment", payment.pk, refund.pk)
    )


def send_refund(refund: Refund) -> None:
    """A refund recorded inside a transaction that may not call the gateway (a webhook's):
    sent by a task once it commits; reconcile sends it should the task be lost."""
    transaction.on_commit(lambda: async_task("billing.tasks.send_refund", refund.pk))


def refund_failed_late(refund: Refund) -> None:
    """A refund the gateway failed after reporting it done: whoever asked for it hears."""
    transaction.on_commit(lambda: async_task("billing.tasks.tell_refund_failed", refund.pk))


def dispute_opened(dispute: Dispute) -> None:
    transaction.on_commit(lambda: async_task("billing.tasks.alert_managers_of_dispute", dispute.pk))


def approval_requested(request: ApprovalRequest) -> None:
    """A rep asked for more than their limit: the managers hear of it."""
    transaction.on_commit(
        lambda: async_task("billing.tasks.alert_managers_of_approval_request", request.pk)
    )


def approval_decided(request: ApprovalRequest) -> None:
    """The rep hears how their request ended (the record shows it too)."""
    transaction.on_commit(lambda: async_task("billing.tasks.tell_rep_of_decision", request.pk))


def invoice_paid(invoice: Invoice) -> None:
    transaction.on_commit(lambda: _invoice_paid(invoice))


def invoice_voided(invoice: Invoice) -> None:
    transaction.on_commit(lambda: _invoice_voided(invoice))


def invoice_written_off(invoice: Invoice) -> None:
    transaction.on_commit(lambda: _commissions(invoice.pk))


def order_cancelled(order: Order) -> None:
    """Cancelled now or from the end of its term: the customer is told once."""
    transaction.on_commit(lambda: async_task("billing.tasks.send_cancellation", order.pk))


def order_ended(order: Order) -> None:
    """Cancelled and its paid term is over, or a plan completed."""
    transaction.on_commit(lambda: async_task("billing.tasks.end_access_for_order", order.pk))


def _payment_received(payment: Payment) -> None:
    async_task("billing.tasks.send_receipt", payment.pk)
    for product in fulfilment.products_of(payment.invoice_id):
        if product.access != Product.Access.NONE:
            async_task("billing.tasks.grant_access", payment.pk, product.pk)
        if product.delivery_email:
            async_task("billing.tasks.deliver", payment.pk, product.pk)
    _commissions(payment.invoice_id, payment.pk)


def _payments_received(payments: list[Payment]) -> None:
    invoice_ids = {payment.invoice_id for payment in payments}
    products = fulfilment.products_of_invoices(invoice_ids)
    referred = Invoice.objects.filter(pk__in=invoice_ids, contact__referred_by__isnull=False)
    staked = set(referred.values_list("pk", flat=True))
    staked |= set(
        Commission.objects.filter(invoice_id__in=invoice_ids).values_list("invoice_id", flat=True)
    )
    async_task("billing.tasks.send_receipts", [payment.pk for payment in payments])
    for payment in payments:
        for product in products.get(payment.invoice_id, []):
            if product.access != Product.Access.NONE:
                async_task("billing.tasks.grant_access", payment.pk, product.pk)
            if product.delivery_email:
                async_task("billing.tasks.deliver", payment.pk, product.pk)
        if payment.invoice_id in staked:
            async_task("billing.tasks.recompute_commissions", payment.invoice_id, payment.pk)


def _refund_succeeded(refund: Refund) -> None:
    async_task("billing.tasks.send_refund_confirmation", refund.pk)
    async_task("billing.tasks.revoke_access_for_refund", refund.payment_id)
    payment = Payment.objects.only("invoice_id").get(pk=refund.payment_id)
    _commissions(payment.invoice_id, payment.pk)


def _invoice_paid(invoice: Invoice) -> None:
    # A replacement is paid by payments moved from the voided invoice: no payment follow-up.
    if invoice.replaces_id:
        _commissions(invoice.pk)


def _invoice_voided(invoice: Invoice) -> None:
    async_task("billing.tasks.revoke_access_for_void", invoice.pk)
    _commissions(invoice.pk)


def _commissions(invoice_id: int, payment_id: int | None = None) -> None:
    # Skip the queue for the many invoices no partner has a stake in.
    referred = Invoice.objects.filter(pk=invoice_id, contact__referred_by__isnull=False)
    if referred.exists() or Commission.objects.filter(invoice_id=invoice_id).exists():
        async_task("billing.tasks.recompute_commissions", invoice_id, payment_id)
