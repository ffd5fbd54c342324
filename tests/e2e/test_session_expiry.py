"""A session that ends while a form is open: the rep is told, what was typed stays, and the same
form goes through after logging in again in another tab."""

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.helpers import log_in, settle

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_an_expired_session_keeps_the_typed_refund_and_says_so(page, rep, paid_invoice):
    log_in(page, rep)
    page.goto(paid_invoice.contact.get_absolute_url())
    settle(page)
    page.locator("#invoices").get_by_role("link", name=re.compile(r"^Refund")).click()
    form = page.locator("form.action-form")
    form.get_by_label("Amount").fill("12.00")
    form.get_by_label("Reason").fill("Scratched disc")

    page.context.clear_cookies(name="sessionid")  # logged out in another tab, or timed out
    form.get_by_role("button", name="Refund").click()

    banner = page.locator("#flash")
    expect(banner).to_contain_text("Your session has expired")
    expect(banner.get_by_role("link", name="Log in again in a new tab")).to_have_attribute(
        "target", "_blank"
    )
    expect(form.get_by_label("Amount")).to_have_value("12.00")
    expect(form.get_by_label("Reason")).to_have_value("Scratched disc")
    expect(page.locator("#invoices h1, #invoices form[action*='login']")).to_have_count(0)
    assert paid_invoice.payments.get().refunds.count() == 0

    # Logged in again elsewhere, the same form goes through as typed.
    other = page.context.new_page()
    log_in(other, rep)
    other.close()
    form.get_by_role("button", name="Refund").click()
    expect(page.locator("#invoices")).to_contain_text("Partly refunded")
