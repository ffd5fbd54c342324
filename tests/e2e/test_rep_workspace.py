"""The rep's day in a real browser: find, sell, fix, and see it all in the history.

Each scenario is a list of small steps so new ones (sell a payment plan, pause the order) slot
in between the existing ones.
"""

import re

import pytest
from playwright.sync_api import Page, expect

from billing import errors
from billing.actions import SaleLine, add_card, charge_sale, write_off_invoice
from offers.actions import store_offer
from tests.e2e.helpers import log_in, settle, snap
from tests.helpers import usd

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def find_contact(page: Page, name: str) -> None:
    page.get_by_role("link", name="Contacts").click()
    page.get_by_label("Search by name, email or phone").fill(name.split()[0])
    page.get_by_role("link", name=name).click()
    expect(page.get_by_role("heading", name=name)).to_be_visible()


def sell_offer_charging_card(page: Page, offer_label: str, due: str = "$180.00") -> None:
    page.get_by_role("link", name="New sale").last.click()
    page.get_by_label("Start from a stored offer").select_option(label=offer_label)
    page.get_by_role("button", name="Use offer").click()
    expect(page.locator("#sale-summary")).to_contain_text(due)
    if due == "$180.00":
        snap(page, "new-sale")
    page.get_by_label("Reason").fill("Phone order")
    page.get_by_role("button", name="Charge card").click()
    expect(page.locator("#flash")).to_contain_text("is paid")


def refund_part(page: Page, amount: str, reason: str) -> None:
    settle(page)
    page.locator("#invoices").get_by_role("link", name=re.compile(r"^Refund")).first.click()
    form = page.locator("form.action-form")
    expect(form).to_contain_text("Left to refund")
    form.get_by_label("Amount").fill(amount)
    form.get_by_label("Reason").fill(reason)
    snap(page, "refund-form")
    form.get_by_role("button", name="Refund").click()
    expect(page.locator("#invoices")).to_contain_text("Partly refunded")


def test_a_rep_sells_an_offer_refunds_part_and_sees_the_history(
    page, rep, manager, contact, card, product
):
    lines = [SaleLine(product, quantity=2, unit_price=usd("90.00"))]
    store_offer("Starter bundle", "USD", lines, actor=manager)

    page.goto("/login/")
    snap(page, "login")
    log_in(page, rep)
    snap(page, "contacts")
    find_contact(page, "Ada Lovelace")
    sell_offer_charging_card(page, "Starter bundle (v1) · USD")
    refund_part(page, "20.00", "Scratched disc")

    history = page.locator("#history")
    expect(history).to_contain_text("Sale charged")
    expect(history).to_contain_text("Payment succeeded")
    expect(history).to_contain_text("Refund succeeded")
    expect(history).to_contain_text("Scratched disc")
    expect(page.locator("#payments")).to_contain_text("$20.00")
    snap(page, "contact-record")


@pytest.fixture
def declined_invoice(contact, product, rep, manager):
    card = add_card(contact, token="pm_card_chargeDeclined", actor=manager)
    return charge_sale(contact, lines=[SaleLine(product)], payment_method=card, actor=rep)


def test_a_manager_writes_off_an_invoice_and_reverses_it(page, manager, declined_invoice):
    log_in(page, manager)
    page.goto(declined_invoice.contact.get_absolute_url())
    row = page.locator(f"#invoice-{declined_invoice.pk}")
    expect(row).to_contain_text("Declined")

    row.get_by_role("link", name="Write off").click()
    page.get_by_role("button", name="Write off").click()  # no reason: refused in place (422)
    expect(page.locator("form.action-form")).to_contain_text(errors.REASON_REQUIRED)
    page.locator("form.action-form").get_by_label("Reason").fill("Customer cannot pay")
    page.get_by_role("button", name="Write off").click()
    expect(row).to_contain_text("Written off")

    row.get_by_role("link", name="Reverse write-off").click()
    page.locator("form.action-form").get_by_label("Reason").fill("Customer called back")
    page.get_by_role("button", name="Reverse write-off").click()
    expect(row).to_contain_text("Declined")
    expect(page.locator("#history")).to_contain_text("Invoice write off reversed")


def test_a_rep_neither_sees_nor_may_do_a_manager_only_action(page, rep, manager, declined_invoice):
    # Reps may ask for a write-off (billing.ask_write_off); reversing one is a manager's alone.
    write_off_invoice(declined_invoice, actor=manager, reason="Customer cannot pay")
    log_in(page, rep)
    page.goto(declined_invoice.contact.get_absolute_url())
    expect(page.locator(f"#invoice-{declined_invoice.pk}")).to_contain_text("Written off")
    expect(page.get_by_role("link", name="Reverse write-off")).to_have_count(0)

    token = page.locator("body").get_attribute("data-csrf")
    response = page.request.post(
        f"/billing/invoices/{declined_invoice.pk}/reverse-write-off/",
        form={"reason": "sneaky"},
        headers={"X-CSRFToken": token},
    )
    assert response.status == 403
    declined_invoice.refresh_from_db()
    assert declined_invoice.status == "written_off"
