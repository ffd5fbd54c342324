import datetime as dt

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from djmoney.money import Money

from billing.actions import SaleLine, charge_sale, refund_payment
from billing.gateways import sandbox
from billing.invariants import breaches
from billing.models import Account, Invoice, LedgerEntry, Payment, Refund, SandboxTransaction
from billing.tasks import reconcile_pending
from core import clock


def later():
    return clock.now() + dt.timedelta(minutes=5)


def test_a_charge_whose_answer_is_lost_is_unknown_then_reconciled_once(contact, card, product, rep):
    sandbox.inject_timeout("after")
    invoice = charge_sale(contact, lines=[SaleLine(product)], payment_method=card, actor=rep)

    payment = invoice.payments.get()
    assert payment.status == Payment.Status.UNKNOWN
    assert invoice.status == Invoice.Status.OPEN
    assert SandboxTransaction.objects.filter(kind="charge").count() == 1

    assert reconcile_pending(now=later()) == {"payments": 1, "refunds": 0}
    payment.refresh_from_db()
    invoice.refresh_from_db()
    assert payment.status == Payment.Status.SUCCEEDED
    assert invoice.status == Invoice.Status.PAID
    assert SandboxTransaction.objects.filter(kind="charge").count() == 1
    assert breaches() == []


def test_a_charge_lost_before_the_gateway_is_sent_again_under_its_key_not_declined(
    contact, card, product, rep
):
    sandbox.inject_timeout("before")
    invoice = charge_sale(contact, lines=[SaleLine(product)], payment_method=card, actor=rep)
    assert not SandboxTransaction.objects.exists()
    reconcile_pending(now=later())
    payment = invoice.payments.get()
    invoice.refresh_from_db()
    assert payment.status == Payment.Status.SUCCEEDED
    assert invoice.status == Invoice.Status.PAID
    assert SandboxTransaction.objects.get().idempotency_key == payment.idempotency_key
    assert breaches() == []


def test_reconcile_leaves_young_pending_charges_alone(contact, card, product, rep):
    sandbox.inject_timeout("after")
    charge_sale(contact, lines=[SaleLine(product)], payment_method=card, actor=rep)
    assert reconcile_pending(now=clock.now()) == {"payments": 0, "refunds": 0}


def test_an_unknown_charge_blocks_another_charge_on_the_invoice(contact, card, product, rep):
    from billing import errors
    from billing.actions import retry_invoice

    sandbox.inject_timeout("after")
    invoice = charge_sale(contact, lines=[SaleLine(product)], payment_method=card, actor=rep)
    with pytest.raises(errors.ChargeInProgress):
        retry_invoice(invoice, payment_method=card, actor=rep)
    assert SandboxTransaction.objects.count() == 1


def test_a_refund_whose_answer_is_lost_keeps_its_reservation_until_reconciled(
    contact, card, product, rep
):
    invoice = charge_sale(contact, lines=[SaleLine(product)], payment_method=card, actor=rep)
    payment = invoice.payments.get()
    sandbox.inject_timeout("after")
    refund = refund_payment(payment, actor=rep, reason="returned")
    assert refund.status == Refund.Status.UNKNOWN
    from billing import errors

    with pytest.raises(errors.InvalidAmount):
        refund_payment(payment, actor=rep, reason="again")

    assert reconcile_pending(now=later()) == {"payments": 0, "refunds": 1}
    refund.refresh_from_db()
    assert refund.status == Refund.Status.SUCCEEDED
    assert SandboxTransaction.objects.filter(kind="refund").count() == 1
    assert breaches() == []


def test_verify_ledger_passes_on_clean_books_and_names_a_broken_journal(
    contact, card, product, rep
):
    charge_sale(contact, lines=[SaleLine(product)], payment_method=card, actor=rep)
    call_command("verify_ledger")

    # Break the books the way only code bypassing ledger.post could: the database refuses an
    # unbalanced journal at commit, and this test never commits.
    entry = LedgerEntry.objects.first()
    stray = {"journal_id": entry.journal_id, "account": Account.CASH}
    LedgerEntry.objects.create(**stray, amount=Money("1", "USD"))
    with pytest.raises(CommandError):
        call_command("verify_ledger")
    assert any(f"journal {entry.journal_id}" in b for b in breaches())
    # Mend it, or the teardown's constraint check fails.
    LedgerEntry.objects.create(**stray, amount=Money("-1", "USD"))
