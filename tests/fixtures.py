"""State many test directories share: paid and declined invoices, a subscription, a payment plan,
a referring partner, and the cast's logged-in clients. tests/conftest.py loads it everywhere."""

from decimal import Decimal

import pytest

from billing.actions import SaleLine, add_card, charge_sale
from billing.models import Order
from offers.terms import PaymentTerms
from tests.factories import PartnerFactory
from tests.helpers import usd


@pytest.fixture
def paid_invoice(contact, card, product, rep):
    return charge_sale(contact, lines=[SaleLine(product)], payment_method=card, actor=rep)


@pytest.fixture
def declined_invoice(contact, card, product, rep, manager):
    bad = add_card(contact, token="pm_card_chargeDeclined", actor=manager, make_default=False)
    return charge_sale(contact, lines=[SaleLine(product)], payment_method=bad, actor=rep)


@pytest.fixture
def subscription(contact, card, product, rep) -> Order:
    """A monthly $100 subscription sold today on the card on file (its first period paid)."""
    line = SaleLine(product, terms=PaymentTerms.subscription())
    invoice = charge_sale(contact, lines=[line], payment_method=card, actor=rep)
    return Order.objects.get(source_invoice=invoice)


@pytest.fixture
def plan(contact, card, product, rep) -> Order:
    """$400 as $100 now and three monthly installments of $100."""
    terms = PaymentTerms.payment_plan(usd("100.00"), 3)
    line = SaleLine(product, unit_price=usd("400.00"), terms=terms)
    invoice = charge_sale(contact, lines=[line], payment_method=card, actor=rep)
    return Order.objects.get(source_invoice=invoice)


@pytest.fixture
def partner(contact):
    partner = PartnerFactory(name="Bob's Blog", default_rate=Decimal("10"))
    contact.referred_by = partner
    contact.save()
    return partner


@pytest.fixture
def rep_client(client, rep):
    client.force_login(rep)
    return client


@pytest.fixture
def manager_client(client, manager):
    client.force_login(manager)
    return client


@pytest.fixture
def outsider_client(client, outsider):
    # The factory sets the password after its last save (skip_postgeneration_save), so an
    # unsaved hash would end the forced login's session on the next request.
    outsider.save()
    client.force_login(outsider)
    return client
