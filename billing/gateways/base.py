"""The gateway contract: what billing asks of a card processor, and what it gets back.

Amounts cross this boundary only as integer minor units (core.money.to_minor_units). Every
money-moving call carries an idempotency key, so asking twice never moves money twice, and
`find_charge` / `find_refund` let the reconcile task settle a call whose answer was lost;
`transactions` lists what the gateway did, so `verify_ledger` can hold the ledger to it.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal, Protocol


class GatewayTimeout(Exception):
    """The call's outcome is unknown: it may or may not have happened at the gateway."""


class GatewayBusy(GatewayTimeout):
    """The gateway turned the request away for now (its rate limit): nothing was done, and the
    same request, under the same key, may be sent again after a pause. Anyone who does not
    send it again treats it as any unknown outcome: reconcile asks by key and sends it."""


class GatewayError(Exception):
    """The gateway refused the request itself (bad token, unsupported currency...)."""


@dataclass(frozen=True)
class CardDetails:
    token: str
    brand: str
    last4: str
    exp_month: int
    exp_year: int


@dataclass(frozen=True)
class CardSetup:
    """A card capture under way (Stripe's SetupIntent). The browser hands the card to the
    processor's own script with `client_secret`; Paydesk only ever gets `id` back."""

    id: str
    client_secret: str
    processor: Literal["stripe", "sandbox"]
    # Stripe: the publishable key for Stripe.js. Sandbox: the stand-in's confirm URL.
    public: str


@dataclass(frozen=True)
class ChargeResult:
    status: Literal["succeeded", "failed"]
    ref: str
    decline_code: str = ""
    message: str = ""
    hard_decline: bool = False


@dataclass(frozen=True)
class RefundResult:
    status: Literal["succeeded", "failed"]
    ref: str
    message: str = ""


@dataclass(frozen=True)
class GatewayTransaction:
    """One charge or refund as the gateway recorded it, under the key Paydesk sent."""

    kind: Literal["charge", "refund"]
    idempotency_key: str
    ref: str
    amount_minor: int
    currency: str
    status: Literal["succeeded", "failed"]


class Gateway(Protocol):
    name: str
    currencies: frozenset[str]

    def create_customer(self, *, email: str, name: str) -> str: ...

    def attach_card(self, *, customer: str, token: str) -> CardDetails:
        """A PaymentMethod token made elsewhere (a test token, the API) put on the customer."""
        ...

    def start_card_setup(self, *, customer: str) -> CardSetup:
        """Begin a card capture for the customer, for off-session charges later."""
        ...

    def finish_card_setup(self, *, customer: str, setup_id: str) -> CardDetails:
        """The card the browser confirmed on `setup_id`, on the customer; GatewayError while the
        setup is not complete (declined, authentication pending or failed, another customer)."""
        ...

    def detach_card(self, *, customer: str, token: str) -> None:
        """Take the card off the customer at the processor: it can never be charged again."""
        ...

    def charge(
        self,
        *,
        customer: str,
        card: str,
        amount_minor: int,
        currency: str,
        idempotency_key: str,
        description: str,
    ) -> ChargeResult: ...

    def refund(
        self, *, charge_ref: str, amount_minor: int, currency: str, idempotency_key: str
    ) -> RefundResult: ...

    def find_charge(self, idempotency_key: str) -> ChargeResult | None: ...

    def find_refund(self, idempotency_key: str) -> RefundResult | None: ...

    def transactions(self, keys: Iterable[str] | None = None) -> Iterable[GatewayTransaction]:
        """Every charge and refund the gateway made (only those under `keys`, if given)."""
        ...
