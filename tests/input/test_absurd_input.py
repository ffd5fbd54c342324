"""Absurd input never reaches the database: signs, a per-currency ceiling, quantities, dates
and intervals are refused with a field message, at the form and at the action."""

import datetime as dt
import time
from decimal import Decimal

import pytest
from django.test import override_settings
from django.urls import reverse
from djmoney.money import Money

from billing.actions import (
    SaleLine,
    charge_sale,
    discount_order,
    mark_invoice_paid,
    reschedule_order,
)
from billing.errors import InvalidAmount, InvalidRequest
from core import clock, money
from offers.terms import PaymentTerms
from tests.helpers import HTMX, counts, text, usd


@pytest.mark.parametrize(
    ("amount", "currency", "ok"),
    [
        ("999999.99", "USD", True),
        ("1000000.00", "USD", False),
        ("99999999", "JPY", True),
        ("100000000", "JPY", False),
        ("99999.999", "KWD", True),
        ("100000.000", "KWD", False),
        ("-1000000.00", "USD", False),
    ],
)
def test_the_ceiling_is_the_gateways_largest_charge_in_each_currency(amount, currency, ok):
    value = Money(Decimal(amount), currency)
    if ok:
        assert money.within_ceiling(value) == value
    else:
        with pytest.raises(money.AboveCeiling):
            money.within_ceiling(value)


@override_settings(PAYDESK_MAX_AMOUNT_MINOR=500)
def test_the_ceiling_is_a_setting():
    with pytest.raises(money.AboveCeiling, match="5.00 USD"):
        money.within_ceiling(usd("5.01"))


@pytest.mark.parametrize(
    ("line", "field"),
    [
        ({"unit_price": usd("-1.00")}, "unit_price"),
        ({"unit_price": usd("12345678901234567890")}, "unit_price"),
        ({"unit_price": usd("1000000.00")}, "unit_price"),
        ({"discount": usd("-5.00")}, "discount"),
        ({"quantity": 10_001}, "quantity"),
    ],
)
def test_a_sale_action_refuses_signs_ceilings_and_quantities(
    contact, card, product, rep, line, field
):
    before = counts()
    with pytest.raises((InvalidAmount, InvalidRequest)) as refused:
        charge_sale(contact, lines=[SaleLine(product, **line)], payment_method=card, actor=rep)
    assert refused.value.field == field
    assert counts() == before


def test_a_negative_trial_price_is_refused_before_any_invoice(contact, card, product, rep):
    before = counts()
    with pytest.raises(ValueError, match="trial price"):
        PaymentTerms.subscription(trial_days=14, trial_price=usd("-50.00"))
    assert counts() == before


def test_mark_paid_refuses_a_day_in_the_future_and_an_amount_above_the_ceiling(
    rep_client, declined_invoice, rep
):
    before = counts()
    url = reverse("billing:invoice-mark-paid", args=[declined_invoice.pk])
    tomorrow = (dt.date.today() + dt.timedelta(days=2)).isoformat()
    data = {"method": "cash", "reason": "Paid at the desk", "paid_on": tomorrow}
    response = rep_client.post(url, data, **HTMX)
    assert response.status_code == 422
    assert "This day is in the future" in text(response)
    response = rep_client.post(url, {**data, "paid_on": "", "amount": "1" * 20}, **HTMX)
    assert response.status_code == 422
    assert "Enter at most 999,999.99 USD." in text(response)
    with pytest.raises(InvalidAmount):
        mark_invoice_paid(
            declined_invoice, amount=usd("1000000.00"), method="cash", actor=rep, reason="x"
        )
    assert counts() == before


def test_an_order_refuses_a_next_charge_years_away_and_a_million_discounted_charges(
    subscription, rep
):
    before = counts()
    far = clock.today() + dt.timedelta(days=6 * 366)
    with pytest.raises(InvalidRequest) as refused:
        reschedule_order(subscription, next_charge_on=far, actor=rep, reason="Asked")
    assert refused.value.field == "next_charge_on"
    with pytest.raises(InvalidRequest) as refused:
        discount_order(
            subscription, percent=Decimal(10), charges=1_000_000, actor=rep, reason="Loyal"
        )
    assert refused.value.field == "charges"
    assert counts() == before


def test_the_order_forms_say_so_at_the_field(rep_client, subscription):
    far = (dt.date.today() + dt.timedelta(days=6 * 366)).isoformat()
    url = reverse("billing:order-reschedule", args=[subscription.pk])
    response = rep_client.post(url, {"next_charge_on": far, "reason": "Asked"}, **HTMX)
    assert response.status_code == 422
    assert "Enter a day within 5 years from today." in text(response)
    url = reverse("billing:order-discount", args=[subscription.pk])
    data = {"percent": "10", "charges": "1000000", "reason": "Loyal"}
    response = rep_client.post(url, data, **HTMX)
    assert response.status_code == 422
    assert "less than or equal to 120" in text(response)


def test_a_dunning_interval_of_a_trillion_days_is_refused(manager_client):
    data = {"name": "Forever", "interval_days": "999999999999", "window_days": "30"}
    data |= {"max_attempts": "5", "final_action": "leave"}
    response = manager_client.post(reverse("dunning:policy-create"), data)
    assert response.status_code == 422
    assert "less than or equal to 365" in text(response)


def test_a_plan_of_a_million_installments_is_a_field_error_in_well_under_a_second(
    rep_client, contact, card, product
):
    before = counts()
    data = {
        "contact": contact.pk,
        "currency": "USD",
        "lines-TOTAL_FORMS": "1",
        "lines-INITIAL_FORMS": "0",
        "lines-0-product": product.pk,
        "lines-0-quantity": "1",
        "lines-0-terms": "payment_plan",
        "lines-0-unit": "month",
        "lines-0-paid_now": "0",
        "lines-0-installments": "1000000",
    }
    started = time.monotonic()
    response = rep_client.post(reverse("billing:sale-new"), data)
    assert time.monotonic() - started < 1
    assert response.status_code == 422
    assert "less than or equal to 360" in text(response)
    assert counts() == before
