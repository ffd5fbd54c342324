"""Voiding the only invoice of an order says what becomes of the order and can end it."""

import pytest
from django.urls import reverse

from billing.actions import SaleLine, add_card, charge_sale
from billing.models import Invoice, Order
from core.models import AuditEvent
from offers.terms import PaymentTerms
from tests.helpers import HTMX, text


@pytest.fixture
def past_due(contact, card, product, rep, manager) -> Order:
    """A subscription whose first charge was declined: its sale invoice is its only one."""
    bad = add_card(contact, token="pm_card_chargeDeclined", actor=manager, make_default=False)
    line = SaleLine(product, terms=PaymentTerms.subscription())
    invoice = charge_sale(contact, lines=[line], payment_method=bad, actor=rep)
    order = Order.objects.get(source_invoice=invoice)
    assert order.status == Order.Status.PAST_DUE
    return order


def _url(order) -> str:
    return reverse("billing:invoice-void", args=[order.source_invoice_id])


def test_the_void_form_says_the_order_keeps_billing_and_offers_to_cancel_it(rep_client, past_due):
    page = text(rep_client.get(_url(past_due), **HTMX))
    assert "Also cancel the order" in page
    assert f"order #{past_due.pk}" in page and "keeps billing" in page


def test_voiding_with_cancel_ends_the_order_in_the_same_step(manager_client, past_due):
    response = manager_client.post(
        _url(past_due), {"reason": "sold in error", "cancel_order": "on"}, **HTMX
    )
    assert response.status_code == 200
    past_due.refresh_from_db()
    assert past_due.status == Order.Status.CANCELLED
    assert past_due.next_charge_on is None
    assert past_due.source_invoice.status == Invoice.Status.VOID
    assert AuditEvent.objects.filter(action="order.cancelled", subject_id=past_due.pk).count() == 1
    assert AuditEvent.objects.filter(action="invoice.voided").count() == 1


def test_voiding_without_cancel_leaves_the_order_billing(manager_client, past_due):
    manager_client.post(_url(past_due), {"reason": "sold in error"}, **HTMX)
    past_due.refresh_from_db()
    assert past_due.status == Order.Status.PAST_DUE
    assert past_due.source_invoice.status == Invoice.Status.VOID
