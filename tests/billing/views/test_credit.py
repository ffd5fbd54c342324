"""A contact's credit on the record, and the rep refunding it."""

import datetime as dt

from django.urls import reverse

from billing import actions
from billing.models import Refund
from billing.selectors import credit_balance
from core import clock
from tests.helpers import HTMX, text, usd

DAY0 = dt.datetime(2027, 3, 1, 9, tzinfo=dt.UTC)


def downgrade(order, rep) -> None:
    with clock.frozen_at(DAY0 + dt.timedelta(days=15)):
        actions.change_order_terms(
            order, unit_price=usd("50.00"), effective="now", prorate=True, actor=rep,
            reason="downgrade",
        )  # fmt: skip


def test_the_record_shows_the_credit_and_the_rep_refunds_it(
    rep_client, contact, card, product, rep, manager
):
    from billing.actions import SaleLine
    from billing.models import Order
    from offers.terms import PaymentTerms

    with clock.frozen_at(DAY0):
        invoice = actions.charge_sale(
            contact, lines=[SaleLine(product, terms=PaymentTerms.subscription())],
            payment_method=card, actor=rep,
        )  # fmt: skip
    # Halving the price is above a rep's discount limit (billing.limits): a manager does it.
    downgrade(Order.objects.get(source_invoice=invoice), manager)

    page = text(rep_client.get(contact.get_absolute_url()))
    assert "Credit $25.80" in page and "Refund credit" in page

    url = reverse("billing:credit-refund", args=[contact.pk, "USD"])
    response = rep_client.post(url, {"amount": "10.00", "reason": "asked for it"}, **HTMX)
    assert response.status_code == 200
    assert Refund.objects.get().amount == usd("10.00")
    assert credit_balance(contact, "USD") == usd("15.80")


def test_the_invoice_shows_the_credit_it_used(manager_client, contact, card, product, rep, manager):
    from billing.actions import SaleLine
    from billing.models import Order
    from offers.terms import PaymentTerms

    with clock.frozen_at(DAY0):
        invoice = actions.charge_sale(
            contact, lines=[SaleLine(product, terms=PaymentTerms.subscription())],
            payment_method=card, actor=rep,
        )  # fmt: skip
    # Halving the price is above a rep's discount limit (billing.limits): a manager does it.
    downgrade(Order.objects.get(source_invoice=invoice), manager)
    sale = actions.charge_sale(contact, lines=[SaleLine(product)], payment_method=card, actor=rep)

    page = text(manager_client.get(reverse("billing:invoice-document", args=[sale.pk])))
    assert "Credit applied" in page and "$25.80" in page
    assert sale.payments.get().amount == usd("74.20")
