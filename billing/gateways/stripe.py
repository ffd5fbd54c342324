"""The Stripe gateway: customers, card capture through SetupIntents, PaymentMethods and
off-session PaymentIntents.

Card capture: `start_card_setup` creates a SetupIntent for the contact's Customer
(usage=off_session, so the bank's 3-D Secure happens now, with the cardholder there);
Stripe.js confirms it in the browser with Elements and the publishable key; `finish_card_setup`
reads the succeeded SetupIntent and its PaymentMethod. The card number only ever goes to Stripe.

Every money-moving call sends our idempotency key twice: as Stripe's `Idempotency-Key` header,
so a retried call returns the first answer instead of charging again (Stripe keeps keys for 24
hours), and as `metadata["idempotency_key"]`, so `find_charge` / `find_refund` can look the
object up later. They look it up by *listing* (newest first, 100 a page, at most
`SCAN_LIMIT` objects) and matching the metadata, because:
- replaying the create with the same key is no lookup: if the first call never reached Stripe,
  the replay would charge;
- Stripe's search API lags writes (usually under a minute, up to an hour during incidents), so a
  search miss proves nothing, and localstripe has no search at all. Lists are consistent.
So "not found" (None) is answered only when the whole list was read. When `SCAN_LIMIT` is hit
first, a search hit still settles it; otherwise the outcome stays unknown (GatewayTimeout) for a
human, rather than a charge that may have happened being called failed. Refunds have no search
API, so an old unknown refund past the limit also stays unknown.

dj-stripe is left to the webhooks (signed events, which dj-stripe re-retrieves and syncs). A
`PaymentIntent.sync_from_stripe_data` after each charge does work against localstripe (with the
test shim's /v1/account), but it is not done here: it makes four more API calls (customer,
account twice, payment method) after money has moved, any failure of which would have to be
swallowed, and it goes through stripe-python's global `api_base`/`api_key` (set once by
dj-stripe at start-up), not this client, so the two can point at different servers.

Currencies are Stripe's, in ISO 4217 minor units (core.money). ISK and UGX are left out:
Stripe takes them as two-decimal amounts although ISO gives them none, so our minor units
would be off by 100. For BHD, JOD, KWD, OMR and TND Stripe requires the last of the three
decimals to be 0 (https://docs.stripe.com/currencies#three-decimal); we refuse other amounts
before calling rather than let Stripe reject them half way through a sale.

localstripe (tests, demo) differs from Stripe: it ignores `Idempotency-Key` (the test shim adds
Stripe's replay), has no `description` on PaymentIntents (so the description goes in metadata),
no search, lists oldest first, reports declines as `card_declined` without a decline_code, and
does not attach a confirmed SetupIntent's card to its customer (`finish_card_setup` does).
"""

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from itertools import islice

import stripe
from django.conf import settings

from billing import declines
from billing.gateways.base import (
    CardDetails,
    CardSetup,
    ChargeResult,
    GatewayBusy,
    GatewayError,
    GatewayTimeout,
    GatewayTransaction,
    RefundResult,
)

STRIPE_CURRENCIES = frozenset(
    {
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
        "PLN",
        "CZK",
        "HUF",
        "RON",
        "JPY",
        "KRW",
        "SGD",
        "HKD",
        "MXN",
        "BRL",
        "ZAR",
        "INR",
        "AED",
        "SAR",
        "ILS",
        "THB",
        "MYR",
        "PHP",
        "IDR",
        "TWD",
        "KWD",
        "BHD",
        "JOD",
        "OMR",
        "TND",
    }
)
LAST_DIGIT_ZERO = frozenset({"BHD", "JOD", "KWD", "OMR", "TND"})
SCAN_LIMIT = 1000
TIMEOUT_SECONDS = 30

UNSUPPORTED_CURRENCY = "Stripe does not take payments in {currency} here."
AMOUNT_NOT_POSITIVE = "The amount must be positive."
LAST_DIGIT_NOT_ZERO = "Stripe needs {currency} amounts to end in 0 (a multiple of 0.010)."
NOT_A_CARD = "That payment method is not a card."
SETUP_NOT_DONE = {
    "requires_payment_method": "The card was not accepted: enter it again or use another card.",
    "requires_confirmation": "The card was not confirmed: enter it again.",
    "requires_action": "The bank's authentication of this card was not completed.",
    "processing": "Stripe is still checking this card: try again in a moment.",
    "canceled": "This card form was cancelled: open it again.",
}
SETUP_OTHER_CUSTOMER = "This card setup belongs to another customer."
STILL_OPEN = "Stripe has not finished this {what} yet ({status})."
NOT_PROVEN = "Stripe's recent {what}s do not include this key; its outcome stays unknown."


def _client() -> stripe.StripeClient:
    host = getattr(settings, "STRIPE_API_HOST", "")
    return stripe.StripeClient(
        settings.STRIPE_SECRET_KEY,
        base_addresses={"api": host} if host else None,
        stripe_version=settings.STRIPE_API_VERSION,
        # Safe to retry: every POST carries an idempotency key (ours, or stripe-python's own).
        max_network_retries=2,
        http_client=stripe.new_default_http_client(timeout=TIMEOUT_SECONDS),
    )


@contextmanager
def _translated(*, declines: bool = False) -> Iterator[None]:
    """Stripe's exceptions as ours. With `declines`, a CardError is left for the caller."""
    try:
        yield
    except stripe.CardError as exc:
        if declines:
            raise
        raise GatewayError(exc.user_message or "The card was declined.") from None
    except stripe.RateLimitError as exc:
        # 429: Stripe did nothing. Its lock-timeout 429s carry Stripe-Should-Retry and are
        # retried by stripe-python itself; what reaches here is the account's rate limit.
        raise GatewayBusy(f"stripe: {exc.user_message or 'too many requests'}") from None
    except stripe.APIConnectionError as exc:
        # The request may have reached Stripe before the connection failed.
        raise GatewayTimeout(f"stripe: {exc.user_message or 'connection failed'}") from None
    except stripe.APIError as exc:
        # A 5xx means Stripe may have acted on the request: unknown, not refused.
        if exc.http_status is None or exc.http_status >= 500:
            raise GatewayTimeout(f"stripe: {exc.user_message or 'server error'}") from None
        raise GatewayError(exc.user_message or "Stripe refused the request.") from None
    except stripe.StripeError as exc:
        # Invalid request, idempotency conflict, auth: Stripe did nothing.
        raise GatewayError(exc.user_message or type(exc).__name__) from None


def _check_amount(amount_minor: int, currency: str) -> None:
    if currency not in STRIPE_CURRENCIES:
        raise GatewayError(UNSUPPORTED_CURRENCY.format(currency=currency))
    if amount_minor <= 0:
        raise GatewayError(AMOUNT_NOT_POSITIVE)
    if currency in LAST_DIGIT_ZERO and amount_minor % 10:
        raise GatewayError(LAST_DIGIT_NOT_ZERO.format(currency=currency))


def _failed(ref: str, code: str, message: str) -> ChargeResult:
    return ChargeResult(
        status="failed",
        ref=ref,
        decline_code=code,
        message=message,
        hard_decline=declines.is_hard(code),
    )


def _declined(exc: stripe.CardError) -> ChargeResult:
    error = exc.error
    # Stripe puts the bank's reason in decline_code; `code` is only "card_declined" etc.
    code = (error.decline_code if error else None) or exc.code or "card_declined"
    intent = error.payment_intent if error else None
    return _failed(intent.id if intent else "", code, exc.user_message or "")


def _charge_result(intent: stripe.PaymentIntent) -> ChargeResult:
    if intent.status == "succeeded":
        return ChargeResult(status="succeeded", ref=intent.id)
    if intent.status in ("requires_payment_method", "canceled"):
        error = getattr(intent, "last_payment_error", None)
        code = getattr(error, "decline_code", None) or getattr(error, "code", None)
        return _failed(intent.id, code or intent.status, getattr(error, "message", "") or "")
    # processing / requires_action / requires_capture: money may still move, so not final.
    raise GatewayTimeout(STILL_OPEN.format(what="charge", status=intent.status))


def _refund_result(refund: stripe.Refund) -> RefundResult:
    if refund.status == "succeeded":
        return RefundResult(status="succeeded", ref=refund.id)
    if refund.status in ("failed", "canceled"):
        reason = getattr(refund, "failure_reason", None) or refund.status
        return RefundResult(status="failed", ref=refund.id, message=f"Stripe: refund {reason}")
    # pending / requires_action: Stripe may still fail it, so we cannot post it yet.
    raise GatewayTimeout(STILL_OPEN.format(what="refund", status=refund.status))


def _card_details(method: stripe.PaymentMethod) -> CardDetails:
    if method.type != "card":
        raise GatewayError(NOT_A_CARD)
    card = method.card
    return CardDetails(method.id, card.brand, card.last4, card.exp_month, card.exp_year)


def _key_of(obj: stripe.StripeObject) -> str | None:
    # StripeObject is not a dict in stripe-python 15: no .get(), missing keys raise.
    return getattr(getattr(obj, "metadata", None), "idempotency_key", None)


class StripeGateway:
    name = "stripe"
    currencies = STRIPE_CURRENCIES

    def __init__(self) -> None:
        self._stripe = _client()

    def create_customer(self, *, email: str, name: str) -> str:
        # Stripe refuses empty strings for these, so leave out what we do not know.
        params = {field: value for field, value in (("email", email), ("name", name)) if value}
        with _translated():
            return self._stripe.v1.customers.create(params).id

    def attach_card(self, *, customer: str, token: str) -> CardDetails:
        # Test tokens like "pm_card_visa" come back as a new PaymentMethod: keep its id.
        with _translated():
            method = self._stripe.v1.payment_methods.attach(token, {"customer": customer})
        return _card_details(method)

    def start_card_setup(self, *, customer: str) -> CardSetup:
        # usage=off_session: Stripe asks for 3-D Secure now, when the cardholder is there, so
        # renewals and dunning retries can charge without them later.
        params = {"customer": customer, "usage": "off_session", "payment_method_types": ["card"]}
        with _translated():
            intent = self._stripe.v1.setup_intents.create(params)
        return CardSetup(intent.id, intent.client_secret, "stripe", settings.STRIPE_PUBLIC_KEY)

    def finish_card_setup(self, *, customer: str, setup_id: str) -> CardDetails:
        with _translated():
            intent = self._stripe.v1.setup_intents.retrieve(setup_id)
            if intent.status != "succeeded":
                raise GatewayError(SETUP_NOT_DONE.get(intent.status, intent.status))
            if intent.customer != customer:
                raise GatewayError(SETUP_OTHER_CUSTOMER)
            method = self._stripe.v1.payment_methods.retrieve(intent.payment_method)
            if method.customer is None:
                # Stripe attaches the card to the setup's customer on confirmation;
                # localstripe does not, so attach it here.
                method = self._stripe.v1.payment_methods.attach(method.id, {"customer": customer})
            elif method.customer != customer:
                raise GatewayError(SETUP_OTHER_CUSTOMER)
        return _card_details(method)

    def detach_card(self, *, customer: str, token: str) -> None:
        with _translated():
            method = self._stripe.v1.payment_methods.retrieve(token)
            if method.customer == customer:
                self._stripe.v1.payment_methods.detach(token)

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
        _check_amount(amount_minor, currency)
        params = {
            "amount": amount_minor,
            "currency": currency.lower(),
            "customer": customer,
            "payment_method": card,
            "confirm": True,
            "off_session": True,
            "metadata": {"idempotency_key": idempotency_key, "description": description},
        }
        try:
            with _translated(declines=True):
                intent = self._stripe.v1.payment_intents.create(
                    params, {"idempotency_key": idempotency_key}
                )
        except stripe.CardError as exc:
            return _declined(exc)
        return _charge_result(intent)

    def refund(
        self, *, charge_ref: str, amount_minor: int, currency: str, idempotency_key: str
    ) -> RefundResult:
        _check_amount(amount_minor, currency)
        params = {
            "payment_intent": charge_ref,
            "amount": amount_minor,
            "metadata": {"idempotency_key": idempotency_key},
        }
        with _translated():
            refund = self._stripe.v1.refunds.create(params, {"idempotency_key": idempotency_key})
        return _refund_result(refund)

    def find_charge(self, idempotency_key: str) -> ChargeResult | None:
        with _translated():
            found, complete = self._scan(self._stripe.v1.payment_intents, idempotency_key)
            if found is None and not complete:
                found = self._search_intent(idempotency_key)
        if found is None and not complete:
            raise GatewayTimeout(NOT_PROVEN.format(what="PaymentIntent"))
        return _charge_result(found) if found else None

    def find_refund(self, idempotency_key: str) -> RefundResult | None:
        with _translated():
            found, complete = self._scan(self._stripe.v1.refunds, idempotency_key)
        if found is None and not complete:
            raise GatewayTimeout(NOT_PROVEN.format(what="refund"))
        return _refund_result(found) if found else None

    def _scan(self, service, key: str) -> tuple[stripe.StripeObject | None, bool]:
        """The object carrying `key` among the newest SCAN_LIMIT, and whether all were read."""
        read = 0
        for obj in islice(service.list({"limit": 100}).auto_paging_iter(), SCAN_LIMIT):
            read += 1
            if _key_of(obj) == key:
                return obj, True
        return None, read < SCAN_LIMIT

    def _search_intent(self, key: str) -> stripe.PaymentIntent | None:
        quoted = key.replace("\\", "\\\\").replace("'", "\\'")
        query = f"metadata['idempotency_key']:'{quoted}'"
        try:
            hits = self._stripe.v1.payment_intents.search({"query": query, "limit": 1}).data
        except stripe.InvalidRequestError:
            return None  # no search here (localstripe): the outcome stays unknown
        return hits[0] if hits else None

    def transactions(self, keys: Iterable[str] | None = None) -> Iterable[GatewayTransaction]:
        """Every settled PaymentIntent and refund that carries a Paydesk key (all pages). A
        refund made in Stripe's dashboard carries none: it is listed under `stripe:<id>`, the
        key its webhook recorded it under (billing.steps.reports)."""
        wanted = set(keys) if keys is not None else None
        kinds = (("charge", self._stripe.v1.payment_intents), ("refund", self._stripe.v1.refunds))
        with _translated():
            for kind, service in kinds:
                for obj in service.list({"limit": 100}).auto_paging_iter():
                    key = _key_of(obj) or (f"stripe:{obj.id}" if kind == "refund" else None)
                    settled = obj.status in ("succeeded", "failed", "canceled")
                    if key is None or not settled or (wanted is not None and key not in wanted):
                        continue
                    yield GatewayTransaction(
                        kind=kind,
                        idempotency_key=key,
                        ref=obj.id,
                        amount_minor=obj.amount,
                        currency=obj.currency.upper(),
                        status="succeeded" if obj.status == "succeeded" else "failed",
                    )
