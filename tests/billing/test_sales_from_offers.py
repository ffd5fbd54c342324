"""A sale from a stored offer records the offer on what it bills, renewals included, so
managers can follow an offer's sales (the history's offer filter)."""

import datetime as dt

import pytest

from billing import errors
from billing.actions import SaleLine, charge_sale
from billing.lines import NOT_FROM_OFFER
from billing.models import InvoiceLine, Order
from billing.tasks import charge_due_orders
from core import clock
from offers.actions import store_offer
from offers.terms import PaymentTerms
from tests import factories
from tests.helpers import usd

JAN10 = dt.datetime(2027, 1, 10, 9, tzinfo=dt.UTC)


@pytest.fixture
def offer(manager, product):
    course = factories.ProductFactory(name="Course", price=usd("40.00"))
    lines = [
        SaleLine(product, terms=PaymentTerms.subscription()),
        SaleLine(course, discount=usd("5.00")),
    ]
    return store_offer("Starter", "USD", lines, actor=manager)


def test_a_sale_from_an_offer_records_it_on_every_line_and_on_the_order(contact, card, rep, offer):
    invoice = charge_sale(contact, lines=offer.lines_for_sale(), payment_method=card, actor=rep)

    kinds = list(invoice.lines.values_list("kind", "offer_id"))
    assert kinds == [("item", offer.pk), ("item", offer.pk), ("discount", offer.pk)]
    assert Order.objects.get(source_invoice=invoice).offer == offer


def test_a_sale_typed_into_the_grid_records_no_offer(contact, card, rep, product):
    invoice = charge_sale(contact, lines=[SaleLine(product)], payment_method=card, actor=rep)
    assert invoice.lines.get().offer is None


def test_each_renewal_of_an_order_sold_from_an_offer_carries_the_offer(contact, card, rep, offer):
    with clock.frozen_at(JAN10):
        invoice = charge_sale(contact, lines=offer.lines_for_sale(), payment_method=card, actor=rep)
    order = Order.objects.get(source_invoice=invoice)
    with clock.frozen_at(JAN10 + dt.timedelta(days=31)):
        assert charge_due_orders() == {"billed": 1, "charged": 1}
    renewal = order.invoices.get(period=1)
    assert list(renewal.lines.values_list("offer_id", flat=True)) == [offer.pk]


def test_a_renewal_billed_one_by_one_carries_the_offer_too(contact, card, rep, manager, product):
    """A trial with a line discount leaves an order discount for the first paid period, which
    the batch does not take: that period is billed by bill_period, row by row."""
    terms = PaymentTerms.subscription(trial_days=7)
    trial = store_offer(
        "Trial", "USD", [SaleLine(product, discount=usd("10.00"), terms=terms)], actor=manager
    )
    with clock.frozen_at(JAN10):
        invoice = charge_sale(contact, lines=trial.lines_for_sale(), payment_method=card, actor=rep)
    order = Order.objects.get(source_invoice=invoice)
    with clock.frozen_at(JAN10 + dt.timedelta(days=8)):
        charge_due_orders()
    lines = InvoiceLine.objects.filter(invoice__order=order, invoice__period=0)
    assert {(line.kind, line.offer_id) for line in lines} == {
        ("item", trial.pk),
        ("discount", trial.pk),
    }


def test_a_line_claiming_an_offer_it_is_not_part_of_is_refused(contact, card, rep, offer):
    other = factories.ProductFactory(name="Other")
    with pytest.raises(errors.InvalidRequest, match=NOT_FROM_OFFER):
        charge_sale(contact, lines=[SaleLine(other, offer=offer)], payment_method=card, actor=rep)
    assert not contact.invoices.exists()
