"""A manager's reports in a real browser: from the manager's tabs to a chart drawn as SVG with
its numbers in the table beside it."""

import pytest
from playwright.sync_api import Page, expect

from billing.actions import SaleLine, add_card, charge_sale, refund_payment
from tests import factories
from tests.e2e.helpers import log_in
from tests.helpers import usd

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_a_manager_opens_the_money_chart(page: Page, rep, manager):
    ada = factories.ContactFactory(first_name="Ada", last_name="Lovelace")
    course = factories.ProductFactory(name="Masterclass", price=usd("100.00"))
    card = add_card(ada, token="pm_card_visa", actor=manager)
    paid = charge_sale(ada, lines=[SaleLine(course)], payment_method=card, actor=rep)
    refund_payment(paid.payments.get(), amount=usd("25.00"), actor=rep, reason="Late start")

    log_in(page, manager)
    page.get_by_role("link", name="Manager").click()
    page.get_by_role("link", name="Reports").click()
    page.get_by_role("link", name="Money by month").click()

    chart = page.get_by_role("img", name="Money in USD by month")
    expect(chart).to_be_visible()
    assert chart.locator("rect").count() > 5  # a bar per figure and month, and the legend
    table = page.locator("#money table")
    expect(table).to_contain_text("$100.00")
    expect(table).to_contain_text("$25.00")
