from decimal import Decimal

import pytest
from django.core import mail
from djmoney.money import Money

from billing import errors
from billing.actions import (
    SaleLine,
    add_card,
    charge_sale,
    discount_invoice,
    mark_invoice_paid,
    refund_payment,
    replace_voided_invoice,
    retry_invoice,
    reverse_write_off,
    send_invoice,
    void_invoice,
    write_off_invoice,
)
from billing.invariants import breaches
from billing.models import Invoice, Journal, LedgerEntry, Payment
from billing.selectors import amount_due, contact_balances
from core.models import AuditEvent
from tests.helpers import usd


@pytest.fixture
def declined(contact, manager):
    return add_card(contact, token="pm_card_chargeDeclined", actor=manager, make_default=False)


@pytest.fixture
def open_invoice(contact, declined, product, rep):
    """An unpaid $100 invoice: its card was declined."""
    return charge_sale(contact, lines=[SaleLine(product)], payment_method=declined, actor=rep)


def rows():
    return (Journal.objects.count(), LedgerEntry.objects.count(), AuditEvent.objects.count(),
            Payment.objects.count())  # fmt: skip


def test_it_marks_part_of_an_invoice_paid(open_invoice, rep):
    payment = mark_invoice_paid(
        open_invoice, amount=usd("40"), method="check", reference="CHK-9", actor=rep, reason="mail"
    )
    assert payment.method == "check"
    assert amount_due(open_invoice) == usd("60.00")
    open_invoice.refresh_from_db()
    assert open_invoice.status == Invoice.Status.OPEN

    mark_invoice_paid(open_invoice, method="cash", actor=rep, reason="rest at the desk")
    open_invoice.refresh_from_db()
    assert open_invoice.status == Invoice.Status.PAID
    assert breaches() == []


@pytest.mark.parametrize(
    "amount, error",
    [
        (Money("100.01", "USD"), errors.InvalidAmount),
        (Money("0", "USD"), errors.InvalidAmount),
        (Money("10.001", "USD"), errors.InvalidAmount),
        (Money("10", "EUR"), errors.CurrencyMismatch),
    ],
)
def test_mark_paid_refuses_bad_amounts_and_writes_nothing(open_invoice, rep, amount, error):
    before = rows()
    with pytest.raises(error):
        mark_invoice_paid(open_invoice, amount=amount, method="cash", actor=rep, reason="x")
    assert rows() == before


def test_mark_paid_needs_a_reason(open_invoice, rep):
    with pytest.raises(errors.ReasonRequired) as exc:
        mark_invoice_paid(open_invoice, method="cash", actor=rep, reason="  ")
    assert exc.value.message == errors.REASON_REQUIRED


def test_it_charges_an_open_invoice_again_with_another_card(open_invoice, card, rep):
    payment = retry_invoice(open_invoice, payment_method=card, actor=rep)
    assert payment.status == Payment.Status.SUCCEEDED
    open_invoice.refresh_from_db()
    assert open_invoice.status == Invoice.Status.PAID


def test_charging_a_paid_invoice_again_is_refused(open_invoice, card, rep):
    retry_invoice(open_invoice, payment_method=card, actor=rep)
    with pytest.raises(errors.InvalidTransition):
        retry_invoice(open_invoice, payment_method=card, actor=rep)


def test_it_discounts_by_percent_of_the_total(open_invoice, rep):
    line = discount_invoice(open_invoice, percent=Decimal("12.5"), actor=rep, reason="loyal")
    assert line.amount == usd("-12.50")
    assert amount_due(open_invoice) == usd("87.50")
    assert breaches() == []


def test_a_rep_cannot_discount_above_the_limit_but_a_manager_can(open_invoice, rep, manager):
    before = rows()
    with pytest.raises(errors.AboveRepLimit):
        discount_invoice(open_invoice, percent=Decimal("50"), actor=rep, reason="big")
    assert rows() == before
    discount_invoice(open_invoice, amount=usd("50"), actor=manager, reason="approved")
    assert amount_due(open_invoice) == usd("50.00")


def test_a_discount_above_what_is_due_is_refused(open_invoice, manager):
    with pytest.raises(errors.InvalidAmount, match="still due"):
        discount_invoice(open_invoice, amount=usd("100.01"), actor=manager, reason="x")


def test_a_full_discount_settles_the_invoice(open_invoice, manager):
    discount_invoice(open_invoice, percent=Decimal("100"), actor=manager, reason="goodwill")
    open_invoice.refresh_from_db()
    assert open_invoice.status == Invoice.Status.PAID


def test_it_voids_an_unpaid_invoice(open_invoice, contact, rep):
    void_invoice(open_invoice, actor=rep, reason="entered twice")
    open_invoice.refresh_from_db()
    assert open_invoice.status == Invoice.Status.VOID
    assert amount_due(open_invoice) == usd("0")
    assert contact_balances(contact) == {"USD": usd("0")}
    assert breaches() == []


def test_void_is_refused_while_money_is_captured_then_allowed_after_a_full_refund(
    contact, card, product, rep, manager
):
    invoice = charge_sale(contact, lines=[SaleLine(product)], payment_method=card, actor=rep)
    with pytest.raises(errors.InvalidTransition, match="refund it first"):
        void_invoice(invoice, actor=rep, reason="wrong product")
    refund_payment(invoice.payments.get(), actor=rep, reason="wrong product")
    void_invoice(invoice, actor=rep, reason="wrong product")
    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.VOID
    assert breaches() == []


def test_a_manager_writes_off_and_reverses(open_invoice, contact, manager):
    write_off_invoice(open_invoice, actor=manager, reason="customer unreachable")
    open_invoice.refresh_from_db()
    assert open_invoice.status == Invoice.Status.WRITTEN_OFF
    assert contact_balances(contact) == {"USD": usd("0")}

    reverse_write_off(open_invoice, actor=manager, reason="customer called back")
    open_invoice.refresh_from_db()
    assert open_invoice.status == Invoice.Status.OPEN
    assert amount_due(open_invoice) == usd("100.00")
    assert breaches() == []


def test_a_rep_may_not_write_off(open_invoice, rep):
    before = rows()
    with pytest.raises(errors.NotAllowed):
        write_off_invoice(open_invoice, actor=rep, reason="x")
    assert rows() == before


def test_reversing_a_write_off_on_an_open_invoice_is_refused(open_invoice, manager):
    with pytest.raises(errors.InvalidTransition):
        reverse_write_off(open_invoice, actor=manager, reason="x")


def test_it_replaces_a_paid_invoice_carrying_its_payment(contact, card, product, rep, manager):
    invoice = charge_sale(contact, lines=[SaleLine(product)], payment_method=card, actor=rep)
    payment = invoice.payments.get()
    corrected = replace_voided_invoice(
        invoice,
        lines=[SaleLine(product, unit_price=usd("120"))],
        actor=manager,
        reason="wrong price entered",
    )
    invoice.refresh_from_db()
    payment.refresh_from_db()
    assert invoice.status == Invoice.Status.VOID
    assert payment.invoice == corrected
    assert corrected.replaces == invoice
    assert amount_due(corrected) == usd("20.00")
    assert Payment.objects.filter(method="card").count() == 1
    assert breaches() == []


def test_a_replacement_cheaper_than_what_was_paid_is_refused(contact, card, product, rep, manager):
    invoice = charge_sale(contact, lines=[SaleLine(product)], payment_method=card, actor=rep)
    before = rows()
    with pytest.raises(errors.InvalidAmount, match="refund the difference"):
        replace_voided_invoice(
            invoice, lines=[SaleLine(product, unit_price=usd("60"))], actor=manager, reason="x"
        )
    assert rows() == before


def test_it_sends_the_invoice_by_email_and_records_it(
    open_invoice, rep, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        send_invoice(open_invoice, actor=rep, to="ada@example.com")
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["ada@example.com"]
    assert open_invoice.number in message.body
    assert "$100.00" in message.alternatives[0][0]
    assert AuditEvent.objects.filter(action="invoice.sent").count() == 1


def test_send_refuses_a_bad_address(open_invoice, rep):
    with pytest.raises(errors.InvalidRequest) as exc:
        send_invoice(open_invoice, actor=rep, to="not-an-email")
    assert exc.value.field == "to"
    assert not mail.outbox


def test_every_change_has_one_audit_event_with_actor_and_reason(open_invoice, manager):
    write_off_invoice(open_invoice, actor=manager, reason="gone")
    event = AuditEvent.objects.get(action="invoice.written_off")
    assert (event.actor, event.reason, event.amount) == (manager, "gone", usd("100.00"))
    assert event.contact_id == open_invoice.contact_id


def test_the_same_key_sends_an_invoice_once(open_invoice, rep, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        first = send_invoice(open_invoice, actor=rep, to="a@example.com", idempotency_key="s1")
        again = send_invoice(open_invoice, actor=rep, to="a@example.com", idempotency_key="s1")
    assert first.pk == again.pk
    assert len(mail.outbox) == 1
