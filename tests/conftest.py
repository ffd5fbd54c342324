import io
import os

import pytest
from django.core.handlers.base import BaseHandler
from django.core.management import call_command
from django.db import connection
from djmoney.money import Money

from billing.actions import add_card
from billing.gateways import sandbox
from billing.invariants import card_numbers
from core import db_roles, roles
from core.validators import holds_card_number
from tests import card_number_requests, factories

# The shared state (invoices, orders, the cast's logged-in clients) for every test directory.
pytest_plugins = ["tests.fixtures", "tests.billing.stripe_fake"]

# Playwright's sync API runs an event loop in the test thread.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings):
    """Create and migrate the test database as the owner (MIGRATION_DATABASE_URL)."""
    with db_roles.as_owner():
        yield


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """Then the tests run as the app role, which owns nothing (core.db_roles), like production.

    Flushing after a transactional test truncates every table, the guarded ones too: only the
    owner may, with triggers off for that session."""
    with django_db_blocker.unblock():
        call_command("create_app_role", stdout=io.StringIO())
    flush = type(connection.ops).execute_sql_flush

    def flush_as_owner(ops, sql_list):
        with db_roles.as_owner():
            with ops.connection.cursor() as cursor:
                cursor.execute("SET session_replication_role = replica")
            flush(ops, sql_list)

    with (
        db_roles.connected_as(db_roles.app_credentials()),
        pytest.MonkeyPatch.context() as patch,
    ):
        patch.setattr(type(connection.ops), "execute_sql_flush", flush_as_owner)
        yield


@pytest.fixture(autouse=True)
def _roles(db):
    roles.ensure_roles()


@pytest.fixture(autouse=True)
def _no_card_numbers(_roles, caplog):
    """PCI: after every test, no Luhn-valid 13-19 digit run in any table or in the logs."""
    yield
    assert list(card_numbers()) == []
    assert not holds_card_number(caplog.text)


@pytest.fixture(scope="session", autouse=True)
def _no_card_number_reaches_paydesk():
    """PCI SAQ A: no request body Paydesk's views received in the whole run held a card
    number (tests/card_number_requests.py)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(
            BaseHandler,
            "get_response",
            card_number_requests.recording(BaseHandler.get_response),
        )
        yield
    sent = sorted({entry.split(": ")[0] for entry in card_number_requests.found})
    assert sent == [], f"{len(card_number_requests.found)} requests carried a card number"


@pytest.fixture(autouse=True)
def _which_test_sends(request):
    state = card_number_requests.state
    state["test"] = request.node.nodeid
    state["allowed"] = request.node.get_closest_marker("sends_card_numbers") is not None
    yield
    state["allowed"] = False


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


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items):
    """The long tests first (after pytest-django has grouped the tests by how they use the
    database, which this stable sort keeps): pytest-xdist then starts them at once, instead of
    one of them starting last and running alone while the other workers sit idle."""
    items.sort(key=lambda item: item.get_closest_marker("long") is None)
