"""The sandbox gateway's test cards and its card capture, as Stripe's SetupIntents work.

`SandboxGateway.start_card_setup` hands the browser a setup id and a client secret signed with
the customer; the browser posts the typed test card to the stand-in processor
(billing/gateways/sandbox_processor.py, under /sandbox-gateway/, as if it were the processor's
domain), which calls `confirm_setup` here; Paydesk then receives only the setup id and
`finish_card_setup` looks up the card it became. The test-card table is read by the sandbox
alone: no Paydesk form sees a number.
"""

import secrets
import string
from dataclasses import dataclass

from django.core import signing
from django.db import IntegrityError, transaction
from django.urls import reverse

from billing import declines
from billing.gateways.base import GatewayError
from billing.models import SandboxCard
from core import clock

# Ids in Stripe's style: letters and digits. Hex (token_hex) can hold a run of 13+ digits that
# passes the Luhn check, which the card-number scan would rightly report as a stored card.
_ID_CHARS = string.ascii_letters + string.digits


def object_id(prefix: str) -> str:
    return prefix + "".join(secrets.choice(_ID_CHARS) for _ in range(24))


@dataclass(frozen=True)
class TestCard:
    number: str
    brand: str
    decline_code: str = ""


# Stripe's published test PaymentMethods and the card numbers behind them.
TEST_CARDS = {
    "pm_card_visa": TestCard("4242424242424242", "visa"),
    "pm_card_mastercard": TestCard("5555555555554444", "mastercard"),
    "pm_card_amex": TestCard("378282246310005", "amex"),
    "pm_card_chargeDeclined": TestCard("4000000000000002", "visa", "generic_decline"),
    "pm_card_chargeDeclinedInsufficientFunds": TestCard(
        "4000000000009995", "visa", "insufficient_funds"
    ),
    "pm_card_chargeDeclinedExpiredCard": TestCard("4000000000000069", "visa", "expired_card"),
    "pm_card_chargeDeclinedProcessingError": TestCard(
        "4000000000000119", "visa", "processing_error"
    ),
    "pm_card_chargeDeclinedLostCard": TestCard("4000000000009987", "visa", "lost_card"),
    "pm_card_chargeDeclinedStolenCard": TestCard("4000000000009979", "visa", "stolen_card"),
    "pm_card_chargeDeclinedFraudulent": TestCard("4100000000000019", "visa", "fraudulent"),
    # Set up without trouble, declined when charged (Stripe's "charge customer fail" card).
    "pm_card_chargeCustomerFail": TestCard("4000000000000341", "visa", "generic_decline"),
    # The bank asks the cardholder to authenticate (3-D Secure) when the card is set up; later
    # off-session charges go through.
    "pm_card_authenticationRequiredOnSetup": TestCard("4000002500003155", "visa"),
}
_BY_NUMBER = {card.number: token for token, card in TEST_CARDS.items()}
# Stripe checks a card with its bank when it is set up, so a declining test card is refused
# there, except the one made to set up fine and fail later.
_DECLINED_AT_SETUP = {
    token
    for token, card in TEST_CARDS.items()
    if card.decline_code and token != "pm_card_chargeCustomerFail"
}
_NEEDS_AUTHENTICATION = {"pm_card_authenticationRequiredOnSetup"}
SETUP_SALT = "billing.gateways.sandbox.setup"
SETUP_MAX_AGE = 3600  # seconds a capture form stays usable, as a SetupIntent's client secret


class SetupRefused(GatewayError):
    """The stand-in processor refuses a card capture; `code` as Stripe would name it."""

    def __init__(self, message: str, code: str, status: int = 400) -> None:
        super().__init__(message)
        self.code = code
        self.status = status


def tokenize_test_card(number: str) -> str:
    """A published test number as its test token; any other number is refused."""
    digits = "".join(ch for ch in number if ch.isdigit())
    try:
        return _BY_NUMBER[digits]
    except KeyError:
        raise SetupRefused(
            "The sandbox accepts only Stripe's published test card numbers "
            "(e.g. 4242 4242 4242 4242).",
            "invalid_number",
        ) from None


def _setup_customer(setup_id: str, client_secret: str) -> str:
    """The customer the setup was started for, if `client_secret` is the one it was given."""
    try:
        signed_id, customer = signing.loads(client_secret, salt=SETUP_SALT, max_age=SETUP_MAX_AGE)
    except (signing.BadSignature, ValueError, TypeError):
        raise SetupRefused("This card form has expired: open it again.", "setup_expired") from None
    if signed_id != setup_id:
        raise SetupRefused("No such setup.", "resource_missing", 404)
    return customer


def _expiry(exp_month: int, exp_year: int) -> tuple[int, int]:
    year = exp_year + 2000 if exp_year < 100 else exp_year
    today = clock.today()
    if not 1 <= exp_month <= 12 or not today.year <= year <= today.year + 20:
        raise SetupRefused("The card's expiry date is not valid.", "invalid_expiry_year")
    if (year, exp_month) < (today.year, today.month):
        raise SetupRefused("The card has expired.", "expired_card", 402)
    return exp_month, year


def _setup_state(card: SandboxCard) -> dict:
    if card.awaiting_authentication:
        # As Stripe's next_action: where the cardholder answers the bank's challenge.
        url = reverse("sandbox_gateway:setup-authenticate", args=[card.setup])
        return {
            "id": card.setup,
            "object": "setup_intent",
            "status": "requires_action",
            "next_action": {"type": "sandbox_challenge", "url": url},
        }
    return {"id": card.setup, "object": "setup_intent", "status": "succeeded"}


def confirm_setup(
    setup_id: str, *, client_secret: str, number: str, exp_month: int, exp_year: int, cvc: str
) -> dict:
    """The stand-in processor's confirm: the typed card becomes a card of the setup's customer.
    Refusals raise SetupRefused. The number goes no further than this function."""
    customer = _setup_customer(setup_id, client_secret)
    behaviour = tokenize_test_card(number)
    month, year = _expiry(exp_month, exp_year)
    if not (cvc.isdigit() and 3 <= len(cvc) <= 4):
        raise SetupRefused("The card's security code is not valid.", "invalid_cvc")
    if behaviour in _DECLINED_AT_SETUP:
        code = TEST_CARDS[behaviour].decline_code
        raise SetupRefused(declines.customer_words(code), code, 402)
    card = TEST_CARDS[behaviour]
    try:
        with transaction.atomic():
            stored = SandboxCard.objects.create(
                token=object_id("pm_sbx_"),
                customer=customer,
                behaviour=behaviour,
                brand=card.brand,
                last4=card.number[-4:],
                exp_month=month,
                exp_year=year,
                setup=setup_id,
                awaiting_authentication=behaviour in _NEEDS_AUTHENTICATION,
            )
    except IntegrityError:
        raise SetupRefused(
            "This setup already has a card.", "setup_intent_unexpected_state"
        ) from None
    return _setup_state(stored)


def authenticate_setup(setup_id: str, *, client_secret: str, complete: bool) -> dict:
    """The cardholder's answer to the bank's challenge (the stand-in for 3-D Secure). A failed
    challenge leaves the setup without a card, so the form can take another."""
    customer = _setup_customer(setup_id, client_secret)
    card = SandboxCard.objects.filter(
        setup=setup_id, customer=customer, awaiting_authentication=True
    ).first()
    if card is None:
        raise SetupRefused("This setup is not waiting for authentication.", "unexpected_state")
    if not complete:
        card.delete()
        raise SetupRefused(
            "The bank could not authenticate the card. Try again or use another card.",
            "setup_authentication_failure",
            402,
        )
    card.awaiting_authentication = False
    card.save(update_fields=["awaiting_authentication"])
    return _setup_state(card)
