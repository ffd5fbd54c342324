"""The contact record on a 390 px wide phone."""

import pytest

from tests.e2e.helpers import log_in, settle

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_a_phone_sized_record_keeps_the_top_bar_readable_and_tables_in_their_box(
    page, rep, paid_invoice
):
    page.set_viewport_size({"width": 390, "height": 844})
    log_in(page, rep)
    page.goto(paid_invoice.contact.get_absolute_url())
    settle(page)

    assert page.evaluate("() => document.documentElement.scrollWidth") <= 390
    bar = page.locator("header.topbar").bounding_box()
    for link in page.locator("header.topbar a, header.topbar button").all():
        box = link.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= 390
        assert bar["y"] <= box["y"] and box["y"] + box["height"] <= bar["y"] + bar["height"]
    table = page.locator("#invoices table")
    assert table.evaluate("t => t.scrollWidth > t.clientWidth && getComputedStyle(t).overflowX")


def test_a_phone_sized_sale_page_scrolls_its_grid_not_the_page(page, rep, contact):
    page.set_viewport_size({"width": 390, "height": 844})
    log_in(page, rep)
    page.goto(f"/billing/sale/?contact={contact.pk}")
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 390
