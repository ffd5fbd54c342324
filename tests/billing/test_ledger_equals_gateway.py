"""The ledger equals the gateway (DESIGN invariant 10): a charge is sent only while its row is
claimable, a capture the gateway reports is never dropped, and verify_ledger compares the two."""

import datetime as dt

import pytest
from django.core import mail
from django.core.management import call_command
from django.core.management.base import CommandError

from billing.actions import SaleLine, charge_sale, mark_invoice_paid
from billing.gateways.sandbox import SandboxGateway
from billing.invariants import breaches
from billing.models import Invoice, Payment, Refund, SandboxTransaction
from billing.steps import charging
from billing.tasks import reconcile_pending
from core import clock, money
from core.models import AuditEvent
from tests.helpers import usd


def later():
    return clock.now() + dt.timedelta(minutes=5)


def send_behind_the_books(payment: Payment):
    """What a stalled sender does when it wakes: call the gateway with the row's key."""
    return SandboxGateway().charge(
        customer=payment.contact.gateway_customer,
        card=payment.payment_method.token,
        amount_minor=money.to_minor_units(payment.amount),
        currency=str(payment.amount.currency),
        idempotency_key=payment.idempotency_key,
        description="late",
    )


def paid_otherwise(payment: Payment, manager) -> None:
    """The invoice gets paid by other money while its charge is stranded. The rep actions wait
    for a charge in flight, so the row is stepped aside for the moment the payment is taken."""
    rows = Payment.objects.filter(pk=payment.pk)
    rows.update(status=Payment.Status.FAILED)
    mark_invoice_paid(payment.invoice, method="cash", actor=manager, reason="paid at the desk")
    rows.update(status=Payment.Status.UNKNOWN)


@pytest.fixture
def stranded(contact, card, product, rep, monkeypatch):
    """A sale whose charge was recorded pending and never sent (its sender died)."""
    monkeypatch.setattr(charging, "claim", lambda payment, now=None: False)
    invoice = charge_sale(contact, lines=[SaleLine(product)], payment_method=card, actor=rep)
    monkeypatch.undo()
    payment = invoice.payments.get()
    assert payment.status == Payment.Status.PENDING
    return payment


def test_verify_ledger_fails_when_a_capture_is_missing_from_the_ledger(stranded):
    send_behind_the_books(stranded)
    # The old reconcile's verdict, which made the ledger disagree with the gateway.
    Payment.objects.filter(pk=stranded.pk).update(status=Payment.Status.FAILED)

    with pytest.raises(CommandError):
        call_command("verify_ledger")
    found = breaches(include_card_scan=False)
    assert any(f"under {stranded.idempotency_key}" in b for b in found)
    assert any(f"contact {stranded.contact_id}: the gateway captured 100" in b for b in found)


def test_verify_ledger_fails_when_the_ledger_records_a_capture_the_gateway_never_made(
    contact, card, product, rep
):
    invoice = charge_sale(contact, lines=[SaleLine(product)], payment_method=card, actor=rep)
    SandboxTransaction.objects.filter(
        idempotency_key=invoice.payments.get().idempotency_key
    ).delete()
    assert any("captured nothing" in b for b in breaches(include_card_scan=False))


def test_a_row_someone_else_settled_is_never_sent(stranded):
    Payment.objects.filter(pk=stranded.pk).update(status=Payment.Status.NOT_SENT)
    assert charging.charge_now(stranded, actor=None).status == Payment.Status.NOT_SENT
    assert not SandboxTransaction.objects.exists()


def test_a_live_lease_keeps_reconcile_away_and_an_expired_one_does_not(stranded):
    assert charging.claim(stranded)
    assert not charging.claim(stranded)  # the sender's lease is live
    assert reconcile_pending(now=clock.now()) == {"payments": 0, "refunds": 0}
    assert reconcile_pending(now=later()) == {"payments": 1, "refunds": 0}
    assert SandboxTransaction.objects.get().idempotency_key == stranded.idempotency_key


def test_a_stranded_charge_whose_invoice_was_paid_otherwise_is_given_up_without_a_decline(
    stranded, manager
):
    paid_otherwise(stranded, manager)

    reconcile_pending(now=later())

    stranded.refresh_from_db()
    assert stranded.status == Payment.Status.NOT_SENT
    assert stranded.decline_code == ""
    assert not SandboxTransaction.objects.exists()
    assert AuditEvent.objects.filter(action="payment.not_sent").count() == 1
    assert breaches(include_card_scan=False) == []


def test_a_capture_after_the_row_was_given_up_is_recorded_and_the_overpayment_refunded(
    stranded, manager, django_capture_on_commit_callbacks
):
    manager.email = "max@example.com"
    manager.save(update_fields=["email"])
    paid_otherwise(stranded, manager)
    reconcile_pending(now=later())
    mail.outbox.clear()

    # The stalled sender wakes up and its call goes through.
    result = send_behind_the_books(stranded)
    with django_capture_on_commit_callbacks(execute=True):
        charging.settle_charge(stranded, result)

    stranded.refresh_from_db()
    assert stranded.status == Payment.Status.SUCCEEDED
    refund = Refund.objects.get(payment=stranded)
    assert (refund.overpayment, refund.status, refund.amount) == (
        True,
        Refund.Status.SUCCEEDED,
        usd("100.00"),
    )
    assert refund.idempotency_key == f"payment:{stranded.pk}:overpaid"
    assert SandboxTransaction.objects.filter(kind="refund").count() == 1
    assert AuditEvent.objects.filter(action="payment.overpaid", subject_id=stranded.pk).exists()
    assert [m.to for m in mail.outbox if "paid twice" in m.subject] == [["max@example.com"]]
    invoice = Invoice.objects.get(pk=stranded.invoice_id)
    assert invoice.status == Invoice.Status.PAID
    assert breaches(include_card_scan=False) == []
    call_command("verify_ledger")


def test_reconcile_records_a_capture_whose_stalled_sender_died_after_it_was_given_up(
    stranded, manager, django_capture_on_commit_callbacks
):
    paid_otherwise(stranded, manager)
    reconcile_pending(now=later())
    send_behind_the_books(stranded)  # and then the sender dies without recording it
    assert any("is not_sent" in b for b in breaches(include_card_scan=False))

    with django_capture_on_commit_callbacks(execute=True):
        reconcile_pending(now=later())

    stranded.refresh_from_db()
    assert stranded.status == Payment.Status.SUCCEEDED
    assert Refund.objects.get(payment=stranded).status == Refund.Status.SUCCEEDED
    assert breaches(include_card_scan=False) == []
