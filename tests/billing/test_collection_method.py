"""A subscription sold as paid by bank transfer asks how its later periods are paid."""

import datetime as dt

import pytest
from django.core import mail
from django.urls import reverse

from billing import errors
from billing.actions import SaleLine, record_sale
from billing.models import Invoice, Order, SandboxTransaction
from billing.tasks import charge_due_orders
from core import clock
from core.models import AuditEvent
from offers.terms import PaymentTerms
from tests.billing.views.test_sale import grid
from tests.helpers import counts, text

SOLD = dt.datetime(2027, 3, 1, 9, tzinfo=dt.UTC)


def sell(contact, product, rep, **kw) -> Order:
    line = SaleLine(product, terms=PaymentTerms.subscription())
    with clock.frozen_at(SOLD):
        invoice = record_sale(
            contact, lines=[line], method="bank_transfer", reference="SEPA-1", actor=rep, **kw
        )
    return Order.objects.get(source_invoice=invoice)


def renew(capture) -> None:
    with clock.frozen_at(SOLD + dt.timedelta(days=31)), capture(execute=True):
        charge_due_orders()


def test_a_recorded_subscription_sale_must_say_how_later_periods_are_paid(
    contact, card, product, rep
):
    before = counts()
    with pytest.raises(errors.BillingError) as refused:
        sell(contact, product, rep)
    assert refused.value.field == "collection_method"
    assert str(refused.value) == errors.SAY_HOW_LATER_PERIODS_ARE_PAID
    assert counts() == before


def test_send_invoice_emails_each_period_instead_of_charging_the_card(
    contact, card, product, rep, django_capture_on_commit_callbacks
):
    order = sell(contact, product, rep, collection_method="send_invoice")
    renew(django_capture_on_commit_callbacks)
    period = order.invoices.get(period=1)
    assert period.status == Invoice.Status.OPEN
    assert not SandboxTransaction.objects.filter(kind="charge").exists()
    assert [m.subject for m in mail.outbox] == [f"Invoice {period.number} from Paydesk Demo Ltd"]
    assert AuditEvent.objects.filter(action="invoice.sent", subject_id=period.pk).exists()


def test_charge_automatically_charges_the_card_on_file(
    contact, card, product, rep, django_capture_on_commit_callbacks
):
    order = sell(contact, product, rep, collection_method="charge_automatically")
    renew(django_capture_on_commit_callbacks)
    assert order.invoices.get(period=1).status == Invoice.Status.PAID


def test_the_sale_screen_asks_and_refuses_a_subscription_without_an_answer(
    rep_client, contact, product
):
    data = grid(contact, product, intent="record", reference="SEPA-1", method="bank_transfer")
    data["lines-0-terms"] = "subscription"
    response = rep_client.post(reverse("billing:sale-new"), data)
    assert "Later periods are paid by" in text(response)
    assert errors.SAY_HOW_LATER_PERIODS_ARE_PAID in text(response)
    assert not Order.objects.exists()
