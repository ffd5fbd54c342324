"""The invariants of DESIGN.md as queries. Each check yields breaches naming the rows.

Used by `manage.py verify_ledger` and by the tests after every step of a random run.
"""

from collections.abc import Iterator
from decimal import Decimal

from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.db import connection, models
from django.db.models import Count, Q, Sum

from billing.models import Account, Invoice, LedgerEntry, Payment, Refund, SandboxTransaction
from billing.selectors import with_amounts
from core.models import AuditEvent
from core.validators import holds_card_number


def unbalanced_journals() -> Iterator[str]:
    rows = (
        LedgerEntry.objects.values("journal_id", "amount_currency")
        .annotate(total=Sum("amount"))
        .exclude(total=0)
    )
    for row in rows:
        yield f"journal {row['journal_id']} sums to {row['total']} {row['amount_currency']}"


def invoice_balances() -> Iterator[str]:
    """Amount due (receivable) = total - payments applied, >= 0; 0 unless open."""
    written = LedgerEntry.objects.filter(account=Account.BAD_DEBT)
    bad_debt = dict(
        written.values("invoice_id").annotate(s=Sum("amount")).values_list("invoice_id", "s")
    )
    void_rev = LedgerEntry.objects.filter(journal__kind="invoice_voided", account=Account.REVENUE)
    voided = dict(
        void_rev.values("invoice_id").annotate(s=Sum("amount")).values_list("invoice_id", "s")
    )
    for inv in with_amounts(Invoice.objects.all()).iterator(chunk_size=2000):
        due = inv.due_amount
        expected = (
            inv.total_amount
            - inv.paid_amount
            - bad_debt.get(inv.pk, Decimal(0))
            - voided.get(inv.pk, Decimal(0))
        )
        if due != expected:
            yield f"invoice {inv.pk}: receivable {due} but documents say {expected}"
        if due < 0:
            yield f"invoice {inv.pk}: amount due {due} is below zero"
        if inv.status != Invoice.Status.OPEN and due != 0:
            yield f"invoice {inv.pk} is {inv.status} with {due} still due"
        if inv.status == Invoice.Status.OPEN and due == 0 and inv.total_amount > 0:
            yield f"invoice {inv.pk} is open with nothing due"


def refunds_within_captured() -> Iterator[str]:
    for p in Payment.objects.annotate(
        held=Sum("refunds__amount", filter=~Q(refunds__status=Refund.Status.FAILED))
    ).iterator(chunk_size=2000):
        held = p.held or Decimal(0)
        if held > p.amount.amount:
            yield f"payment {p.pk}: refunds {held} exceed the {p.amount} captured"
        if held != p.amount_refunded.amount:
            yield f"payment {p.pk}: amount_refunded {p.amount_refunded} but refunds hold {held}"
        if held and p.status != Payment.Status.SUCCEEDED:
            yield f"payment {p.pk} is {p.status} yet has refunds"


def contact_balances() -> Iterator[str]:
    receivable = LedgerEntry.objects.filter(account=Account.RECEIVABLE)
    by_contact = receivable.values("contact_id", "amount_currency").annotate(s=Sum("amount"))
    by_invoice = (
        receivable.filter(invoice__status=Invoice.Status.OPEN)
        .values("invoice__contact_id", "amount_currency")
        .annotate(s=Sum("amount"))
    )
    open_due = {(r["invoice__contact_id"], r["amount_currency"]): r["s"] for r in by_invoice}
    for row in by_contact:
        key = (row["contact_id"], row["amount_currency"])
        if row["s"] != open_due.get(key, Decimal(0)):
            yield (
                f"contact {key[0]}: balance {row['s']} {key[1]} but open invoices owe "
                f"{open_due.get(key, 0)}"
            )
    mismatched = receivable.exclude(contact_id=models.F("invoice__contact_id"))
    for entry in mismatched.values_list("pk", flat=True):
        yield f"ledger entry {entry}: receivable of one contact on another's invoice"


def gateway_keys_used_once() -> Iterator[str]:
    charged = (
        SandboxTransaction.objects.values("idempotency_key").annotate(n=Count("pk")).filter(n__gt=1)
    )
    for row in charged:
        yield f"gateway key {row['idempotency_key']} used {row['n']} times"
    for model in (Payment, Refund):
        key_counts = model.objects.exclude(idempotency_key=None).values("idempotency_key")
        for row in key_counts.annotate(n=Count("pk")).filter(n__gt=1):
            yield f"{model.__name__} key {row['idempotency_key']} used {row['n']} times"


def audited() -> Iterator[str]:
    """Every invoice, payment and refund has at least one audit event with an action."""
    for model in (Invoice, Payment, Refund):
        ct = ContentType.objects.get_for_model(model)
        seen = AuditEvent.objects.filter(subject_type=ct).values("subject_id")
        for pk in model.objects.exclude(pk__in=seen).values_list("pk", flat=True):
            yield f"{model.__name__} {pk} has no audit event"


def card_numbers() -> Iterator[str]:
    """No Luhn-valid run of 13-19 digits in any text column of any table."""
    for model in apps.get_models():
        columns = [
            f.column
            for f in model._meta.concrete_fields
            if isinstance(f, models.CharField | models.TextField | models.JSONField)
        ]
        if not columns or model._meta.proxy:
            continue
        table = connection.ops.quote_name(model._meta.db_table)
        for column in columns:
            col = connection.ops.quote_name(column)
            if connection.vendor == "postgresql":
                sql = f"SELECT {col}::text FROM {table} WHERE {col}::text ~ '[0-9][0-9 -]{{11,}}[0-9]'"
            else:
                sql = f"SELECT CAST({col} AS TEXT) FROM {table}"
            with connection.cursor() as cursor:
                cursor.execute(sql)
                for (value,) in cursor.fetchall():
                    if holds_card_number(value):
                        yield f"{model._meta.db_table}.{column} holds a card-like number"


CHECKS = {
    "journals balance per currency": unbalanced_journals,
    "invoice amount due matches its documents": invoice_balances,
    "refunds within captured": refunds_within_captured,
    "contact balance equals open invoices": contact_balances,
    "one gateway call per key": gateway_keys_used_once,
    "every change audited": audited,
    "no card numbers stored": card_numbers,
}


def breaches(include_card_scan: bool = True) -> list[str]:
    found = []
    for name, check in CHECKS.items():
        if check is card_numbers and not include_card_scan:
            continue
        found.extend(f"{name}: {breach}" for breach in check())
    return found
