"""The invariants of DESIGN.md as queries. Each check yields breaches naming the rows.

Used by `manage.py verify_ledger` and by the tests after every step of a random run.
"""

from collections import defaultdict
from collections.abc import Iterator
from decimal import Decimal

from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.db import connection, models
from django.db.models import Exists, OuterRef, Sum

from billing import invariant_queries
from billing.gateways import get_gateway
from billing.models import Account, Dispute, Invoice, LedgerEntry, Payment, Refund
from billing.selectors import with_amounts
from core import money
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
    """Amount due (receivable) = total - payments and credit applied, >= 0; 0 unless open;
    and no invoice totals below zero."""
    for pk, status, total, due, expected, credit in invariant_queries.rows(
        invariant_queries.INVOICE_AMOUNTS
    ):
        if total < 0:
            yield f"invoice {pk}: total {total} is below zero"
        if credit < 0:
            yield f"invoice {pk}: more credit released than was applied"
        if due != expected:
            yield f"invoice {pk}: receivable {due} but documents say {expected}"
        if due < 0:
            yield f"invoice {pk}: amount due {due} is below zero"
        if status != Invoice.Status.OPEN and due != 0:
            yield f"invoice {pk} is {status} with {due} still due"
        if status == Invoice.Status.OPEN and due == 0 and total > 0:
            yield f"invoice {pk} is open with nothing due"


def refunds_within_captured() -> Iterator[str]:
    for pk, status, currency, amount, refunded, held in invariant_queries.rows(
        invariant_queries.REFUNDS_HELD
    ):
        if held > amount:
            yield f"payment {pk}: refunds {held} exceed the {amount} {currency} captured"
        if held != refunded:
            yield f"payment {pk}: amount_refunded {refunded} {currency} but refunds hold {held}"
        if held and status != Payment.Status.SUCCEEDED:
            yield f"payment {pk} is {status} yet has refunds"


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


def credit_balances() -> Iterator[str]:
    """A contact's credit lives in the ledger (DESIGN invariant 9): never below zero, always a
    contact's, and spent only on that contact's invoices."""
    credit = LedgerEntry.objects.filter(account=Account.CREDIT)
    for pk in credit.filter(contact__isnull=True).values_list("pk", flat=True):
        yield f"ledger entry {pk}: credit that belongs to no contact"
    overdrawn = (
        credit.values("contact_id", "amount_currency").annotate(s=Sum("amount")).filter(s__gt=0)
    )
    for row in overdrawn:
        yield (
            f"contact {row['contact_id']}: credit {-row['s']} {row['amount_currency']} "
            "is below zero"
        )
    elsewhere = credit.filter(invoice__isnull=False).exclude(
        contact_id=models.F("invoice__contact_id")
    )
    for pk in elsewhere.values_list("pk", flat=True):
        yield f"ledger entry {pk}: one contact's credit spent on another's invoice"


def ledger_matches_gateway() -> Iterator[str]:
    """DESIGN invariant 10: every capture and refund the gateway made is in the ledger exactly
    once, the ledger holds none the gateway did not make, and no invoice (so no order period)
    kept more than it asked.

    Each gateway in use lists what it did (`Gateway.transactions`); its keys map back to the
    payments and refunds that sent them, and through them to their contacts and invoices. Charges still in
    flight are left out (reconcile settles them). Gateway transactions under keys Paydesk never
    issued (another system on the same account) are not Paydesk's to judge."""
    # Cash is compared per contact and currency: a replaced invoice carries its payments to
    # the new invoice, while their capture journals stay with the voided one.
    cash = LedgerEntry.objects.filter(account=Account.CASH)
    booked_in = _by_contact(cash.filter(journal__kind="payment_captured"))
    # A refund the gateway failed after it succeeded is reversed ("refund_reversed"): the
    # gateway lists it as failed, so the ledger nets it out too.
    booked_out = _by_contact(
        cash.filter(journal__kind__in=["refund", "overpayment_refunded", "refund_reversed"])
    )
    made_in: dict[tuple[int, str], Decimal] = defaultdict(Decimal)
    made_out: dict[tuple[int, str], Decimal] = defaultdict(Decimal)
    kept: dict[int, Decimal] = defaultdict(Decimal)
    gateways = Payment.objects.filter(method=Payment.Method.CARD).values_list("gateway", flat=True)
    for name in sorted(set(gateways)):
        payments = {
            p.idempotency_key: p
            for p in Payment.objects.filter(gateway=name, method=Payment.Method.CARD)
            .exclude(idempotency_key=None)
            .select_related("invoice")
        }
        refunds = {
            r.idempotency_key: r
            for r in Refund.objects.filter(payment__gateway=name, settle=Refund.Settle.GATEWAY)
            .exclude(idempotency_key=None)
            .select_related("payment")
        }
        captured = set()
        for txn in get_gateway(name).transactions():
            if txn.status != "succeeded":
                continue
            amount = money.from_minor_units(txn.amount_minor, txn.currency).amount
            if txn.kind == "charge" and txn.idempotency_key in payments:
                payment = payments[txn.idempotency_key]
                captured.add(payment.pk)
                if payment.status in (Payment.Status.PENDING, Payment.Status.UNKNOWN):
                    continue  # in flight: reconcile's to settle
                made_in[payment.contact_id, txn.currency] += amount
                kept[payment.invoice_id] += amount
                if payment.status != Payment.Status.SUCCEEDED:
                    yield (
                        f"the gateway captured {amount} {txn.currency} under {txn.idempotency_key} "
                        f"but payment {payment.pk} is {payment.status}"
                    )
            elif txn.kind == "refund" and txn.idempotency_key in refunds:
                refund = refunds[txn.idempotency_key]
                made_out[refund.payment.contact_id, txn.currency] += amount
                if refund.overpayment:
                    kept[refund.payment.invoice_id] -= amount
        for key, payment in payments.items():
            if payment.status == Payment.Status.SUCCEEDED and payment.pk not in captured:
                yield f"payment {payment.pk} succeeded but the gateway captured nothing under {key}"
    for key in sorted(set(made_in) | set(booked_in)):
        if made_in.get(key, 0) != booked_in.get(key, 0):
            yield (
                f"contact {key[0]}: the gateway captured {made_in.get(key, 0)} {key[1]} but the "
                f"ledger records {booked_in.get(key, 0)}"
            )
    for key in sorted(set(made_out) | set(booked_out)):
        if made_out.get(key, 0) != -booked_out.get(key, 0):
            yield (
                f"contact {key[0]}: the gateway refunded {made_out.get(key, 0)} {key[1]} but the "
                f"ledger records {-booked_out.get(key, 0)}"
            )
    for inv in with_amounts(Invoice.objects.filter(pk__in=list(kept))):
        if kept[inv.pk] > inv.total_amount:
            period = f" (order {inv.order_id} period {inv.period})" if inv.order_id else ""
            yield (
                f"invoice {inv.number}{period}: the gateway kept {kept[inv.pk]} for a total of "
                f"{inv.total_amount}"
            )


def disputed_funds() -> Iterator[str]:
    """Money in `disputed` is exactly what open disputes have had withdrawn: a won dispute got
    it back, a lost one moved it to `chargebacks`. Per contact and currency (a replaced
    invoice takes its payments, not their journals, to the new one)."""
    booked = LedgerEntry.objects.filter(account=Account.DISPUTED)
    rows = booked.values("contact_id", "amount_currency").annotate(s=Sum("amount"))
    held = {(row["contact_id"], row["amount_currency"]): row["s"] for row in rows}
    expected: dict[tuple[int, str], Decimal] = defaultdict(Decimal)
    open_ = Dispute.objects.filter(status=Dispute.Status.OPEN, reinstatement_ref="").exclude(
        withdrawal_ref=""
    )
    for dispute in open_.select_related("payment"):
        expected[dispute.payment.contact_id, str(dispute.amount.currency)] += dispute.amount.amount
    for key in sorted(set(held) | set(expected)):
        if held.get(key, 0) != expected.get(key, 0):
            yield (
                f"contact {key[0]}: {held.get(key, 0)} {key[1]} held in disputes but open "
                f"disputes withdrew {expected.get(key, 0)}"
            )


def _by_contact(entries: models.QuerySet) -> dict[tuple[int, str], Decimal]:
    rows = entries.values("journal__contact_id", "amount_currency").annotate(s=Sum("amount"))
    return {(row["journal__contact_id"], row["amount_currency"]): row["s"] for row in rows}


def audited() -> Iterator[str]:
    """Every invoice, payment and refund has at least one audit event with an action."""
    for model in (Invoice, Payment, Refund):
        ct = ContentType.objects.get_for_model(model)
        seen = AuditEvent.objects.filter(subject_type=ct, subject_id=OuterRef("pk"))
        for pk in model.objects.filter(~Exists(seen)).values_list("pk", flat=True):
            yield f"{model.__name__} {pk} has no audit event"


def card_numbers() -> Iterator[str]:
    """No Luhn-valid run of 13-19 digits in any text column of any table.

    The tests run this after each test, over some 400 columns of 100 tables: on PostgreSQL one
    statement reads each table once, its regex keeping only rows with a long digit run in some
    column, and Python's Luhn check decides."""
    tables = [
        (model._meta.db_table, columns)
        for model in apps.get_models()
        if not model._meta.proxy
        and (
            columns := [
                field.column
                for field in model._meta.concrete_fields
                if isinstance(field, models.CharField | models.TextField | models.JSONField)
            ]
        )
    ]
    quote = connection.ops.quote_name
    if connection.vendor == "postgresql":
        # The separator is not in the regex's class, so no run spans two columns.
        selects = [
            f"SELECT {i}, ARRAY[{', '.join(f'{quote(c)}::text' for c in columns)}]"
            f" FROM {quote(table)}"
            f" WHERE concat_ws('|', {', '.join(f'{quote(c)}::text' for c in columns)})"
            " ~ '[0-9][0-9 -]{11,}[0-9]'"
            for i, (table, columns) in enumerate(tables)
        ]
        with connection.cursor() as cursor:
            cursor.execute(" UNION ALL ".join(selects))
            rows = cursor.fetchall()
    else:
        rows = []
        for i, (table, columns) in enumerate(tables):
            listed = ", ".join(f"CAST({quote(c)} AS TEXT)" for c in columns)
            with connection.cursor() as cursor:
                cursor.execute(f"SELECT {listed} FROM {quote(table)}")
                rows.extend((i, list(values)) for values in cursor.fetchall())
    for i, values in rows:
        table, columns = tables[i]
        for column, value in zip(columns, values, strict=True):
            if value is not None and holds_card_number(value):
                yield f"{table}.{column} holds a card-like number"


CHECKS = {
    "journals balance per currency": unbalanced_journals,
    "invoice amount due matches its documents": invoice_balances,
    "refunds within captured": refunds_within_captured,
    "contact balance equals open invoices": contact_balances,
    "credit in the ledger, never below zero": credit_balances,
    "ledger equals the gateway": ledger_matches_gateway,
    "disputed funds match open disputes": disputed_funds,
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
