"""What the customer receives by email: the invoice with its signed links, a receipt for each
payment, a confirmation for each refund and a notice of cancellation, in HTML and text."""

import re

import pytest
from django.core import mail
from django.test import Client

from billing.actions import cancel_order, refund_payment, send_invoice
from billing.models import CustomerEmail, Invoice
from billing.tasks import send_receipt
from tests.helpers import usd

LINK = re.compile(r"http://127\.0\.0\.1:8000(/pay/(?!card/)[^/\s\"]+/(?:pdf/)?)")
CARD_LINK = re.compile(r"http://127\.0\.0\.1:8000(/pay/card/[^/\s\"]+/)")


def html_of(message) -> str:
    [(body, kind)] = message.alternatives
    assert kind == "text/html"
    return body


def test_the_invoice_email_carries_links_that_open_its_page(
    declined_invoice, rep, django_capture_on_commit_callbacks
):
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        send_invoice(declined_invoice, actor=rep)
    [message] = mail.outbox
    assert message.subject == f"Invoice {declined_invoice.number} from Paydesk Demo Ltd"
    assert "Pay it online: http://127.0.0.1:8000/pay/" in message.body
    assert "Update your card: http://127.0.0.1:8000/pay/card/" in message.body
    assert "Pay $100.00 online" in html_of(message)
    page, pdf = LINK.findall(message.body)
    assert LINK.findall(html_of(message))[:2] == [page, pdf]
    client = Client()
    assert declined_invoice.number in client.get(page).content.decode()
    assert client.get(pdf)["Content-Type"] == "application/pdf"
    [card] = CARD_LINK.findall(message.body)
    assert client.get(card).status_code == 200


def test_a_receipt_is_sent_once_however_often_its_task_runs(contact, paid_invoice):
    payment = paid_invoice.payments.get()
    mail.outbox.clear()
    assert send_receipt(payment.pk) is True
    assert send_receipt(payment.pk) is False
    [message] = mail.outbox
    assert message.to == [contact.email]
    assert "We received $100.00 for invoice" in message.body
    assert "We received <strong>$100.00</strong>" in html_of(message)
    assert LINK.search(message.body)
    assert CustomerEmail.objects.filter(kind="receipt", subject_id=payment.pk).count() == 1


def test_a_sale_charged_by_a_rep_emails_the_receipt(
    contact, card, product, rep, django_capture_on_commit_callbacks
):
    from billing.actions import SaleLine, charge_sale

    with django_capture_on_commit_callbacks(execute=True):
        invoice = charge_sale(contact, lines=[SaleLine(product)], payment_method=card, actor=rep)
    assert [m.subject for m in mail.outbox] == [f"Receipt for {invoice.number}"]
    assert LINK.search(mail.outbox[0].body)


def test_a_refund_is_confirmed_to_the_customer(
    paid_invoice, rep, django_capture_on_commit_callbacks
):
    payment = paid_invoice.payments.get()
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        refund_payment(payment, amount=usd("30.00"), actor=rep, reason="Damaged box")
    [message] = mail.outbox
    assert message.subject == f"Refund on {paid_invoice.number}"
    assert "We refunded $30.00 of your payment of $100.00" in message.body
    assert "We refunded <strong>$30.00</strong>" in html_of(message)
    assert "Damaged box" not in message.body  # the rep's reason stays internal


@pytest.mark.parametrize("at", ["now", "end_of_term"])
def test_cancelling_an_order_tells_the_customer(
    subscription, rep, at, django_capture_on_commit_callbacks
):
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        cancel_order(subscription, at=at, actor=rep, reason="Asked to stop")
    [message] = mail.outbox
    assert message.subject == "Your Masterclass is cancelled"
    subscription.refresh_from_db()
    if at == "now":
        assert "cancelled as of today" in message.body
    else:
        assert f"stays active until {subscription.cancel_at:%-d %b %Y}" in message.body
    assert "Masterclass</strong> is cancelled" in html_of(message)


def test_no_receipt_for_money_taken_by_another_system(
    contact, product, rep, django_capture_on_commit_callbacks
):
    from billing.actions import SaleLine, record_sale

    with django_capture_on_commit_callbacks(execute=True):
        invoice = record_sale(
            contact, lines=[SaleLine(product)], reference="PP-1", actor=rep, reason=""
        )
    assert invoice.status == Invoice.Status.PAID
    assert not [m for m in mail.outbox if m.subject.startswith("Receipt")]
