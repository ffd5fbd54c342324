import pytest

from billing import errors
from billing.actions import add_card
from billing.gateways import sandbox_cards
from billing.gateways.base import GatewayError
from billing.invariants import card_numbers
from billing.models import PaymentMethod


def test_the_sandbox_processor_knows_only_published_test_numbers():
    assert sandbox_cards.tokenize_test_card("4242 4242 4242 4242") == "pm_card_visa"
    assert (
        sandbox_cards.tokenize_test_card("4000-0000-0000-9979")
        == "pm_card_chargeDeclinedStolenCard"
    )
    with pytest.raises(GatewayError, match="published test card"):
        sandbox_cards.tokenize_test_card("4111 1111 1111 1111")


def test_a_card_on_file_keeps_only_token_brand_last4_and_expiry(contact, manager):
    card = add_card(contact, token="pm_card_mastercard", actor=manager)
    assert (card.brand, card.last4) == ("mastercard", "4444")
    assert card.token.startswith("pm_sbx_")
    assert str(card) == "Mastercard •••• 4444 (12/34)"


def test_an_unknown_token_is_refused_at_the_field(contact, manager):
    with pytest.raises(errors.GatewayRefused) as exc:
        add_card(contact, token="4242424242424242", actor=manager)
    assert exc.value.field == "token"
    assert not PaymentMethod.objects.exists()


def test_the_scan_finds_a_card_number_wherever_it_is_stored(contact):
    contact.company = "paid with 4242 4242 4242 4242 ok"
    contact.save()
    assert list(card_numbers()) == ["contacts_contact.company holds a card-like number"]
    contact.company = ""
    contact.save()


def test_the_same_key_adds_a_card_once(contact, manager):
    first = add_card(contact, token="pm_card_visa", actor=manager, idempotency_key="card-form-1")
    again = add_card(contact, token="pm_card_visa", actor=manager, idempotency_key="card-form-1")
    assert first.pk == again.pk
    assert PaymentMethod.objects.count() == 1
