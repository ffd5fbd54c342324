"""Refunds and cards on file."""

import logging

import pytest
from django.urls import reverse

from billing import errors
from billing.models import PaymentMethod, Refund
from tests.helpers import HTMX, counts, text, usd


def _refund_url(invoice) -> str:
    return reverse("billing:payment-refund", args=[invoice.payments.get().pk])


def test_refunding_requires_login(client, paid_invoice):
    assert client.post(_refund_url(paid_invoice)).status_code == 302


def test_an_outsider_cannot_refund(outsider_client, paid_invoice):
    before = counts()
    assert outsider_client.post(_refund_url(paid_invoice), {"reason": "x"}).status_code == 403
    assert counts() == before


def test_the_refund_form_shows_what_is_left_to_refund(rep_client, paid_invoice):
    response = rep_client.get(_refund_url(paid_invoice), **HTMX)
    assert "Left to refund" in text(response)
    assert "$100.00" in text(response)


def test_it_refunds_part_of_a_payment(rep_client, paid_invoice):
    data = {"amount": "30.00", "settle": "gateway", "reason": "Damaged box"}
    response = rep_client.post(_refund_url(paid_invoice), data, **HTMX)

    assert response.status_code == 200
    assert response["HX-Retarget"] == "#invoices"
    refund = Refund.objects.get()
    assert refund.amount == usd("30.00")
    assert refund.status == Refund.Status.SUCCEEDED
    assert paid_invoice.payments.get().refundable == usd("70.00")


def test_refunding_more_than_is_left_is_refused(rep_client, paid_invoice):
    before = counts()
    data = {"amount": "150.00", "settle": "gateway", "reason": "x"}
    response = rep_client.post(_refund_url(paid_invoice), data, **HTMX)

    assert response.status_code == 422
    message = errors.AMOUNT_ABOVE_REFUNDABLE.format(left=usd("100.00"))
    assert message in text(response)
    assert counts() == before


def test_a_refund_needs_a_reason(rep_client, paid_invoice):
    before = counts()
    response = rep_client.post(_refund_url(paid_invoice), {"settle": "gateway"}, **HTMX)
    assert response.status_code == 422
    assert errors.REASON_REQUIRED in text(response)
    assert counts() == before


def _card_url(contact) -> str:
    return reverse("billing:card-add", args=[contact.pk])


def test_adding_a_card_requires_login(client, contact):
    assert client.post(_card_url(contact)).status_code == 302


def test_an_outsider_cannot_add_a_card(outsider_client, contact):
    response = outsider_client.post(_card_url(contact), {"token": "pm_card_visa"})
    assert response.status_code == 403
    assert not PaymentMethod.objects.exists()


def test_it_adds_a_test_card_by_number_and_never_keeps_the_number(rep_client, contact, caplog):
    caplog.set_level(logging.DEBUG)
    number = "5555 5555 5555 4444"
    response = rep_client.post(_card_url(contact), {"number": number, "make_default": "on"}, **HTMX)

    assert response.status_code == 200
    assert response["HX-Retarget"] == "#contact-header"
    card = PaymentMethod.objects.get(contact=contact)
    assert (card.brand, card.last4, card.is_default) == ("mastercard", "4444", True)
    assert "5555555555554444" not in text(response) and number not in text(response)
    assert "5555555555554444" not in caplog.text and number not in caplog.text


def test_it_adds_a_card_from_a_test_token(rep_client, contact):
    rep_client.post(_card_url(contact), {"token": "pm_card_amex"}, **HTMX)
    assert PaymentMethod.objects.get(contact=contact).brand == "amex"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"number": "4111 1111 1111 1111"}, "The sandbox accepts only Stripe's published"),
        ({}, "Enter a test card number or pick a test token."),
    ],
)
def test_a_bad_card_is_refused_at_the_field(rep_client, contact, data, message):
    response = rep_client.post(_card_url(contact), data, **HTMX)
    assert response.status_code == 422
    assert message in text(response)
    assert "4111" not in text(response)  # the number is not echoed back
    assert not PaymentMethod.objects.exists()


def test_it_makes_another_card_the_default(rep_client, contact, card, manager):
    from billing.actions import add_card

    other = add_card(contact, token="pm_card_mastercard", actor=manager, make_default=False)
    url = reverse("billing:card-set-default", args=[other.pk])
    response = rep_client.post(url, {}, **HTMX)

    assert response.status_code == 200
    other.refresh_from_db()
    card.refresh_from_db()
    assert other.is_default and not card.is_default


def test_an_outsider_cannot_change_the_default_card(outsider_client, card):
    url = reverse("billing:card-set-default", args=[card.pk])
    assert outsider_client.post(url, {}).status_code == 403
