"""A manager's history in a real browser: filter across contacts, follow a row, export a CSV."""

import csv
import io
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from billing.actions import SaleLine, add_card, charge_sale, refund_payment
from tests import factories
from tests.e2e.helpers import log_in, settle, snap
from tests.helpers import usd

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def sales(rep, manager):
    ada = factories.ContactFactory(first_name="Ada", last_name="Lovelace")
    alan = factories.ContactFactory(first_name="Alan", last_name="Turing")
    course = factories.ProductFactory(name="Masterclass", price=usd("100.00"))
    for contact in (ada, alan):
        card = add_card(contact, token="pm_card_visa", actor=manager)
        paid = charge_sale(contact, lines=[SaleLine(course)], payment_method=card, actor=rep)
    refund_payment(paid.payments.get(), amount=usd("25.00"), actor=rep, reason="Late start")
    return {"ada": ada, "alan": alan}


def test_a_manager_filters_the_history_and_exports_it(page: Page, manager, sales):
    log_in(page, manager)
    page.get_by_role("link", name="Manager").click()
    expect(page.get_by_role("heading", name="Transaction history")).to_be_visible()
    expect(page.locator("#results")).to_contain_text("Ada Lovelace")
    expect(page.locator("#totals")).to_contain_text("Payments")

    page.get_by_label("Kind").select_option(label="Refunds")
    page.get_by_role("button", name="Filter").click()
    rows = page.locator("#results tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Alan Turing")
    expect(rows.first).to_contain_text("$25.00")
    assert "kind=refund" in page.url  # the filter is in the URL: a view to bookmark
    settle(page)
    expect(page.locator("#totals")).to_contain_text("$25.00")
    snap(page, "manager-history")

    with page.expect_download() as download:
        page.get_by_role("link", name="Export CSV").click()
    body = Path(download.value.path()).read_text(encoding="utf-8")
    exported = list(csv.DictReader(io.StringIO(body)))
    assert [(r["kind"], r["contact"], r["amount"]) for r in exported] == [
        ("Refund", "Alan Turing", "25.00")
    ]

    rows.first.get_by_role("link", name="Alan Turing").click()
    expect(page.get_by_role("heading", name="Alan Turing")).to_be_visible()
