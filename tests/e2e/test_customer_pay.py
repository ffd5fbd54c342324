"""The customer follows the link in the invoice email, pays in Chromium through the card
capture widget (sandbox), and the rep sees the invoice paid on the record; an expired link is
refused with a page that says what to do."""

import datetime as dt
import re
from urllib.parse import urlsplit

import pytest
from django.core import mail
from playwright.sync_api import expect

from billing import links
from billing.actions import send_invoice
from billing.models import Invoice
from core import clock
from tests.e2e.helpers import log_in, settle, snap

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PAY_LINK = re.compile(r"Pay it online: (\S+)")


def emailed_link(invoice: Invoice, rep) -> str:
    mail.outbox.clear()
    send_invoice(invoice, actor=rep)  # sent on commit: these tests commit for real
    [message] = [m for m in mail.outbox if m.subject.startswith(f"Invoice {invoice.number}")]
    return urlsplit(PAY_LINK.search(message.body).group(1)).path


def test_the_customer_pays_from_the_email_and_the_rep_sees_it_paid(
    page, browser, live_server, rep, declined_invoice
):
    link = emailed_link(declined_invoice, rep)
    page.goto(link)
    expect(page.get_by_role("heading", name=f"Invoice {declined_invoice.number}")).to_be_visible()
    expect(page.locator("#amount-due")).to_have_text("$100.00")
    expect(page.get_by_role("navigation")).to_have_count(0)  # no rep navigation
    snap(page, "customer-invoice")

    page.get_by_label("Card number").fill("4242 4242 4242 4242")
    page.get_by_label("Expiry").fill("12/34")
    page.get_by_label("CVC").fill("123")
    page.get_by_role("button", name="Pay now").click()

    expect(page.get_by_text("Thank you: your payment was received.")).to_be_visible()
    expect(page.locator("#amount-due")).to_have_text("$0.00")
    expect(page.get_by_role("button", name="Pay now")).to_have_count(0)
    declined_invoice.refresh_from_db()
    assert declined_invoice.status == Invoice.Status.PAID

    rep_side = browser.new_context(base_url=live_server.url).new_page()
    log_in(rep_side, rep)
    rep_side.goto(declined_invoice.contact.get_absolute_url())
    settle(rep_side)
    row = rep_side.locator(f"#invoice-{declined_invoice.pk}")
    expect(row).to_contain_text("Paid")
    expect(rep_side.locator("body")).to_contain_text("Customer (signed link)")
    rep_side.context.close()


def test_an_expired_link_is_refused(page, declined_invoice):
    with clock.frozen_at(clock.now() - dt.timedelta(days=31)):
        link = urlsplit(links.invoice_url(declined_invoice)).path
    response = page.goto(link)
    assert response.status == 410
    expect(page.get_by_role("heading", name="This link has expired")).to_be_visible()
    expect(page.locator("body")).to_contain_text("Please contact Paydesk Demo Ltd")
    expect(page.locator("body")).not_to_contain_text(declined_invoice.number)
    expect(page.get_by_role("button", name="Pay now")).to_have_count(0)
