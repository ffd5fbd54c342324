# ruff: noqa: F811
# (the fixtures imported below are shadowed by the test arguments that name them)
"""Stripe's webhooks into the ledger: the signature check, payments, refunds, cards and the
event sync, against localstripe on loopback (helpers in tests/billing/stripe_webhooks.py)."""

import io
import json
import time

import pytest
import stripe
from django.core import mail
from django.core.management import call_command
from django.urls import reverse
from djstripe.models import WebhookEventTrigger

from billing import invariants
from billing.actions import SaleLine, add_card, charge_sale, refund_payment
from billing.gateways import stripe as stripe_gateway
from billing.gateways.base import GatewayTimeout
from billing.invariants import breaches
from billing.models import Dispute, Invoice, Journal, Payment, Refund
from billing.selectors import amount_due
from billing.tasks import sync_gateway_events
from core.models import AuditEvent
from tests.billing.stripe_fake import (
    free_port,
    read_stripe,
)
from tests.billing.stripe_webhooks import (  # noqa: F401 (fixtures)
    WEBHOOK_SECRET,
    _use_stripe,
    configure_webhook,
    deliver,
    dispute_object,
    emails,
    endpoint,
    post,
    rows,
    sale,
    signed,
    stripe_event,
)
from tests.helpers import usd


def test_a_bad_signature_or_a_stale_timestamp_is_refused_and_writes_nothing(
    client, endpoint, contact, product, manager, rep
):
    invoice = sale(contact, product, manager, rep)
    payment = invoice.payments.get()
    intent = read_stripe(stripe.api_base, f"/v1/payment_intents/{payment.gateway_ref}")
    event = stripe_event("payment_intent.succeeded", intent)
    before = rows()

    forged = deliver(client, endpoint, event, secret="whsec_" + "x" * 32)
    stale = deliver(client, endpoint, event, at=int(time.time()) - 301)
    url = reverse("djstripe:djstripe_webhook_by_uuid", args=[endpoint.djstripe_uuid])
    unsigned = client.post(url, data=json.dumps(event), content_type="application/json")
    # dj-stripe honours this header in DEBUG; the check in front of it never does.
    overridden = client.post(
        url,
        data=json.dumps(event),
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE=signed(json.dumps(event), secret="whsec_" + "y" * 32),
        HTTP_X_DJSTRIPE_WEBHOOK_SECRET="whsec_" + "y" * 32,
    )

    assert [r.status_code for r in (forged, stale, unsigned, overridden)] == [400] * 4
    assert rows() == before
    assert deliver(client, endpoint, event, at=int(time.time()) - 250).status_code == 200
    assert WebhookEventTrigger.objects.count() == before["WebhookEventTrigger"] + 1


def test_a_refund_made_in_the_stripe_dashboard_is_recorded_once(
    client,
    endpoint,
    localstripe,
    contact,
    product,
    manager,
    rep,
):
    invoice = sale(contact, product, manager, rep)
    payment = invoice.payments.get()
    made = post(localstripe, "/v1/refunds", payment_intent=payment.gateway_ref, amount=3000)
    stored = {
        **read_stripe(localstripe, f"/v1/refunds/{made['id']}"),
        "reason": "requested_by_customer",
    }

    first = deliver(client, endpoint, stripe_event("refund.created", stored))
    # The same refund again, in another event (Stripe sends both) and the same event twice.
    charge = {
        **read_stripe(localstripe, f"/v1/charges/{stored['charge']}"),
        "refunds": {"data": [stored]},
    }
    again = stripe_event("charge.refunded", charge)
    assert [first.status_code, deliver(client, endpoint, again).status_code] == [200, 200]
    assert deliver(client, endpoint, again).status_code == 200

    refund = payment.refunds.get()
    assert (refund.status, refund.amount, refund.gateway_ref) == (
        Refund.Status.SUCCEEDED,
        usd("30.00"),
        made["id"],
    )
    assert refund.actor.username == "stripe" and refund.actor.get_full_name() == "Stripe"
    assert refund.reason == "Refunded in Stripe: requested by customer"
    payment.refresh_from_db()
    assert payment.amount_refunded == usd("30.00")
    assert Journal.objects.filter(kind="refund", invoice=invoice).count() == 1
    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.PAID and amount_due(invoice) == usd("0.00")
    assert breaches() == []


def test_a_refund_that_fails_later_gives_its_amount_back_and_tells_the_rep(
    django_capture_on_commit_callbacks,
    client,
    endpoint,
    localstripe,
    contact,
    product,
    manager,
    rep,
    emails,
):
    invoice = sale(contact, product, manager, rep)
    payment = invoice.payments.get()
    refund = refund_payment(payment, amount=usd("50.00"), actor=rep, reason="Late start")
    assert refund.status == Refund.Status.SUCCEEDED
    failed = {
        **read_stripe(localstripe, f"/v1/refunds/{refund.gateway_ref}"),
        "status": "failed",
        "failure_reason": "expired_or_canceled_card",
    }
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        assert deliver(client, endpoint, stripe_event("refund.updated", failed)).status_code == 200
        assert deliver(client, endpoint, stripe_event("refund.failed", failed)).status_code == 200

    refund.refresh_from_db()
    payment.refresh_from_db()
    assert refund.status == Refund.Status.FAILED
    assert "expired_or_canceled_card" in refund.message
    assert payment.amount_refunded == usd("0.00")
    assert Journal.objects.filter(kind="refund_reversed").count() == 1
    assert [m.to for m in mail.outbox] == [["rita@example.com"]]
    assert "failed" in mail.outbox[0].subject
    assert AuditEvent.objects.filter(action="refund.failed", subject_id=refund.pk).count() == 1
    # localstripe cannot fail a refund, so it still lists it as made: the gateway check is left
    # out; the books' own invariants hold.
    for check in ("journals balance per currency", "invoice amount due matches its documents"):
        assert list(invariants.CHECKS[check]()) == []
    assert list(invariants.refunds_within_captured()) == []


def test_a_payment_whose_answer_was_lost_is_settled_by_the_webhook_alone(
    client,
    endpoint,
    localstripe,
    monkeypatch,
    contact,
    product,
    manager,
    rep,
):
    card = add_card(contact, token="pm_card_visa", actor=manager)
    real_charge = stripe_gateway.StripeGateway.charge

    def lost(self, **kwargs):
        real_charge(self, **kwargs)
        raise GatewayTimeout("lost after the call")

    with monkeypatch.context() as patched:
        patched.setattr(stripe_gateway.StripeGateway, "charge", lost)
        invoice = charge_sale(contact, lines=[SaleLine(product)], payment_method=card, actor=rep)
    payment = invoice.payments.get()
    assert payment.status == Payment.Status.UNKNOWN
    intents = read_stripe(localstripe, "/v1/payment_intents?limit=100")["data"]
    intent = next(
        i for i in intents if i["metadata"].get("idempotency_key") == payment.idempotency_key
    )

    assert (
        deliver(client, endpoint, stripe_event("payment_intent.succeeded", intent)).status_code
        == 200
    )

    payment.refresh_from_db()
    invoice.refresh_from_db()
    assert (payment.status, payment.gateway_ref) == (Payment.Status.SUCCEEDED, intent["id"])
    assert invoice.status == Invoice.Status.PAID
    assert breaches() == []


def test_a_success_for_a_payment_recorded_as_declined_is_recorded_not_dropped(
    client,
    endpoint,
    localstripe,
    contact,
    product,
    manager,
    rep,
):
    card = add_card(contact, token="pm_card_chargeCustomerFail", actor=manager)
    invoice = charge_sale(contact, lines=[SaleLine(product)], payment_method=card, actor=rep)
    payment = invoice.payments.get()
    assert payment.status == Payment.Status.FAILED
    intents = read_stripe(localstripe, "/v1/payment_intents?limit=100")["data"]
    found = next(
        i for i in intents if i["metadata"].get("idempotency_key") == payment.idempotency_key
    )
    intent = {**found, "status": "succeeded"}
    failed_again = {**intent, "status": "requires_payment_method"}

    assert (
        deliver(client, endpoint, stripe_event("payment_intent.succeeded", intent)).status_code
        == 200
    )
    # An older failure arriving after it changes nothing.
    assert (
        deliver(
            client, endpoint, stripe_event("payment_intent.payment_failed", failed_again)
        ).status_code
        == 200
    )

    payment.refresh_from_db()
    invoice.refresh_from_db()
    assert payment.status == Payment.Status.SUCCEEDED
    assert invoice.status == Invoice.Status.PAID
    assert Journal.objects.filter(kind="payment_captured", invoice=invoice).count() == 1


def test_the_card_on_file_follows_stripe(client, endpoint, localstripe, contact, manager):
    card = add_card(contact, token="pm_card_visa", actor=manager)
    method = read_stripe(localstripe, f"/v1/payment_methods/{card.token}")
    now = int(time.time())
    newer = {
        **method,
        "card": {**method["card"], "exp_month": 9, "exp_year": 2031, "last4": "4444"},
    }
    older = {**method, "card": {**method["card"], "exp_month": 3, "exp_year": 2030}}

    deliver(
        client, endpoint, stripe_event("payment_method.automatically_updated", newer, created=now)
    )
    deliver(client, endpoint, stripe_event("payment_method.updated", older, created=now - 60))

    card.refresh_from_db()
    assert (card.exp_month, card.exp_year, card.last4) == (9, 2031, "4444")
    assert card.usable

    assert (
        deliver(
            client, endpoint, stripe_event("payment_method.detached", {**newer, "customer": None})
        ).status_code
        == 200
    )
    card.refresh_from_db()
    assert not card.usable and card.unusable_reason == "detached"


def test_the_sync_recovers_a_lost_webhook(localstripe, monkeypatch, contact, product, manager, rep):
    call_command("setup_stripe_webhook", "http://testserver", stdout=io.StringIO())
    card = add_card(contact, token="pm_card_visa", actor=manager)
    real_charge = stripe_gateway.StripeGateway.charge

    def lost(self, **kwargs):
        real_charge(self, **kwargs)
        raise GatewayTimeout("lost after the call")

    with monkeypatch.context() as patched:
        patched.setattr(stripe_gateway.StripeGateway, "charge", lost)
        invoice = charge_sale(contact, lines=[SaleLine(product)], payment_method=card, actor=rep)
    payment = invoice.payments.get()
    assert payment.status == Payment.Status.UNKNOWN

    # localstripe recorded the payment_intent.succeeded event; no webhook was delivered.
    assert sync_gateway_events() >= 1
    assert sync_gateway_events() == 0  # nothing new the second time

    payment.refresh_from_db()
    assert payment.status == Payment.Status.SUCCEEDED
    assert breaches() == []


def test_a_signed_event_is_applied_without_calling_stripe(
    client, endpoint, localstripe, monkeypatch, settings, contact, product, manager, rep
):
    invoice = sale(contact, product, manager, rep)
    event = stripe_event(
        "charge.dispute.created",
        dispute_object(invoice.payments.get(), localstripe, status="needs_response"),
    )
    # dj-stripe's own receivers re-read the object from Stripe: unreachable, that was a 500.
    nowhere = f"http://127.0.0.1:{free_port()}"
    monkeypatch.setattr(stripe, "api_base", nowhere)
    settings.STRIPE_API_HOST = nowhere

    response = deliver(client, endpoint, event)

    assert response.status_code == 200
    assert Dispute.objects.get().status == Dispute.Status.OPEN
    trigger = WebhookEventTrigger.objects.get()
    assert (trigger.valid, trigger.processed, trigger.exception) == (True, True, "")


def test_a_dashboard_refund_reported_failed_before_its_success_records_nothing(
    client, endpoint, localstripe, contact, product, manager, rep
):
    invoice = sale(contact, product, manager, rep)
    payment = invoice.payments.get()
    made = post(localstripe, "/v1/refunds", payment_intent=payment.gateway_ref, amount=3000)
    stored = read_stripe(localstripe, f"/v1/refunds/{made['id']}")
    failed = {**stored, "status": "failed", "failure_reason": "lost_or_stolen_card"}
    now = int(time.time())

    assert (
        deliver(client, endpoint, stripe_event("refund.updated", failed, created=now)).status_code
        == 200
    )
    late = stripe_event("refund.created", stored, created=now - 120)
    assert deliver(client, endpoint, late).status_code == 200

    assert not payment.refunds.exists()
    payment.refresh_from_db()
    assert payment.amount_refunded == usd("0.00")


@pytest.mark.django_db(transaction=True)
def test_localstripe_delivers_the_lost_answer_to_the_live_endpoint(
    live_server, localstripe, monkeypatch, contact, product, manager, rep
):
    call_command("setup_stripe_webhook", live_server.url, stdout=io.StringIO())
    from djstripe.models import WebhookEndpoint

    url = WebhookEndpoint.objects.get().url
    configure_webhook(localstripe, url=url, secret=WEBHOOK_SECRET, event="payment_intent.succeeded")
    try:
        card = add_card(contact, token="pm_card_visa", actor=manager)
        real_charge = stripe_gateway.StripeGateway.charge

        def lost(self, **kwargs):
            real_charge(self, **kwargs)
            raise GatewayTimeout("lost after the call")

        with monkeypatch.context() as patched:
            patched.setattr(stripe_gateway.StripeGateway, "charge", lost)
            invoice = charge_sale(
                contact, lines=[SaleLine(product)], payment_method=card, actor=rep
            )
        payment = invoice.payments.get()
        assert payment.status == Payment.Status.UNKNOWN

        # localstripe signs and posts the event itself, a second or so later; dj-stripe saves
        # its trigger row once the event's transaction has committed.
        processed = WebhookEventTrigger.objects.filter(valid=True, processed=True)
        deadline = time.monotonic() + 15
        while not processed.exists() and time.monotonic() < deadline:
            time.sleep(0.2)
        payment.refresh_from_db()
    finally:
        # The server lives for the session: later tests' events must not come here.
        configure_webhook(localstripe, url=url, secret=WEBHOOK_SECRET, event="none")

    assert payment.status == Payment.Status.SUCCEEDED
    assert WebhookEventTrigger.objects.filter(valid=True, processed=True).exists()
    assert breaches() == []


def test_setup_stripe_webhook_keeps_its_url_and_refuses_a_missing_secret(settings, endpoint):
    from django.core.management.base import CommandError

    out = io.StringIO()
    call_command("setup_stripe_webhook", "https://pay.example.com", stdout=out)
    endpoint.refresh_from_db()
    assert endpoint.url == f"https://pay.example.com/stripe/webhook/{endpoint.djstripe_uuid}/"
    assert (endpoint.secret, endpoint.djstripe_tolerance) == (WEBHOOK_SECRET, 300)
    assert endpoint.djstripe_validation_method == "verify_signature"
    assert "payment_intent.succeeded" in endpoint.enabled_events
    assert endpoint.url in out.getvalue()

    for secret, message in (("", "not set"), ("sk_test_" + "0" * 24, "whsec_")):
        settings.STRIPE_WEBHOOK_SECRET = secret
        with pytest.raises(CommandError, match=message):
            call_command("setup_stripe_webhook", "https://pay.example.com", stdout=out)
    endpoint.refresh_from_db()
    assert endpoint.secret == WEBHOOK_SECRET
