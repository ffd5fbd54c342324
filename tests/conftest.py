import os

import pytest
from djmoney.money import Money

from billing.actions import add_card
from billing.gateways import sandbox
from billing.invariants import _CANDIDATE, card_numbers, luhn
from core import roles
from tests import factories

# The shared state (invoices, orders, the cast's logged-in clients) for every test directory.
pytest_plugins = ["tests.fixtures"]

# Playwright's sync API runs an event loop in the test thread.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(autouse=True)
def _roles(db):
    roles.ensure_roles()


@pytest.fixture(autouse=True)
def _no_card_numbers(_roles, caplog):
    """PCI: after every test, no Luhn-valid 13-19 digit run in any table or in the logs."""
    yield
    assert list(card_numbers()) == []
    assert not [
        run
        for run in _CANDIDATE.findall(caplog.text)
        if luhn(run.replace(" ", "").replace("-", ""))
    ]


@pytest.fixture(autouse=True)
def _no_faults():
    sandbox.clear_faults()
    yield
    sandbox.clear_faults()


@pytest.fixture
def rep(db):
    return factories.rep(username="rita")


@pytest.fixture
def manager(db):
    return factories.manager(username="max")


@pytest.fixture
def outsider(db):
    return factories.UserFactory(username="otto")


@pytest.fixture
def contact(db):
    return factories.ContactFactory(first_name="Ada", last_name="Lovelace")


@pytest.fixture
def card(contact, manager):
    return add_card(contact, token="pm_card_visa", actor=manager)


@pytest.fixture
def product(db):
    return factories.ProductFactory(name="Masterclass", price=Money("100.00", "USD"))
