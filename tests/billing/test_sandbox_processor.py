"""The sandbox's stand-in processor (/sandbox-gateway/): what the card capture widget posts the
test card to in the browser, as Stripe's API would take it. Anonymous and CSRF-free by design,
so its input is bounded and its answers are Stripe-shaped."""

import pytest
from django.test import Client

from billing import errors
from billing.actions import add_card
from billing.gateways.sandbox_cards import TEST_CARDS
from billing.models import PaymentMethod, SandboxCard
from billing.steps.cards import start_capture


@pytest.fixture
def processor():
    # The processor's domain: no Paydesk session, and CSRF checks on as in a browser.
    return Client(enforce_csrf_checks=True)


def _confirm(processor, setup, card="pm_card_visa", **fields):
    data = {
        "client_secret": setup.client_secret,
        "number": TEST_CARDS[card].number,
        "exp_month": "12",
        "exp_year": "2030",
        "cvc": "123",
        **fields,
    }
    return processor.post(setup.public, data)


def test_a_test_card_becomes_a_card_of_the_setups_customer(processor, contact, manager):
    setup = start_capture(contact)
    response = _confirm(processor, setup, "pm_card_mastercard", exp_year="31")

    assert response.status_code == 200
    assert response.json() == {"id": setup.id, "object": "setup_intent", "status": "succeeded"}
    card = add_card(contact, setup=setup.id, actor=manager)
    assert (card.brand, card.last4, card.exp_month, card.exp_year) == (
        "mastercard",
        "4444",
        12,
        2031,
    )
    contact.refresh_from_db()
    assert SandboxCard.objects.get(token=card.token).customer == contact.gateway_customer


def test_the_bank_challenge_must_be_passed_before_the_card_is_on_file(processor, contact, manager):
    setup = start_capture(contact)
    answer = _confirm(processor, setup, "pm_card_authenticationRequiredOnSetup").json()
    assert answer["status"] == "requires_action"
    with pytest.raises(errors.GatewayRefused, match="authentication"):
        add_card(contact, setup=setup.id, actor=manager)

    failed = processor.post(
        answer["next_action"]["url"], {"client_secret": setup.client_secret, "outcome": "fail"}
    )
    assert failed.status_code == 402
    assert failed.json()["error"]["code"] == "setup_authentication_failure"

    # The same form can take the card again, and pass this time.
    answer = _confirm(processor, setup, "pm_card_authenticationRequiredOnSetup").json()
    passed = processor.post(
        answer["next_action"]["url"], {"client_secret": setup.client_secret, "outcome": "complete"}
    )
    assert passed.json()["status"] == "succeeded"
    assert add_card(contact, setup=setup.id, actor=manager).last4 == "3155"


@pytest.mark.parametrize(
    ("card", "fields", "status", "code"),
    [
        ("pm_card_chargeDeclined", {}, 402, "generic_decline"),
        ("pm_card_chargeDeclinedStolenCard", {}, 402, "stolen_card"),
        ("pm_card_visa", {"number": "4111 1111 1111 1111"}, 400, "invalid_number"),
        ("pm_card_visa", {"exp_month": "1", "exp_year": "2020"}, 400, "invalid_expiry_year"),
        ("pm_card_visa", {"exp_month": "13"}, 400, "parameter_invalid"),
        ("pm_card_visa", {"cvc": "12"}, 400, "invalid_cvc"),
        ("pm_card_visa", {"client_secret": "forged"}, 400, "setup_expired"),
        ("pm_card_visa", {"number": "4" * 41}, 400, "parameter_invalid"),
    ],
)
def test_a_refused_card_leaves_nothing_behind(processor, contact, card, fields, status, code):
    setup = start_capture(contact)
    response = _confirm(processor, setup, card, **fields)
    assert (response.status_code, response.json()["error"]["code"]) == (status, code)
    assert not SandboxCard.objects.exists()


def test_a_secret_opens_only_its_own_setup(processor, contact):
    mine, other = start_capture(contact), start_capture(contact)
    response = _confirm(processor, mine, client_secret=other.client_secret)
    assert response.status_code == 404
    assert not SandboxCard.objects.exists()


def test_a_setup_takes_one_card(processor, contact):
    setup = start_capture(contact)
    assert _confirm(processor, setup).status_code == 200
    again = _confirm(processor, setup, "pm_card_amex")
    assert again.status_code == 400
    assert SandboxCard.objects.count() == 1


def test_an_oversized_body_is_refused_unread(processor, contact):
    setup = start_capture(contact)
    response = _confirm(processor, setup, padding="x" * 4000)
    assert response.status_code == 413
    assert not SandboxCard.objects.exists()


def test_it_takes_no_get_and_is_gone_with_stripe(processor, contact, settings):
    setup = start_capture(contact)
    assert processor.get(setup.public).status_code == 405
    settings.PAYDESK_GATEWAY = "stripe"
    assert _confirm(processor, setup).status_code == 404
    assert not PaymentMethod.objects.exists()
