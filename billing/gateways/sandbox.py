"""The embedded sandbox gateway: deterministic, no network, behaving as Stripe documents its
published test cards.

Its state lives in its own tables (SandboxCard, SandboxTransaction) so every process sees the
same gateway. Its test cards and card capture: billing/gateways/sandbox_cards.py. Faults for
tests: `inject_timeout("before")` loses the call before any charge, `inject_timeout("after")`
records the charge and then loses the answer, `inject_busy()` turns the call away as a rate
limit does; `slow_down(ms)` makes every charge and refund take that long, as a real network
does (the crash tests stop and kill sweeps part-way through a batch).
"""

import hashlib
import re
import threading
import time
from collections.abc import Iterable

from django.core import signing
from django.db import connection
from django.db.models import Sum
from django.urls import reverse
from django.utils import timezone

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
from billing.gateways.sandbox_cards import SETUP_SALT, TEST_CARDS, object_id
from billing.models import SandboxCard, SandboxTransaction

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
# A sweep's lanes call from several threads: each injected fault is taken by one call.
_faults_lock = threading.Lock()


def inject_timeout(when: str, times: int = 1) -> None:
    """Make the next `times` gateway calls time out "before" or "after" they take effect."""
    if when not in ("before", "after"):
        raise ValueError(f"timeout {when!r}: say 'before' or 'after'")
    _timeouts.extend([when] * times)


def inject_busy(times: int = 1) -> None:
    """Make the next `times` gateway calls be turned away by a rate limit, doing nothing."""
    _timeouts.extend(["busy"] * times)


def slow_down(ms: float) -> None:
    """Make every later charge and refund in this process take `ms` milliseconds."""
    _delay["seconds"] = ms / 1000


def clear_faults() -> None:
    _timeouts.clear()
    _delay["seconds"] = 0.0


def _fault(stage: str) -> None:
    if stage == "before" and _delay["seconds"]:
        time.sleep(_delay["seconds"])
    # "busy" turns a call away before it does anything.
    takes = (stage, "busy") if stage == "before" else (stage,)
    with _faults_lock:
        fault = _timeouts.pop(0) if _timeouts and _timeouts[0] in takes else None
    if fault == "busy":
        raise GatewayBusy("sandbox: too many requests")
    if fault == stage:
        raise GatewayTimeout(f"sandbox: timed out {stage} the call")


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


_COLUMNS = [f for f in SandboxTransaction._meta.concrete_fields if not f.primary_key]
# One statement, no savepoint, whether or not the caller is in a transaction: a key used
# concurrently inserts nothing instead of raising.
_INSERT = f"""
    INSERT INTO {SandboxTransaction._meta.db_table} ({", ".join(f.column for f in _COLUMNS)})
    VALUES ({", ".join(["%s"] * len(_COLUMNS))})
    ON CONFLICT (idempotency_key) DO NOTHING RETURNING id
"""


# A charge in one round trip: the renewal and dunning sweeps charge through here once per
# charge, and the sandbox stands in for a network call, so its own cost should not hide the
# sweeps' (issue 13). The card's behaviour decides the outcome inside the statement; a key
# used before, or a card the customer does not hold, inserts nothing.
_OUTCOMES = {
    behaviour: ("failed" if card.decline_code else "succeeded", card.decline_code)
    for behaviour, card in TEST_CARDS.items()
}


def _by_behaviour(pick: int) -> str:
    """The CASE choosing a charge's status (0) or decline code (1) by the card's behaviour,
    its constants written in: passed as parameters, they cost more than the statement."""
    words = {word for behaviour, outcome in _OUTCOMES.items() for word in (behaviour, *outcome)}
    if not all(re.fullmatch(r"\w*", word) for word in words):
        raise ValueError("the sandbox's outcomes must be plain words, safe to quote")
    whens = " ".join(f"WHEN '{b}' THEN '{o[pick]}'" for b, o in _OUTCOMES.items())
    return f"CASE c.behaviour {whens} END"


_CHOSEN = {"status": _by_behaviour(0), "decline_code": _by_behaviour(1)}
_CHARGE = f"""
    INSERT INTO {SandboxTransaction._meta.db_table} ({", ".join(f.column for f in _COLUMNS)})
    SELECT {", ".join(_CHOSEN.get(f.name, "%s") for f in _COLUMNS)}
    FROM {SandboxCard._meta.db_table} AS c WHERE c.token = %s AND c.customer = %s
    ON CONFLICT (idempotency_key) DO NOTHING RETURNING status, decline_code
"""


def _charge_params(txn: SandboxTransaction, card: str, customer: str) -> list:
    values = [
        field.get_db_prep_save(getattr(txn, field.attname), connection)
        for field in _COLUMNS
        if field.name not in _CHOSEN
    ]
    return [*values, card, customer]


class SandboxGateway:
    name = "sandbox"
    currencies = CURRENCIES

    def create_customer(self, *, email: str, name: str) -> str:
        return object_id("cus_sbx_")

    def attach_card(self, *, customer: str, token: str) -> CardDetails:
        card = TEST_CARDS.get(token)
        if card is None:
            raise GatewayError(f"No such test card token: {token!r}")
        stored = SandboxCard.objects.create(
            token=object_id("pm_sbx_"),
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
        setup_id = object_id("seti_sbx_")
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
        txn = SandboxTransaction(ref=object_id(f"{fields['kind'][:2]}_sbx_"), **fields)
        txn.created_at = timezone.now()
        values = [f.get_db_prep_save(getattr(txn, f.attname), connection) for f in _COLUMNS]
        with connection.cursor() as cursor:
            cursor.execute(_INSERT, values)
            row = cursor.fetchone()
        if row is None:
            # A concurrent call with the same key got there first: answer as it did.
            return self._existing(fields["idempotency_key"], fields["fingerprint"])
        txn.pk = row[0]
        return txn

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
        txn = SandboxTransaction(
            kind="charge",
            ref=object_id("ch_sbx_"),
            idempotency_key=idempotency_key,
            fingerprint=fingerprint,
            amount_minor=amount_minor,
            currency=currency,
            card=card,
            created_at=timezone.now(),
        )
        with connection.cursor() as cursor:
            cursor.execute(_CHARGE, _charge_params(txn, card, customer))
            row = cursor.fetchone()
        if row is not None:
            txn.status, txn.decline_code = row
        else:
            # The key was used before (a replay, or a concurrent call): answer as the first
            # call did. Or the customer holds no such card.
            txn = self._existing(idempotency_key, fingerprint)
            if txn is None:
                raise GatewayError("No such card for this customer")
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
