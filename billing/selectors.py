"""Reads of money state. Amounts come from the ledger, never from a stored running total."""

from collections import defaultdict
from decimal import Decimal

from django.db.models import DecimalField, OuterRef, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from djmoney.money import Money

from billing.models import Account, ApprovalRequest, Invoice, InvoiceLine, LedgerEntry, Payment

_DEC = DecimalField(max_digits=19, decimal_places=3)


def _sum(qs: QuerySet, field: str = "amount") -> Decimal:
    return qs.aggregate(total=Coalesce(Sum(field), Value(Decimal(0)), output_field=_DEC))["total"]


def account_balance(invoice: Invoice, account: Account) -> Money:
    entries = LedgerEntry.objects.filter(invoice=invoice, account=account)
    return Money(_sum(entries), invoice.currency)


def amount_due(invoice: Invoice) -> Money:
    return account_balance(invoice, Account.RECEIVABLE)


def amounts_due(invoice_ids: list[int]) -> dict[int, Decimal]:
    """`amount_due` of many invoices in one query (the sweeps' batches), by invoice id."""
    rows = (
        LedgerEntry.objects.filter(invoice_id__in=invoice_ids, account=Account.RECEIVABLE)
        .values_list("invoice_id")
        .annotate(total=Sum("amount"))
    )
    return defaultdict(Decimal, rows)


def invoice_total(invoice: Invoice) -> Money:
    return Money(_sum(InvoiceLine.objects.filter(invoice=invoice)), invoice.currency)


def amount_paid(invoice: Invoice) -> Money:
    captured = Payment.objects.filter(invoice=invoice, status=Payment.Status.SUCCEEDED)
    return Money(_sum(captured), invoice.currency)


def amount_refunded(invoice: Invoice) -> Money:
    captured = Payment.objects.filter(invoice=invoice, status=Payment.Status.SUCCEEDED)
    return Money(_sum(captured, "amount_refunded"), invoice.currency)


def contact_books(contact) -> tuple[dict[str, Money], dict[str, Money]]:
    """(balances, credits) per currency, from one read of the contact's receivable and credit
    entries: what the contact owes, and what Paydesk owes the contact to spend or refund.

    The credit account is a liability: its entries sum to zero or below, so the credit is
    their negation."""
    rows = (
        LedgerEntry.objects.filter(
            contact=contact, account__in=(Account.RECEIVABLE, Account.CREDIT)
        )
        .values("account", "amount_currency")
        .annotate(total=Sum("amount"))
        .order_by("amount_currency")
    )
    balances, credits = {}, {}
    for r in rows:
        currency = r["amount_currency"]
        if r["account"] == Account.RECEIVABLE:
            balances[currency] = Money(r["total"], currency)
        else:
            credits[currency] = Money(-r["total"], currency)
    return balances, credits


def contact_balances(contact) -> dict[str, Money]:
    return contact_books(contact)[0]


def contact_credits(contact) -> dict[str, Money]:
    """What Paydesk owes the contact to spend or refund, per currency (positive amounts)."""
    return contact_books(contact)[1]


def credit_balance(contact, currency: str) -> Money:
    entries = LedgerEntry.objects.filter(
        contact=contact, account=Account.CREDIT, amount_currency=currency
    )
    return Money(-_sum(entries), currency)


def credit_applied(invoice: Invoice) -> Money:
    """Credit spent on this invoice (and not released by a void)."""
    return account_balance(invoice, Account.CREDIT)


def _subquery_sum(qs: QuerySet, field: str = "amount") -> Subquery:
    summed = qs.order_by().values("invoice").annotate(s=Sum(field)).values("s")
    return Coalesce(Subquery(summed, output_field=_DEC), Value(Decimal(0)), output_field=_DEC)


def with_amounts(invoices: QuerySet[Invoice]) -> QuerySet[Invoice]:
    """Annotate total, due, paid and refunded (Decimals in the invoice currency) in one query."""
    receivable = LedgerEntry.objects.filter(invoice=OuterRef("pk"), account=Account.RECEIVABLE)
    captured = Payment.objects.filter(invoice=OuterRef("pk"), status=Payment.Status.SUCCEEDED)
    return invoices.annotate(
        total_amount=_subquery_sum(InvoiceLine.objects.filter(invoice=OuterRef("pk"))),
        due_amount=_subquery_sum(receivable),
        paid_amount=_subquery_sum(captured),
        refunded_amount=_subquery_sum(captured, "amount_refunded"),
    )


def approval_queue(*, shown: int = 100) -> dict:
    """The managers' queue: the oldest pending requests first (and how many wait), and the
    latest decided."""
    qs = ApprovalRequest.objects.select_related("contact", "requested_by", "decided_by")
    pending = qs.filter(status=ApprovalRequest.Status.PENDING)
    ended = qs.exclude(status=ApprovalRequest.Status.PENDING).order_by("-decided_at", "-pk")
    return {
        "pending": list(pending.order_by("created_at", "pk")[:shown]),
        "waiting": pending.count(),
        "decided": list(ended[:20]),
    }
