"""The Stripe gateway against localstripe, a fake Stripe API started on loopback for the session.

Paydesk's side sees only Stripe's published test PaymentMethod tokens and SetupIntent ids. A card
number appears only where the test plays the browser (Stripe.js confirming a SetupIntent with the
publishable key), which talks to Stripe, never to Paydesk.
"""

import datetime as dt
import uuid

import pytest
from django.urls import reverse

from billing.actions import SaleLine, add_card, charge_sale, refund_payment, remove_card
from billing.gateways import get_gateway
from billing.gateways import stripe as stripe_gateway
from billing.gateways.base import GatewayError, GatewayTimeout
from billing.invariants import breaches
from billing.models import Invoice, Payment, Refund
from billing.steps.cards import start_capture
from billing.tasks import charge_due_orders, reconcile_pending
from core import clock
from offers.terms import PaymentTerms
from tests.billing.stripe_fake import (
    AUTHENTICATION_REQUIRED,
    PUBLIC,
    SECRET,
    confirm_in_browser,
    free_port,
    read_stripe,
    typed_card,
)
from tests.helpers import usd


@pytest.fixture(autouse=True)
def _use_stripe(settings, localstripe):
    settings.STRIPE_API_HOST = localstripe
    settings.STRIPE_SECRET_KEY = SECRET
    settings.PAYDESK_GATEWAY = "stripe"


@pytest.fixture
def gateway():
    return get_gateway()


@pytest.fixture
def customer(gateway):
    return gateway.create_customer(email="ada@example.com", name="Ada Lovelace")


@pytest.fixture
def visa(gateway, customer):
    return gateway.attach_card(customer=customer, token="pm_card_visa")


def _key() -> str:
    return f"test:{uuid.uuid4().hex}"


def _charge(gateway, customer, card, amount_minor=5000, currency="USD", key=None):
    return gateway.charge(
        customer=customer,
        card=card.token,
        amount_minor=amount_minor,
        currency=currency,
        idempotency_key=key or _key(),
        description="INV-1 for Ada Lovelace",
    )


def test_get_gateway_gives_the_stripe_gateway(gateway):
    assert isinstance(gateway, stripe_gateway.StripeGateway)
    assert gateway.name == "stripe"
    assert {"USD", "EUR", "JPY", "KWD"} <= gateway.currencies


def test_it_creates_a_customer_and_attaches_a_test_card(localstripe, customer, visa):
    assert customer.startswith("cus_")
    # Stripe turns the test token into a PaymentMethod of the customer's own.
    assert visa.token.startswith("pm_") and visa.token != "pm_card_visa"
    assert (visa.brand, visa.last4) == ("visa", "4242")
    assert 1 <= visa.exp_month <= 12 and visa.exp_year >= 2026
    assert read_stripe(localstripe, f"/v1/payment_methods/{visa.token}")["customer"] == customer


def test_a_card_refused_on_attach_is_a_gateway_error(gateway, customer):
    with pytest.raises(GatewayError, match="declined"):
        gateway.attach_card(customer=customer, token="pm_card_visa_chargeDeclined")


def test_an_unknown_token_is_a_gateway_error(gateway, customer):
    with pytest.raises(GatewayError):
        gateway.attach_card(customer=customer, token="pm_no_such_card")


@pytest.mark.parametrize(("currency", "amount_minor"), [("USD", 12345), ("JPY", 5000)])
def test_a_card_captured_through_a_setup_intent_is_charged_off_session(
    localstripe, gateway, customer, currency, amount_minor
):
    setup = gateway.start_card_setup(customer=customer)
    assert setup.id.startswith("seti_") and setup.processor == "stripe"
    assert setup.public == PUBLIC
    intent = read_stripe(localstripe, f"/v1/setup_intents/{setup.id}")
    assert (intent["customer"], intent["usage"]) == (customer, "off_session")

    status, confirmed = confirm_in_browser(localstripe, setup, payment_method="pm_card_visa")
    assert (status, confirmed["status"]) == (200, "succeeded")
    card = gateway.finish_card_setup(customer=customer, setup_id=setup.id)

    assert (card.brand, card.last4, card.token) == ("visa", "4242", confirmed["payment_method"])
    assert read_stripe(localstripe, f"/v1/payment_methods/{card.token}")["customer"] == customer
    charged = _charge(gateway, customer, card, amount_minor=amount_minor, currency=currency)
    assert charged.status == "succeeded"
    paid = read_stripe(localstripe, f"/v1/payment_intents/{charged.ref}")
    assert (paid["amount"], paid["currency"], paid["payment_method"]) == (
        amount_minor,
        currency.lower(),
        card.token,
    )


def test_the_add_card_form_mounts_stripe_elements_for_a_setup_intent(
    localstripe, rep_client, contact
):
    url = reverse("billing:card-add", args=[contact.pk])
    page = rep_client.get(url, HTTP_HX_REQUEST="true").content.decode()

    assert 'data-processor="stripe"' in page and f'data-public="{PUBLIC}"' in page
    assert "data-stripe-element" in page and 'data-card="number"' not in page
    contact.refresh_from_db()
    setups = read_stripe(localstripe, "/v1/setup_intents?limit=100")["data"]
    assert any(s["customer"] == contact.gateway_customer for s in setups)


def test_a_setup_waiting_for_3d_secure_is_not_a_card_yet(localstripe, gateway, customer):
    setup = gateway.start_card_setup(customer=customer)
    status, confirmed = confirm_in_browser(
        localstripe, setup, **typed_card(AUTHENTICATION_REQUIRED)
    )
    # Stripe.js would now show the bank's challenge (confirmCardSetup handles it).
    assert (status, confirmed["status"]) == (200, "requires_action")
    with pytest.raises(GatewayError, match="authentication"):
        gateway.finish_card_setup(customer=customer, setup_id=setup.id)


def test_a_card_declined_at_setup_is_refused(localstripe, gateway, customer):
    setup = gateway.start_card_setup(customer=customer)
    status, answer = confirm_in_browser(
        localstripe, setup, payment_method="pm_card_visa_chargeDeclined"
    )
    assert (status, answer["error"]["code"]) == (402, "card_declined")
    with pytest.raises(GatewayError, match="open it again|not accepted"):
        gateway.finish_card_setup(customer=customer, setup_id=setup.id)


def test_a_setup_of_another_customer_is_refused(localstripe, gateway, customer):
    other = gateway.create_customer(email="bob@example.com", name="Bob")
    setup = gateway.start_card_setup(customer=other)
    confirm_in_browser(localstripe, setup, payment_method="pm_card_visa")
    with pytest.raises(GatewayError, match="another customer"):
        gateway.finish_card_setup(customer=customer, setup_id=setup.id)


def test_a_removed_card_is_detached_from_the_customer(
    localstripe, contact, manager, django_capture_on_commit_callbacks
):
    setup = start_capture(contact)
    confirm_in_browser(localstripe, setup, payment_method="pm_card_visa")
    card = add_card(contact, setup=setup.id, actor=manager)
    contact.refresh_from_db()
    assert card.gateway == "stripe" and contact.gateway_customer.startswith("cus_")
    assert read_stripe(localstripe, f"/v1/payment_methods/{card.token}")["customer"] == (
        contact.gateway_customer
    )

    with django_capture_on_commit_callbacks(execute=True):
        remove_card(card, actor=manager, reason="Customer asked")

    assert read_stripe(localstripe, f"/v1/payment_methods/{card.token}")["customer"] is None


def test_it_charges_a_card_off_session(localstripe, gateway, customer, visa):
    key = _key()
    result = _charge(gateway, customer, visa, amount_minor=12345, key=key)

    assert result.status == "succeeded"
    assert result.ref.startswith("pi_")
    intent = read_stripe(localstripe, f"/v1/payment_intents/{result.ref}")
    assert (intent["amount"], intent["currency"], intent["status"]) == (12345, "usd", "succeeded")
    assert (intent["customer"], intent["payment_method"]) == (customer, visa.token)
    assert intent["metadata"]["idempotency_key"] == key


def test_a_declined_charge_is_a_soft_failure(gateway, customer):
    failing = gateway.attach_card(customer=customer, token="pm_card_chargeCustomerFail")
    key = _key()

    result = _charge(gateway, customer, failing, key=key)

    assert result.status == "failed"
    # localstripe sends no decline_code, only Stripe's generic error code.
    assert result.decline_code == "card_declined"
    assert result.message == "Your card was declined."
    assert not result.hard_decline
    found = gateway.find_charge(key)
    assert (found.status, found.decline_code) == ("failed", "card_declined")
    assert found.ref.startswith("pi_")


def test_a_bank_decline_code_decides_hard_or_soft():
    # localstripe cannot send a decline_code, so the mapping is checked on Stripe's own error.
    def declined(decline_code):
        body = {"error": {"type": "card_error", "code": "card_declined", "message": "Declined."}}
        body["error"]["decline_code"] = decline_code
        error = stripe_gateway.stripe.CardError(
            "Declined.", None, "card_declined", http_status=402, json_body=body
        )
        return stripe_gateway._declined(error)

    lost = declined("lost_card")
    assert (lost.status, lost.decline_code, lost.hard_decline) == ("failed", "lost_card", True)
    funds = declined("insufficient_funds")
    assert (funds.decline_code, funds.hard_decline) == ("insufficient_funds", False)


def test_the_same_key_twice_charges_once(localstripe, gateway, customer, visa):
    key = _key()
    first = _charge(gateway, customer, visa, key=key)
    again = _charge(gateway, customer, visa, key=key)

    assert again == first
    intents = read_stripe(localstripe, "/v1/payment_intents?limit=100")["data"]
    assert [i["id"] for i in intents if i["metadata"].get("idempotency_key") == key] == [first.ref]


def test_the_same_key_with_another_amount_is_refused(gateway, customer, visa):
    key = _key()
    _charge(gateway, customer, visa, amount_minor=5000, key=key)
    with pytest.raises(GatewayError, match="same parameters"):
        _charge(gateway, customer, visa, amount_minor=6000, key=key)


def test_it_finds_a_charge_by_its_key(gateway, customer, visa):
    key = _key()
    charged = _charge(gateway, customer, visa, key=key)

    assert gateway.find_charge(key) == charged
    assert gateway.find_charge(_key()) is None


def test_it_refunds_part_of_a_payment(localstripe, gateway, customer, visa):
    charged = _charge(gateway, customer, visa, amount_minor=10000)
    key = _key()

    refunded = gateway.refund(
        charge_ref=charged.ref, amount_minor=2500, currency="USD", idempotency_key=key
    )

    assert refunded.status == "succeeded"
    assert refunded.ref.startswith("re_")
    stored = read_stripe(localstripe, f"/v1/refunds/{refunded.ref}")
    assert (stored["amount"], stored["payment_intent"]) == (2500, charged.ref)
    assert gateway.find_refund(key) == refunded
    assert gateway.find_refund(_key()) is None
    again = gateway.refund(
        charge_ref=charged.ref, amount_minor=2500, currency="USD", idempotency_key=key
    )
    assert again == refunded


def test_three_decimal_amounts_must_end_in_zero(gateway, customer, visa):
    with pytest.raises(GatewayError, match="end in 0"):
        _charge(gateway, customer, visa, amount_minor=12345, currency="KWD")
    assert _charge(gateway, customer, visa, amount_minor=12340, currency="KWD").status == (
        "succeeded"
    )


def test_it_refuses_a_currency_stripe_is_not_set_up_for(gateway, customer, visa):
    with pytest.raises(GatewayError, match="ISK"):
        _charge(gateway, customer, visa, currency="ISK")


def test_a_lost_connection_is_an_unknown_outcome(settings, visa, customer):
    settings.STRIPE_API_HOST = f"http://127.0.0.1:{free_port()}"  # nothing listens here
    with pytest.raises(GatewayTimeout):
        _charge(get_gateway(), customer, visa)


def test_a_sale_is_charged_and_refunded_through_stripe(localstripe, contact, product, manager, rep):
    card = add_card(contact, token="pm_card_visa", actor=manager)
    contact.refresh_from_db()
    assert card.gateway == "stripe" and card.token.startswith("pm_")
    assert contact.gateway_customer.startswith("cus_")

    invoice = charge_sale(
        contact,
        lines=[SaleLine(product, quantity=2)],
        payment_method=card,
        actor=rep,
    )

    assert invoice.status == Invoice.Status.PAID
    payment = invoice.payments.get()
    assert (payment.status, payment.gateway, payment.amount) == (
        Payment.Status.SUCCEEDED,
        "stripe",
        usd("200.00"),
    )
    intent = read_stripe(localstripe, f"/v1/payment_intents/{payment.gateway_ref}")
    assert (intent["amount"], intent["status"]) == (20000, "succeeded")
    assert intent["metadata"]["idempotency_key"] == payment.idempotency_key

    refund = refund_payment(payment, amount=usd("30.00"), actor=manager, reason="Late start")

    assert refund.status == Refund.Status.SUCCEEDED
    assert read_stripe(localstripe, f"/v1/refunds/{refund.gateway_ref}")["amount"] == 3000
    payment.refresh_from_db()
    assert payment.amount_refunded == usd("30.00")
    assert breaches() == []


@pytest.mark.parametrize(
    ("when", "settled"),
    # Lost before: Stripe never saw the key, so reconcile sends the charge under it.
    [("after", Payment.Status.SUCCEEDED), ("before", Payment.Status.SUCCEEDED)],
)
def test_a_lost_answer_is_settled_by_asking_stripe(
    monkeypatch, contact, product, manager, rep, when, settled
):
    card = add_card(contact, token="pm_card_visa", actor=manager)
    real_charge = stripe_gateway.StripeGateway.charge

    def lost(self, **kwargs):
        if when == "after":
            real_charge(self, **kwargs)
        raise GatewayTimeout(f"lost {when} the call")

    with monkeypatch.context() as patched:
        patched.setattr(stripe_gateway.StripeGateway, "charge", lost)
        invoice = charge_sale(contact, lines=[SaleLine(product)], payment_method=card, actor=rep)
    payment = invoice.payments.get()
    assert payment.status == Payment.Status.UNKNOWN

    reconcile_pending(now=clock.now() + dt.timedelta(minutes=5))

    payment.refresh_from_db()
    assert payment.status == settled
    assert payment.gateway_ref.startswith("pi_")
    assert breaches() == []


@pytest.mark.django_db(transaction=True)
def test_renewals_are_charged_over_several_lanes_at_once(
    localstripe, settings, contact, product, manager, rep
):
    """stripe-python from four threads at once (billing.steps.sending), each renewal charged once
    under its period's key."""
    settings.PAYDESK_GATEWAY_LANES = 4
    card = add_card(contact, token="pm_card_visa", actor=manager)
    monthly = SaleLine(product, terms=PaymentTerms.subscription())
    charge_sale(contact, lines=[monthly] * 8, payment_method=card, actor=rep)

    with clock.frozen_at(clock.now() + dt.timedelta(days=32)):
        assert charge_due_orders() == {"billed": 8, "charged": 8}

    renewed = Payment.objects.filter(idempotency_key__startswith="order:")
    assert renewed.count() == 8
    for payment in renewed:
        assert payment.status == Payment.Status.SUCCEEDED
        intent = read_stripe(localstripe, f"/v1/payment_intents/{payment.gateway_ref}")
        assert (intent["amount"], intent["status"]) == (10000, "succeeded")
        assert intent["metadata"]["idempotency_key"] == payment.idempotency_key
    assert breaches() == []
