"""Fixtures of the approval request tests (test_approvals.py, test_write_off_requests.py)."""

import pytest

from billing.actions import SaleLine, charge_sale
from tests.factories import ProductFactory
from tests.helpers import usd


@pytest.fixture
def big_payment(contact, card, rep):
    """$900 paid by card: above the rep's $500 refund limit."""
    product = ProductFactory(name="Coaching", price=usd("900.00"))
    invoice = charge_sale(contact, lines=[SaleLine(product)], payment_method=card, actor=rep)
    return invoice.payments.get()


@pytest.fixture
def emails(rep, manager):
    rep.email, manager.email = "rita@example.com", "max@example.com"
    rep.save()
    manager.save()
