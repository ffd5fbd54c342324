"""The set-based invariant checks find what they look for, each naming the row it breaks.

The books are broken here by hand, on purpose: no action can break them."""

from decimal import Decimal

from djmoney.money import Money

from billing.actions import refund_payment
from billing.invariants import (
    audited,
    breaches,
    invoice_balances,
    refunds_within_captured,
    unbalanced_journals,
)
from billing.models import Account, Invoice, LedgerEntry, Payment


def test_books_made_by_the_actions_pass_every_check(paid_invoice, manager):
    payment = paid_invoice.payments.get()
    refund_payment(payment, amount=Money("30.00", "USD"), actor=manager, reason="part back")
    assert breaches() == []


def test_a_settled_invoice_marked_open_is_named(paid_invoice):
    Invoice.objects.filter(pk=paid_invoice.pk).update(status=Invoice.Status.OPEN)
    assert list(invoice_balances()) == [f"invoice {paid_invoice.pk} is open with nothing due"]


def test_an_open_invoice_marked_paid_is_named(declined_invoice):
    invoice = declined_invoice
    Invoice.objects.filter(pk=invoice.pk).update(status=Invoice.Status.PAID)
    assert list(invoice_balances()) == [f"invoice {invoice.pk} is paid with 100.000 still due"]


def test_a_refund_count_that_drifted_is_named(paid_invoice):
    payment = paid_invoice.payments.get()
    Payment.objects.filter(pk=payment.pk).update(amount_refunded=Decimal("1.00"))
    assert list(refunds_within_captured()) == [
        f"payment {payment.pk}: amount_refunded 1.000 USD but refunds hold 0.000"
    ]


def test_an_entry_that_unbalances_its_journal_is_named(paid_invoice):
    journal = paid_invoice.journals.get(kind="payment_captured")
    LedgerEntry.objects.create(
        journal=journal, account=Account.REVENUE, contact=paid_invoice.contact,
        invoice=paid_invoice, amount=Money("0.01", "USD"),
    )  # fmt: skip
    assert list(unbalanced_journals()) == [f"journal {journal.pk} sums to 0.010 USD"]
    # Balanced again before the test ends: the ledger's trigger checks at teardown too.
    LedgerEntry.objects.create(
        journal=journal, account=Account.REVENUE, contact=paid_invoice.contact,
        invoice=paid_invoice, amount=Money("-0.01", "USD"),
    )  # fmt: skip
    assert list(unbalanced_journals()) == []


def test_an_invoice_without_an_audit_event_is_named(contact):
    invoice = Invoice.objects.create(contact=contact, currency="USD", issued_at=contact.created_at)
    assert list(audited()) == [f"Invoice {invoice.pk} has no audit event"]
