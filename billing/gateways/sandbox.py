"""The embedded sandbox gateway: deterministic, no network, behaving as Stripe documents its
published test cards.

Its state lives in its own tables (SandboxCard, SandboxTransaction) so every process sees the
same gateway. Card capture works as Stripe's SetupIntents do: `start_card_setup` hands the
browser a setup id and a signed client secret, the browser posts the typed test card to the
stand-in processor (billing/gateways/sandbox_processor.py, under /sandbox-gateway/, as if it
were the processor's domain), which calls `confirm_setup` here; Paydesk then receives only the
setup id and asks `finish_card_setup` which card it became. The test-card table below is read
by nothing else. Faults for tests: `inject_timeout("before")` loses the call before any charge,
`inject_timeout("after")` records the charge and then loses the answer; `slow_down(ms)` makes
every charge and refund take that long, as a real network does (the crash tests stop and kill
sweeps part-way through a batch).
"""

import hashlib
import secrets
import time
from collections.abc import Iterable
from dataclasses import dataclass

from django.core import signing
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.urls import reverse

from billing import declines
from billing.gateways.base import (
    CardDetails,
    CardSetup,
    ChargeResult,
    GatewayError,
    GatewayTimeout,
    GatewayTransaction,
    RefundResult,
)
from billing.models import SandboxCard, SandboxTransaction
from core import clock


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
CURRENCIES = frozenset(
    [
        "USD",
        "EUR",
        "GBP",
        "CAD",
        "AUD",
        "NZD",
        "CHF",
        "SEK",
        "NOK",
        "DKK",
        "JPY",
        "KWD",
        "BHD",
        "JOD",
        "OMR",
        "TND",
        "MXN",
        "BRL",
        "SGD",
        "HKD",
    ]
)

_timeouts: list[str] = []
_delay = {"seconds": 0.0}


def inject_timeout(when: str, times: int = 1) -> None:
    """Make the next `times` gateway calls time out "before" or "after" they take effect."""
    if when not in ("before", "after"):
        raise ValueError(f"timeout {when!r}: say 'before' or 'after'")
    _timeouts.extend([when] * times)


def slow_down(ms: float) -> None:
    """Make every later charge and refund in this process take `ms` milliseconds."""
    _delay["seconds"] = ms / 1000


def clear_faults() -> None:
    _timeouts.clear()
    _delay["seconds"] = 0.0


def _fault(stage: str) -> None:
    if stage == "before" and _delay["seconds"]:
        time.sleep(_delay["seconds"])
    if _timeouts and _timeouts[0] == stage:
        _timeouts.pop(0)
        raise GatewayTimeout(f"sandbox: timed out {stage} the call")


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
                token=f"pm_sbx_{secrets.token_hex(10)}",
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


def _fingerprint(*parts: object) -> str:
    return hashlib.sha256("|".join(map(str, parts)).encode()).hexdigest()


def _charge_result(txn: SandboxTransaction) -> ChargeResult:
    return ChargeResult(
        status=txn.status,
        ref=txn.ref,
        decline_code=txn.decline_code,
        message=declines.customer_words(txn.decline_code),
        hard_decline=declines.is_hard(txn.decline_code),
    )


class SandboxGateway:
    name = "sandbox"
    currencies = CURRENCIES

    def create_customer(self, *, email: str, name: str) -> str:
        return f"cus_sbx_{secrets.token_hex(8)}"

    def attach_card(self, *, customer: str, token: str) -> CardDetails:
        card = TEST_CARDS.get(token)
        if card is None:
            raise GatewayError(f"No such test card token: {token!r}")
        stored = SandboxCard.objects.create(
            token=f"pm_sbx_{secrets.token_hex(10)}",
            customer=customer,
            behaviour=token,
            brand=card.brand,
            last4=card.number[-4:],
            exp_month=12,
            exp_year=2034,
        )
        return CardDetails(stored.token, stored.brand, stored.last4, 12, 2034)

    def start_card_setup(self, *, customer: str) -> CardSetup:
        # Nothing is stored until the browser confirms: the secret carries the customer, signed.
        setup_id = f"seti_sbx_{secrets.token_hex(10)}"
        return CardSetup(
            id=setup_id,
            client_secret=signing.dumps([setup_id, customer], salt=SETUP_SALT),
            processor="sandbox",
            public=reverse("sandbox_gateway:setup-confirm", args=[setup_id]),
        )

    def finish_card_setup(self, *, customer: str, setup_id: str) -> CardDetails:
        stored = SandboxCard.objects.filter(setup=setup_id, customer=customer).first()
        if stored is None:
            raise GatewayError("No card was confirmed on this form: enter the card again.")
        if stored.awaiting_authentication:
            raise GatewayError("The bank's authentication of this card was not completed.")
        return CardDetails(
            stored.token, stored.brand, stored.last4, stored.exp_month, stored.exp_year
        )

    def detach_card(self, *, customer: str, token: str) -> None:
        SandboxCard.objects.filter(token=token, customer=customer).update(customer="")

    def set_card_behaviour(self, token: str, behaviour: str) -> None:
        """Tests: make a stored card behave like another test card from now on."""
        if behaviour not in TEST_CARDS:
            raise ValueError(f"{behaviour!r} is not a sandbox test card")
        SandboxCard.objects.filter(token=token).update(behaviour=behaviour)

    def _existing(self, key: str, fingerprint: str) -> SandboxTransaction | None:
        txn = SandboxTransaction.objects.filter(idempotency_key=key).first()
        if txn and txn.fingerprint != fingerprint:
            raise GatewayError("idempotency_error: this key was used with other parameters")
        return txn

    def _record(self, **fields) -> SandboxTransaction:
        try:
            with transaction.atomic():
                return SandboxTransaction.objects.create(
                    ref=f"{fields['kind'][:2]}_sbx_{secrets.token_hex(10)}", **fields
                )
        except IntegrityError:
            # A concurrent call with the same key got there first: answer as it did.
            return self._existing(fields["idempotency_key"], fields["fingerprint"])

    def charge(
        self,
        *,
        customer: str,
        card: str,
        amount_minor: int,
        currency: str,
        idempotency_key: str,
        description: str,
    ) -> ChargeResult:
        _fault("before")
        if currency not in self.currencies:
            raise GatewayError(f"The sandbox does not support {currency}")
        if amount_minor <= 0:
            raise GatewayError("Amount must be positive")
        fingerprint = _fingerprint("charge", customer, card, amount_minor, currency)
        txn = self._existing(idempotency_key, fingerprint)
        if txn is None:
            stored = SandboxCard.objects.filter(token=card, customer=customer).first()
            if stored is None:
                raise GatewayError("No such card for this customer")
            decline_code = TEST_CARDS[stored.behaviour].decline_code
            txn = self._record(
                kind="charge",
                idempotency_key=idempotency_key,
                fingerprint=fingerprint,
                amount_minor=amount_minor,
                currency=currency,
                status="failed" if decline_code else "succeeded",
                card=card,
                decline_code=decline_code,
            )
        _fault("after")
        return _charge_result(txn)

    def refund(
        self, *, charge_ref: str, amount_minor: int, currency: str, idempotency_key: str
    ) -> RefundResult:
        _fault("before")
        fingerprint = _fingerprint("refund", charge_ref, amount_minor, currency)
        txn = self._existing(idempotency_key, fingerprint)
        if txn is None:
            charge = SandboxTransaction.objects.filter(
                ref=charge_ref, kind="charge", status="succeeded"
            ).first()
            if charge is None or charge.currency != currency:
                raise GatewayError("No such charge to refund")
            refunded = (
                SandboxTransaction.objects.filter(
                    charge_ref=charge_ref, kind="refund", status="succeeded"
                ).aggregate(total=Sum("amount_minor"))["total"]
                or 0
            )
            if refunded + amount_minor > charge.amount_minor:
                raise GatewayError("Refund exceeds the charge's remaining amount")
            txn = self._record(
                kind="refund",
                idempotency_key=idempotency_key,
                fingerprint=fingerprint,
                amount_minor=amount_minor,
                currency=currency,
                status="succeeded",
                charge_ref=charge_ref,
            )
        _fault("after")
        return RefundResult(status=txn.status, ref=txn.ref)

    def find_charge(self, idempotency_key: str) -> ChargeResult | None:
        txn = SandboxTransaction.objects.filter(
            idempotency_key=idempotency_key, kind="charge"
        ).first()
        return _charge_result(txn) if txn else None

    def find_refund(self, idempotency_key: str) -> RefundResult | None:
        txn = SandboxTransaction.objects.filter(
            idempotency_key=idempotency_key, kind="refund"
        ).first()
        return RefundResult(status=txn.status, ref=txn.ref) if txn else None

    def transactions(self, keys: Iterable[str] | None = None) -> Iterable[GatewayTransaction]:
        rows = SandboxTransaction.objects.order_by("pk")
        if keys is not None:
            rows = rows.filter(idempotency_key__in=list(keys))
        for txn in rows.iterator(chunk_size=2000):
            yield GatewayTransaction(
                kind=txn.kind,
                idempotency_key=txn.idempotency_key,
                ref=txn.ref,
                amount_minor=txn.amount_minor,
                currency=txn.currency,
                status=txn.status,
            )
