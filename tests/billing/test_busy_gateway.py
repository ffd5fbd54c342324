"""A gateway too busy to take a charge (Stripe's rate limit, answered 429) did nothing: the
charge is asked again under its key after a pause, and, still turned away, left unknown for
reconcile. It is never recorded as a decline, so no order goes past due and no customer hears
of a failed payment for a card that was never tried."""

import datetime as dt

import pytest
import stripe
from django.core import mail

from billing.gateways import sandbox
from billing.gateways.base import GatewayBusy
from billing.gateways.stripe import StripeGateway
from billing.models import Order, Payment
from billing.steps import charging
from billing.tasks import charge_due_orders, reconcile_pending
from core import clock
from dunning.models import DunningCase
from tests.billing.test_renewal_batches import RENEW, sell
from tests.billing.test_sending import renewals_charged

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def short_pauses(monkeypatch):
    pauses = []
    monkeypatch.setattr(charging, "BUSY_PAUSES", (0.01, 0.02, 0.04))
    real_sleep = charging.time.sleep
    monkeypatch.setattr(charging.time, "sleep", lambda s: pauses.append(s) or real_sleep(s))
    yield pauses
    sandbox.clear_faults()


def test_a_busy_gateway_is_asked_again_and_the_charge_made_once(
    contact, card, product, rep, short_pauses
):
    sell(3, contact, card, product, rep)
    sandbox.inject_busy(2)

    with clock.frozen_at(RENEW):
        assert charge_due_orders() == {"billed": 3, "charged": 3}

    assert len(short_pauses) == 2
    # Each pause stretched at random, at most to twice its length.
    assert 0.01 <= short_pauses[0] <= 0.02 and 0.02 <= short_pauses[1] <= 0.04
    charged = renewals_charged()
    assert len(charged) == 3 and set(charged.values()) == {1}
    renewed = Payment.objects.filter(idempotency_key__startswith="order:")
    assert set(renewed.values_list("status", flat=True)) == {Payment.Status.SUCCEEDED}


def test_a_gateway_busy_past_every_pause_leaves_the_charge_unknown_never_declined(
    contact, card, product, rep
):
    sell(1, contact, card, product, rep)
    mail.outbox.clear()
    sandbox.inject_busy(len(charging.BUSY_PAUSES) + 1)

    with clock.frozen_at(RENEW):
        assert charge_due_orders() == {"billed": 1, "charged": 1}

    renewal = Payment.objects.get(idempotency_key__startswith="order:")
    assert renewal.status == Payment.Status.UNKNOWN
    assert renewals_charged() == {}
    assert not Order.objects.filter(status=Order.Status.PAST_DUE).exists()
    assert not DunningCase.objects.exists()
    assert mail.outbox == []

    # Reconcile asks the gateway by key, finds nothing, and sends it under the same key.
    reconcile_pending(now=RENEW + dt.timedelta(minutes=3))
    renewal.refresh_from_db()
    assert renewal.status == Payment.Status.SUCCEEDED
    assert renewals_charged() == {renewal.idempotency_key: 1}


def test_stripe_answering_429_is_a_busy_gateway(settings, monkeypatch):
    settings.PAYDESK_GATEWAY = "stripe"

    def limited(*args, **kwargs):
        raise stripe.RateLimitError("Too many requests", http_status=429)

    monkeypatch.setattr(stripe.PaymentIntentService, "create", limited)
    with pytest.raises(GatewayBusy):
        StripeGateway().charge(
            customer="cus_1", card="pm_1", amount_minor=1000, currency="USD",
            idempotency_key="payment:1", description="INV-000001",
        )  # fmt: skip
