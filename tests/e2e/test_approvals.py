"""A rep's refund above their limit, asked of a manager and approved in Chromium: the rep asks
from the refund form, the manager approves from the queue, the rep reads the outcome on the
contact record."""

import re

import pytest
from playwright.sync_api import expect

from billing.actions import SaleLine, charge_sale
from billing.models import ApprovalRequest, Refund
from tests.e2e.helpers import log_in, settle, snap
from tests.factories import ProductFactory
from tests.helpers import usd

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_a_rep_asks_a_manager_approves_and_the_rep_sees_the_refund(
    browser, live_server, contact, card, rep, manager
):
    product = ProductFactory(name="Coaching", price=usd("900.00"))
    invoice = charge_sale(contact, lines=[SaleLine(product)], payment_method=card, actor=rep)

    rep_page = browser.new_context(base_url=live_server.url).new_page()
    log_in(rep_page, rep)
    rep_page.goto(contact.get_absolute_url())
    settle(rep_page)
    rep_page.locator(f"#invoice-{invoice.pk}").get_by_role(
        "link", name=re.compile(r"^Refund")
    ).click()
    form = rep_page.locator("form.action-form")
    form.get_by_label("Reason").fill("Never arrived")
    form.get_by_role("button", name="Refund").click()
    expect(form).to_contain_text("a manager can do more")
    form.get_by_role("button", name="Ask a manager").click()
    panel = rep_page.locator("#approvals")
    expect(panel).to_contain_text("Waiting for a manager")
    expect(panel).to_contain_text("Never arrived")
    assert not Refund.objects.exists()

    manager_page = browser.new_context(base_url=live_server.url).new_page()
    log_in(manager_page, manager)
    manager_page.get_by_role("link", name="Approvals").click()
    request = ApprovalRequest.objects.get()
    row = manager_page.locator(f"#approval-{request.pk}")
    expect(row).to_contain_text("Refund $900.00")
    row.get_by_role("link", name="Approve").click()
    decision = manager_page.locator("form.action-form")
    expect(decision).to_contain_text("Left to refund")
    snap(manager_page, "approval-queue")
    decision.get_by_role("button", name="Approve and carry out").click()
    expect(manager_page.locator("#approvals")).to_contain_text("Nothing is waiting for a manager.")
    expect(manager_page.locator("#approvals")).to_contain_text("Refunded $900.00 (succeeded).")

    rep_page.reload()
    panel = rep_page.locator("#approvals")
    expect(panel).to_contain_text("Approved")
    expect(panel).to_contain_text("Refunded $900.00 (succeeded).")
    history = rep_page.locator("#history")
    expect(history).to_contain_text(f"asked by {rep.get_full_name()}")
    refund = Refund.objects.get()
    assert (refund.amount, refund.actor) == (usd("900.00"), manager)
