"""A rep's limits bound outcomes (per payment, invoice, sale line, order), not single calls.

The cast: rep (USD 500 refunds, 20% discounts, the defaults in config/settings.py) and manager.
"""

from decimal import Decimal

import pytest

from billing import errors, limits
from billing.actions import (
    SaleLine,
    change_order_terms,
    charge_sale,
    discount_invoice,
    discount_order,
    record_sale,
    refund_payment,
)
from billing.invariants import breaches
from billing.models import Invoice, Payment, Refund
from billing.selectors import amount_due
from offers.terms import PaymentTerms
from tests.factories import ProductFactory
from tests.helpers import counts, race, usd


def _paid(contact, card, rep, price: str) -> Payment:
    product = ProductFactory(price=usd(price))
    return charge_sale(
        contact, lines=[SaleLine(product)], payment_method=card, actor=rep
    ).payments.get()


def _left(amount: str) -> str:
    return limits.REFUND_LEFT.format(left=f"USD {amount}")


def test_two_500_refunds_of_one_payment_are_one_too_many_for_a_rep(contact, card, rep, manager):
    payment = _paid(contact, card, rep, "1000.00")
    refund_payment(payment, amount=usd("500"), actor=rep, reason="half")
    with pytest.raises(errors.AboveRepLimit) as refused:
        refund_payment(payment, amount=usd("500"), actor=rep, reason="other half")
    assert refused.value.message == _left("0.00")
    assert refused.value.field == "amount"
    assert Refund.objects.count() == 1
    refund_payment(payment, amount=usd("500"), actor=manager, reason="approved")
    payment.refresh_from_db()
    assert payment.amount_refunded == usd("1000.00")


def test_the_refusal_says_what_is_left_of_the_allowance(contact, card, rep):
    payment = _paid(contact, card, rep, "800.00")
    refund_payment(payment, amount=usd("490"), actor=rep, reason="a")
    with pytest.raises(errors.AboveRepLimit) as refused:
        refund_payment(payment, amount=usd("290"), actor=rep, reason="b")
    assert refused.value.message == _left("10.00")
    refund_payment(payment, amount=usd("10"), actor=rep, reason="c")
    payment.refresh_from_db()
    assert payment.amount_refunded == usd("500.00")
    with pytest.raises(errors.AboveRepLimit):
        refund_payment(payment, amount=usd("0.01"), actor=rep, reason="d")


def test_a_managers_refunds_do_not_use_up_the_reps_allowance(contact, card, rep, manager):
    payment = _paid(contact, card, rep, "1000.00")
    refund_payment(payment, amount=usd("400"), actor=manager, reason="approved")
    refund_payment(payment, amount=usd("500"), actor=rep, reason="rest within the limit")
    payment.refresh_from_db()
    assert payment.amount_refunded == usd("900.00")


@pytest.mark.django_db(transaction=True)
def test_concurrent_rep_refunds_together_stay_within_the_limit(contact, card, rep):
    payment = _paid(contact, card, rep, "1000.00")
    results = race(
        8,
        lambda i: refund_payment(
            Payment.objects.get(pk=payment.pk), amount=usd("100"), actor=rep, reason=f"t{i}"
        ),
    )
    assert sum(isinstance(r, Refund) for r in results) == 5, results
    assert sum(isinstance(r, errors.AboveRepLimit) for r in results) == 3, results
    payment.refresh_from_db()
    assert payment.amount_refunded == usd("500.00")
    assert breaches() == []


@pytest.fixture
def open_invoice(contact, manager, product, rep):
    """An unpaid $100 invoice (its card was declined)."""
    from billing.actions import add_card

    bad = add_card(contact, token="pm_card_chargeDeclined", actor=manager, make_default=False)
    return charge_sale(contact, lines=[SaleLine(product)], payment_method=bad, actor=rep)


def test_stacked_invoice_discounts_stay_within_the_limit_in_all(open_invoice, rep):
    discount_invoice(open_invoice, percent=Decimal("20"), actor=rep, reason="first")
    before = counts()
    for _ in range(4):
        with pytest.raises(errors.AboveRepLimit) as refused:
            discount_invoice(open_invoice, percent=Decimal("20"), actor=rep, reason="again")
    assert refused.value.message == limits.INVOICE_DISCOUNT_LEFT.format(left="USD 0.00", limit=20)
    assert refused.value.field == "percent"
    assert counts() == before
    assert amount_due(open_invoice) == usd("80.00")


def test_split_invoice_discounts_are_added_up(open_invoice, rep, manager):
    discount_invoice(open_invoice, amount=usd("15"), actor=rep, reason="a")
    with pytest.raises(errors.AboveRepLimit) as refused:
        discount_invoice(open_invoice, amount=usd("10"), actor=rep, reason="b")
    assert refused.value.message == limits.INVOICE_DISCOUNT_LEFT.format(left="USD 5.00", limit=20)
    discount_invoice(open_invoice, amount=usd("5"), actor=rep, reason="c")
    discount_invoice(open_invoice, amount=usd("30"), actor=manager, reason="approved")
    assert amount_due(open_invoice) == usd("50.00")


@pytest.mark.parametrize(
    ("line", "field"),
    [
        (dict(discount=usd("999.00")), "discount"),  # 99.9% off
        (dict(unit_price=usd("0.01")), "unit_price"),  # typed down from 1,000.00
        (dict(unit_price=usd("900.00"), discount=usd("150.00")), "discount"),  # 25% together
    ],
)
def test_a_rep_cannot_sell_a_line_far_below_its_stored_price(contact, card, rep, line, field):
    product = ProductFactory(price=usd("1000.00"))
    before = counts()
    with pytest.raises(errors.AboveRepLimit) as refused:
        charge_sale(contact, lines=[SaleLine(product, **line)], payment_method=card, actor=rep)
    assert refused.value.field == field
    assert refused.value.message == limits.LINE_DISCOUNT_LEFT.format(
        left="USD 200.00", limit=20, reference="USD 1,000.00"
    )
    with pytest.raises(errors.AboveRepLimit):
        record_sale(contact, lines=[SaleLine(product, **line)], reference="PP-1", actor=rep)
    assert counts() == before


def test_a_line_within_the_limit_sells_and_a_manager_may_go_lower(contact, card, rep, manager):
    product = ProductFactory(price=usd("1000.00"))
    line = SaleLine(product, unit_price=usd("900.00"), discount=usd("100.00"))
    invoice = charge_sale(contact, lines=[line], payment_method=card, actor=rep)
    assert invoice.status == Invoice.Status.PAID
    cheap = SaleLine(product, unit_price=usd("0.01"))
    assert charge_sale(contact, lines=[cheap], payment_method=card, actor=manager).pk


def test_a_rep_cannot_reprice_an_order_far_below_its_sold_price(subscription, rep, manager):
    before = counts()
    with pytest.raises(errors.AboveRepLimit) as refused:
        change_order_terms(subscription, unit_price=usd("0.01"), actor=rep, reason="x")
    assert refused.value.field == "unit_price"
    assert refused.value.message == limits.ORDER_DISCOUNT_LEFT.format(
        left="USD 20.00", limit=20, reference="USD 100.00"
    )
    assert counts() == before
    change_order_terms(subscription, unit_price=usd("0.01"), actor=manager, reason="approved")
    subscription.refresh_from_db()
    assert subscription.unit_price == usd("0.01")


def test_repricing_in_steps_is_measured_from_the_sold_price(subscription, rep):
    change_order_terms(subscription, unit_price=usd("80.00"), actor=rep, reason="a")
    with pytest.raises(errors.AboveRepLimit):
        change_order_terms(subscription, unit_price=usd("64.00"), actor=rep, reason="b")
    subscription.refresh_from_db()
    assert subscription.unit_price == usd("80.00")
    # More units at the same unit price are no discount.
    change_order_terms(subscription, quantity=3, actor=rep, reason="c")


def test_an_order_discount_counts_with_its_repricing(subscription, rep):
    change_order_terms(subscription, unit_price=usd("90.00"), actor=rep, reason="a")
    with pytest.raises(errors.AboveRepLimit) as refused:
        discount_order(subscription, percent=Decimal("20"), actor=rep, reason="b")
    assert refused.value.field == "percent"
    discount_order(subscription, amount=usd("10.00"), actor=rep, reason="c")
    with pytest.raises(errors.AboveRepLimit):
        change_order_terms(subscription, unit_price=usd("89.99"), actor=rep, reason="d")


def test_a_subscription_line_sold_below_its_price_is_limited_too(contact, card, rep):
    product = ProductFactory(price=usd("100.00"))
    line = SaleLine(product, unit_price=usd("50.00"), terms=PaymentTerms.subscription())
    with pytest.raises(errors.AboveRepLimit):
        charge_sale(contact, lines=[line], payment_method=card, actor=rep)


def test_a_plan_discount_is_measured_against_its_next_installment(plan, rep):
    with pytest.raises(errors.AboveRepLimit) as refused:
        discount_order(plan, amount=usd("80.00"), actor=rep, reason="x")  # 80% of a $100 part
    assert refused.value.message == limits.ORDER_DISCOUNT_LEFT.format(
        left="USD 20.00", limit=20, reference="USD 100.00"
    )
    discount_order(plan, amount=usd("20.00"), actor=rep, reason="within")


def test_a_stored_offer_sells_as_stored_and_the_allowance_starts_there(contact, card, rep, manager):
    from offers.actions import store_offer

    product = ProductFactory(price=usd("150.00"))
    stored = [SaleLine(product, unit_price=usd("150.00"), discount=usd("50.00"))]  # 33% off
    offer = store_offer("Starter bundle", "USD", stored, actor=manager)
    assert charge_sale(contact, lines=offer.lines_for_sale(), payment_method=card, actor=rep).pk
    with pytest.raises(errors.AboveRepLimit) as refused:
        charge_sale(
            contact, lines=[SaleLine(product, unit_price=usd("79.99"))],
            payment_method=card, actor=rep,
        )  # fmt: skip
    assert refused.value.message == limits.LINE_DISCOUNT_LEFT.format(
        left="USD 20.00", limit=20, reference="USD 100.00"
    )
