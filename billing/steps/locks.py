"""Row locks, always taken in one order: a manager's approval request (before the rows its
action changes), contact, order, invoice, payment, refund, dispute, and last a contact's credit
account.

Taking them in a fixed order is what keeps two actions on the same records from deadlocking.
"""

import datetime as dt
from typing import NamedTuple

from django.db import connection
from django.db.models import Model, Q, QuerySet

from billing.models import ApprovalRequest, Dispute, Invoice, Order, Payment, Refund


def _lock(qs: QuerySet, pk: int) -> Model:
    return qs.select_for_update(of=("self",)).get(pk=pk)


def lock_approval(pk: int) -> ApprovalRequest:
    related = ("contact", "requested_by", "payment__invoice", "invoice", "order")
    return _lock(ApprovalRequest.objects.select_related(*related), pk)


def lock_order(pk: int) -> Order:
    return _lock(Order.objects.select_related("contact"), pk)


def lock_orders_of(invoice_id: int) -> list[Order]:
    """The orders an invoice bills: its own period's order, or those its sale opened."""
    own = Invoice.objects.filter(pk=invoice_id).values("order_id")
    related = Q(source_invoice_id=invoice_id) | Q(pk__in=own)
    return list(Order.objects.filter(related).order_by("pk").select_for_update(of=("self",)))


class OrderRow(NamedTuple):
    pk: int
    status: str
    kind: str
    next_charge_on: dt.date | None
    source_invoice_id: int | None


class InvoiceRow(NamedTuple):
    pk: int
    status: str
    order_id: int | None
    replaces_id: int | None


class Batch(NamedTuple):
    """What a sweep's batch reads under its locks: the orders its invoices bill, its invoices
    by pk and its payments' statuses by pk."""

    orders: list[OrderRow]
    invoices: dict[int, InvoiceRow]
    payment_statuses: dict[int, str]


def lock_batch(invoice_ids: list[int], payment_ids: list[int]) -> Batch:
    """Lock a batch's rows as `lock_orders_of`, `lock_invoice` and `lock_payment` lock one
    charge's: the orders the invoices bill, then the invoices, then the payments, each table
    in pk order. Only the columns a batch decides on are read: the callers hold the rest."""
    invoice_ids = sorted(set(invoice_ids))
    own = Invoice.objects.filter(pk__in=invoice_ids).values("order_id")
    orders = Order.objects.filter(Q(pk__in=own) | Q(source_invoice_id__in=invoice_ids))
    invoices = Invoice.objects.filter(pk__in=invoice_ids)
    payments = Payment.objects.filter(pk__in=sorted(set(payment_ids)))
    return Batch(
        [OrderRow(*row) for row in _locked(orders, OrderRow._fields)],
        {row[0]: InvoiceRow(*row) for row in _locked(invoices, InvoiceRow._fields)},
        dict(_locked(payments, ("pk", "status"))),
    )


def _locked(qs: QuerySet, fields: tuple[str, ...]) -> list[tuple]:
    return list(qs.order_by("pk").select_for_update(of=("self",)).values_list(*fields))


def lock_invoice(pk: int) -> Invoice:
    return _lock(Invoice.objects.select_related("contact"), pk)


def lock_payments(invoice: Invoice) -> list[Payment]:
    return list(invoice.payments.order_by("pk").select_for_update(of=("self",)))


def lock_payment(pk: int) -> Payment:
    return _lock(Payment.objects.all(), pk)


def lock_refund(pk: int) -> Refund:
    return _lock(Refund.objects.all(), pk)


def lock_dispute(pk: int) -> Dispute:
    return _lock(Dispute.objects.all(), pk)


def lock_credit(contact_id: int, currency: str) -> None:
    """Hold a contact's credit in one currency until the transaction ends, so two invoices
    cannot spend the same credit. An advisory lock, not a row: the credit is a ledger account,
    and it is taken after every row lock so it never waits while holding one another needs."""
    if connection.vendor != "postgresql":
        return  # SQLite (the demo) runs one writer at a time
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))",
            [f"credit:{contact_id}:{currency}"],
        )
