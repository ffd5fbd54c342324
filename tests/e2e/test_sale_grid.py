"""The new-sale grid: rows added and removed in place, and a live summary that points at the
field it cannot read."""

import pytest
from playwright.sync_api import expect

from tests.e2e.helpers import log_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_the_sale_grid_adds_and_removes_rows_and_marks_what_it_cannot_read(
    page, rep, contact, card, product
):
    log_in(page, rep)
    page.goto(f"/billing/sale/?contact={contact.pk}")
    rows = page.locator("#sale-form tbody tr.line:visible")
    expect(rows).to_have_count(2)

    page.get_by_role("button", name="+ Add a line").click()
    expect(rows).to_have_count(3)
    expect(page.locator("#id_lines-2-product")).to_be_focused()
    for i in range(3):
        page.locator(f"#id_lines-{i}-product").select_option(label=str(product))
    expect(page.locator("#sale-summary")).to_contain_text("$300.00")

    page.locator("#id_lines-1-DELETE").check()
    expect(rows).to_have_count(2)
    expect(page.locator("#sale-summary")).to_contain_text("$200.00")

    page.locator("#id_lines-0-unit_price").fill("10.001")
    expect(page.locator("#sale-summary")).to_contain_text("Line 1, unit price")
    expect(page.locator("#id_lines-0-unit_price")).to_have_attribute("aria-invalid", "true")
    # Within a rep's discount allowance (billing.limits): 10% below the stored price.
    page.locator("#id_lines-0-unit_price").fill("90.00")
    expect(page.locator("#sale-summary")).to_contain_text("$190.00")
    expect(page.locator("#id_lines-0-unit_price")).not_to_have_attribute("aria-invalid", "true")

    page.get_by_label("Reason").fill("Phone order")
    page.get_by_role("button", name="Charge card").click()
    expect(page.locator("#flash")).to_contain_text("is paid")
    expect(page.locator("#invoices")).to_contain_text("$190.00")
