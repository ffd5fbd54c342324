"""Refunds and cards on file."""

import pytest
from django.urls import reverse

from billing import errors
from billing.gateways.base import GatewayTimeout
from billing.gateways.sandbox import SandboxGateway
from billing.models import PaymentMethod, Refund
from tests.factories import ContactFactory
from tests.helpers import HTMX, counts, sandbox_setup, text, usd


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
    response = outsider_client.post(_card_url(contact), {"setup": sandbox_setup(contact)})
    assert response.status_code == 403
    assert not PaymentMethod.objects.exists()


def test_it_adds_the_card_the_browser_gave_the_processor(rep_client, contact):
    page = text(rep_client.get(_card_url(contact), **HTMX))
    # The widget: the sandbox processor's address and no field that would post a number here.
    assert "data-card-capture" in page and "/sandbox-gateway/v1/setup_intents/seti_sbx_" in page
    assert 'name="number"' not in page and 'name="token"' not in page

    setup = sandbox_setup(contact, "pm_card_mastercard", expiry=(3, 31))
    response = rep_client.post(_card_url(contact), {"setup": setup, "make_default": "on"}, **HTMX)

    assert response.status_code == 200
    assert response["HX-Retarget"] == "#contact-header"
    card = PaymentMethod.objects.get(contact=contact)
    assert (card.brand, card.last4, card.is_default) == ("mastercard", "4444", True)
    assert (card.exp_month, card.exp_year) == (3, 2031)
    assert card.token.startswith("pm_sbx_")


def test_the_same_setup_posted_twice_adds_one_card(rep_client, contact):
    setup = sandbox_setup(contact, "pm_card_amex")
    for _ in range(2):
        assert rep_client.post(_card_url(contact), {"setup": setup}, **HTMX).status_code == 200
    assert PaymentMethod.objects.get(contact=contact).brand == "amex"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"setup": "seti_sbx_neverconfirmed"}, "No card was confirmed on this form"),
        ({"setup": "pm_card_visa"}, "Enter the card again."),
        ({}, "Enter a card."),
    ],
)
def test_a_card_not_confirmed_at_the_processor_is_refused_at_the_field(
    rep_client, contact, data, message
):
    response = rep_client.post(_card_url(contact), data, **HTMX)
    assert response.status_code == 422
    assert message in text(response)
    assert not PaymentMethod.objects.exists()


def test_a_gateway_that_cannot_start_a_capture_is_told_in_the_form(
    rep_client, contact, monkeypatch
):
    def down(self, *, customer):
        raise GatewayTimeout("stripe: connection failed")

    monkeypatch.setattr(SandboxGateway, "start_card_setup", down)
    response = rep_client.get(_card_url(contact), **HTMX)
    assert response.status_code == 200
    assert "The card form could not be opened (stripe: connection failed)" in text(response)


def test_a_setup_of_another_contact_is_refused(rep_client, contact):
    other = ContactFactory(first_name="Bob")
    setup = sandbox_setup(other)
    response = rep_client.post(_card_url(contact), {"setup": setup}, **HTMX)
    assert response.status_code == 422
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
