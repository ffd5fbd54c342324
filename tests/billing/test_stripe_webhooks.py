# ruff: noqa: F811
"""Stripe's webhooks into the ledger, against localstripe on loopback.

Every event is posted signed (HMAC-SHA256 of "<timestamp>.<body>" with the endpoint's secret,
as Stripe signs) to dj-stripe's own webhook URL. Payloads are localstripe's real objects where
it has them (PaymentIntents, refunds, cards), and Stripe-shaped JSON where it has none
(disputes, a refund failing, a card updated by the network).
"""

import hashlib
import hmac
import io
import json
import time
import urllib.parse
import urllib.request
import uuid

import pytest
import stripe
from django.core import mail
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from djstripe.models import Event, WebhookEventTrigger

from billing import invariants
from billing.actions import SaleLine, add_card, charge_sale, refund_payment
from billing.gateways import stripe as stripe_gateway
from billing.gateways.base import GatewayTimeout
from billing.invariants import breaches
from billing.models import Account, Dispute, Invoice, Journal, LedgerEntry, Payment, Refund
from billing.selectors import amount_due
from billing.tasks import sync_gateway_events
from core.models import AuditEvent
from tests.billing.test_refunds import _race

# The session's localstripe server, shared with the gateway tests (its arguments shadow it).
from tests.billing.test_stripe_gateway import SECRET, _free_port, _get, localstripe  # noqa: F401
from tests.helpers import usd

WEBHOOK_SECRET = "whsec_" + "test" * 8


@pytest.fixture(autouse=True)
def _use_stripe(settings, localstripe, monkeypatch):
    settings.STRIPE_API_HOST = localstripe
    settings.STRIPE_SECRET_KEY = SECRET
    settings.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET
    settings.PAYDESK_GATEWAY = "stripe"
    # dj-stripe's own calls (the account it files events under) go through stripe-python's
    # global base, set from STRIPE_API_HOST when the app started.
    monkeypatch.setattr(stripe, "api_base", localstripe)


@pytest.fixture
def endpoint(db):
    call_command("setup_stripe_webhook", "http://testserver", stdout=io.StringIO())
    from djstripe.models import WebhookEndpoint

    return WebhookEndpoint.objects.get()


@pytest.fixture
def emails(rep, manager):
    rep.email, manager.email = "rita@example.com", "max@example.com"
    rep.save(update_fields=["email"])
    manager.save(update_fields=["email"])


def _post(base: str, path: str, **params) -> dict:
    body = urllib.parse.urlencode(params).encode()
    request = urllib.request.Request(
        base + path, data=body, headers={"Authorization": f"Bearer {SECRET}"}
    )
    with urllib.request.urlopen(request, timeout=5) as response:
        return json.load(response)


def _event(kind: str, obj: dict, *, created: int | None = None, event_id: str | None = None):
    return {
        "id": event_id or f"evt_{uuid.uuid4().hex[:24]}",
        "object": "event",
        "type": kind,
        "api_version": "2026-05-27.dahlia",
        "created": created or int(time.time()),
        "livemode": False,
        "pending_webhooks": 1,
        "request": {"id": None, "idempotency_key": None},
        "data": {"object": obj},
    }


def _signed(body: str, *, secret: str = WEBHOOK_SECRET, at: int | None = None) -> str:
    at = at or int(time.time())
    mac = hmac.new(secret.encode(), f"{at}.{body}".encode(), hashlib.sha256).hexdigest()
    return f"t={at},v1={mac}"


def _deliver(client, endpoint, event: dict, **signing):
    body = json.dumps(event)
    url = reverse("djstripe:djstripe_webhook_by_uuid", args=[endpoint.djstripe_uuid])
    return client.post(
        url,
        data=body,
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE=_signed(body, **signing),
    )


def _sale(contact, product, manager, rep) -> Invoice:
    card = add_card(contact, token="pm_card_visa", actor=manager)
    return charge_sale(
        contact, lines=[SaleLine(product, quantity=2)], payment_method=card, actor=rep
    )


def _dispute(payment: Payment, localstripe, *, status: str, lost_or_won=None) -> dict:
    intent = _get(localstripe, f"/v1/payment_intents/{payment.gateway_ref}")
    charge = intent["latest_charge"]
    charge_id = charge["id"] if isinstance(charge, dict) else charge
    withdrawn = {
        "id": f"txn_w_{payment.pk}",
        "object": "balance_transaction",
        "amount": -20000,
        "fee": 1500,
        "net": -21500,
        "currency": "usd",
        "type": "adjustment",
        "reporting_category": "dispute",
    }
    transactions = [withdrawn]
    if lost_or_won == "won":
        transactions.append(
            {**withdrawn, "id": f"txn_r_{payment.pk}", "amount": 20000, "fee": 0, "net": 20000}
        )
    return {
        "id": f"dp_{payment.pk}",
        "object": "dispute",
        "amount": 20000,
        "currency": "usd",
        "charge": charge_id,
        "payment_intent": payment.gateway_ref,
        "reason": "fraudulent",
        "status": status,
        "created": int(time.time()) - 60,
        "evidence_details": {"due_by": int(time.time()) + 7 * 86400, "has_evidence": False},
        "balance_transactions": transactions,
        "is_charge_refundable": False,
        "livemode": False,
        "metadata": {},
    }


def _rows() -> dict[str, int]:
    models = (WebhookEventTrigger, Event, Journal, LedgerEntry, AuditEvent, Refund, Dispute)
    return {model.__name__: model.objects.count() for model in models}


def test_a_bad_signature_or_a_stale_timestamp_is_refused_and_writes_nothing(
    client, endpoint, contact, product, manager, rep
):
    invoice = _sale(contact, product, manager, rep)
    payment = invoice.payments.get()
    intent = _get(stripe.api_base, f"/v1/payment_intents/{payment.gateway_ref}")
    event = _event("payment_intent.succeeded", intent)
    before = _rows()

    forged = _deliver(client, endpoint, event, secret="whsec_" + "x" * 32)
    stale = _deliver(client, endpoint, event, at=int(time.time()) - 301)
    url = reverse("djstripe:djstripe_webhook_by_uuid", args=[endpoint.djstripe_uuid])
    unsigned = client.post(url, data=json.dumps(event), content_type="application/json")
    # dj-stripe honours this header in DEBUG; the check in front of it never does.
    overridden = client.post(
        url,
        data=json.dumps(event),
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE=_signed(json.dumps(event), secret="whsec_" + "y" * 32),
        HTTP_X_DJSTRIPE_WEBHOOK_SECRET="whsec_" + "y" * 32,
    )

    assert [r.status_code for r in (forged, stale, unsigned, overridden)] == [400] * 4
    assert _rows() == before
    assert _deliver(client, endpoint, event, at=int(time.time()) - 250).status_code == 200
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
    invoice = _sale(contact, product, manager, rep)
    payment = invoice.payments.get()
    made = _post(localstripe, "/v1/refunds", payment_intent=payment.gateway_ref, amount=3000)
    stored = {**_get(localstripe, f"/v1/refunds/{made['id']}"), "reason": "requested_by_customer"}

    first = _deliver(client, endpoint, _event("refund.created", stored))
    # The same refund again, in another event (Stripe sends both) and the same event twice.
    charge = {**_get(localstripe, f"/v1/charges/{stored['charge']}"), "refunds": {"data": [stored]}}
    again = _event("charge.refunded", charge)
    assert [first.status_code, _deliver(client, endpoint, again).status_code] == [200, 200]
    assert _deliver(client, endpoint, again).status_code == 200

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
    invoice = _sale(contact, product, manager, rep)
    payment = invoice.payments.get()
    refund = refund_payment(payment, amount=usd("50.00"), actor=rep, reason="Late start")
    assert refund.status == Refund.Status.SUCCEEDED
    failed = {
        **_get(localstripe, f"/v1/refunds/{refund.gateway_ref}"),
        "status": "failed",
        "failure_reason": "expired_or_canceled_card",
    }
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        assert _deliver(client, endpoint, _event("refund.updated", failed)).status_code == 200
        assert _deliver(client, endpoint, _event("refund.failed", failed)).status_code == 200

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


def test_a_dispute_opened_and_lost_posts_the_withdrawal_fee_and_loss(
    django_capture_on_commit_callbacks,
    client,
    endpoint,
    localstripe,
    contact,
    product,
    manager,
    rep,
    emails,
    rep_client,
):
    invoice = _sale(contact, product, manager, rep)
    payment = invoice.payments.get()
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        opened = _deliver(
            client,
            endpoint,
            _event(
                "charge.dispute.created", _dispute(payment, localstripe, status="needs_response")
            ),
        )

    assert opened.status_code == 200
    dispute = Dispute.objects.get(payment=payment)
    assert (dispute.status, dispute.amount, dispute.fee, dispute.reason) == (
        Dispute.Status.OPEN,
        usd("200.00"),
        usd("15.00"),
        "fraudulent",
    )
    assert [m.to for m in mail.outbox] == [["max@example.com"]]
    assert "disputed" in mail.outbox[0].subject
    page = rep_client.get(reverse("desk:contact-detail", args=[contact.pk])).content.decode()
    assert "Dispute open" in page and "Fraudulent" in page

    lost = _dispute(payment, localstripe, status="lost", lost_or_won="lost")
    assert _deliver(client, endpoint, _event("charge.dispute.closed", lost)).status_code == 200

    dispute.refresh_from_db()
    assert dispute.status == Dispute.Status.LOST and dispute.closed_at is not None
    assert _balances(invoice) == {
        Account.CASH: usd("-15.00"),  # captured 200, withdrawn 200 and the 15 fee
        Account.DISPUTED: usd("0.00"),
        Account.DISPUTE_FEES: usd("15.00"),
        Account.CHARGEBACKS: usd("200.00"),
        Account.RECEIVABLE: usd("0.00"),
    }
    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.PAID and amount_due(invoice) == usd("0.00")
    assert breaches() == []
    page = rep_client.get(reverse("desk:contact-detail", args=[contact.pk])).content.decode()
    assert "Dispute lost" in page


def test_a_dispute_won_gets_its_funds_back(
    client, endpoint, localstripe, contact, product, manager, rep
):
    invoice = _sale(contact, product, manager, rep)
    payment = invoice.payments.get()
    _deliver(
        client,
        endpoint,
        _event("charge.dispute.created", _dispute(payment, localstripe, status="needs_response")),
    )
    won = _dispute(payment, localstripe, status="won", lost_or_won="won")
    assert _deliver(client, endpoint, _event("charge.dispute.closed", won)).status_code == 200

    assert Dispute.objects.get().status == Dispute.Status.WON
    balances = _balances(invoice)
    assert (balances[Account.CASH], balances[Account.DISPUTED]) == (usd("185.00"), usd("0.00"))
    assert breaches() == []


def test_the_same_events_twice_and_out_of_order_give_one_effect(
    client,
    endpoint,
    localstripe,
    contact,
    product,
    manager,
    rep,
):
    invoice = _sale(contact, product, manager, rep)
    payment = invoice.payments.get()
    now = int(time.time())
    created = _event(
        "charge.dispute.created",
        _dispute(payment, localstripe, status="needs_response"),
        created=now - 30,
    )
    closed = _event(
        "charge.dispute.closed",
        _dispute(payment, localstripe, status="lost", lost_or_won="lost"),
        created=now,
    )

    # The newer first, then the older, then each again (a redelivery keeps its event id).
    for event in (closed, created, closed, created):
        assert _deliver(client, endpoint, event).status_code == 200
    # The same news under another event id (Stripe's updated event after its closed one).
    assert (
        _deliver(
            client, endpoint, {**closed, "id": "evt_other", "type": "charge.dispute.updated"}
        ).status_code
        == 200
    )

    dispute = Dispute.objects.get()
    assert dispute.status == Dispute.Status.LOST
    kinds = list(Journal.objects.filter(invoice=invoice).values_list("kind", flat=True))
    assert sorted(k for k in kinds if k.startswith("dispute")) == [
        "dispute_funds_withdrawn",
        "dispute_lost",
    ]
    assert AuditEvent.objects.filter(action="dispute.opened").count() == 1
    assert breaches() == []


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
    intents = _get(localstripe, "/v1/payment_intents?limit=100")["data"]
    intent = next(
        i for i in intents if i["metadata"].get("idempotency_key") == payment.idempotency_key
    )

    assert _deliver(client, endpoint, _event("payment_intent.succeeded", intent)).status_code == 200

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
    intents = _get(localstripe, "/v1/payment_intents?limit=100")["data"]
    found = next(
        i for i in intents if i["metadata"].get("idempotency_key") == payment.idempotency_key
    )
    intent = {**found, "status": "succeeded"}
    failed_again = {**intent, "status": "requires_payment_method"}

    assert _deliver(client, endpoint, _event("payment_intent.succeeded", intent)).status_code == 200
    # An older failure arriving after it changes nothing.
    assert (
        _deliver(
            client, endpoint, _event("payment_intent.payment_failed", failed_again)
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
    method = _get(localstripe, f"/v1/payment_methods/{card.token}")
    now = int(time.time())
    newer = {
        **method,
        "card": {**method["card"], "exp_month": 9, "exp_year": 2031, "last4": "4444"},
    }
    older = {**method, "card": {**method["card"], "exp_month": 3, "exp_year": 2030}}

    _deliver(client, endpoint, _event("payment_method.automatically_updated", newer, created=now))
    _deliver(client, endpoint, _event("payment_method.updated", older, created=now - 60))

    card.refresh_from_db()
    assert (card.exp_month, card.exp_year, card.last4) == (9, 2031, "4444")
    assert card.usable

    assert (
        _deliver(
            client, endpoint, _event("payment_method.detached", {**newer, "customer": None})
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


def _balances(invoice: Invoice) -> dict:
    from django.db.models import Sum

    rows = LedgerEntry.objects.filter(invoice=invoice).values("account").annotate(s=Sum("amount"))
    found = {row["account"]: usd(str(row["s"])) for row in rows}
    accounts = (
        Account.CASH,
        Account.DISPUTED,
        Account.DISPUTE_FEES,
        Account.CHARGEBACKS,
        Account.RECEIVABLE,
    )
    return {account: found.get(account, usd("0.00")) for account in accounts}


def test_a_signed_event_is_applied_without_calling_stripe(
    client, endpoint, localstripe, monkeypatch, settings, contact, product, manager, rep
):
    invoice = _sale(contact, product, manager, rep)
    event = _event(
        "charge.dispute.created",
        _dispute(invoice.payments.get(), localstripe, status="needs_response"),
    )
    # dj-stripe's own receivers re-read the object from Stripe: unreachable, that was a 500.
    nowhere = f"http://127.0.0.1:{_free_port()}"
    monkeypatch.setattr(stripe, "api_base", nowhere)
    settings.STRIPE_API_HOST = nowhere

    response = _deliver(client, endpoint, event)

    assert response.status_code == 200
    assert Dispute.objects.get().status == Dispute.Status.OPEN
    trigger = WebhookEventTrigger.objects.get()
    assert (trigger.valid, trigger.processed, trigger.exception) == (True, True, "")


def test_a_dashboard_refund_reported_failed_before_its_success_records_nothing(
    client, endpoint, localstripe, contact, product, manager, rep
):
    invoice = _sale(contact, product, manager, rep)
    payment = invoice.payments.get()
    made = _post(localstripe, "/v1/refunds", payment_intent=payment.gateway_ref, amount=3000)
    stored = _get(localstripe, f"/v1/refunds/{made['id']}")
    failed = {**stored, "status": "failed", "failure_reason": "lost_or_stolen_card"}
    now = int(time.time())

    assert (
        _deliver(client, endpoint, _event("refund.updated", failed, created=now)).status_code == 200
    )
    late = _event("refund.created", stored, created=now - 120)
    assert _deliver(client, endpoint, late).status_code == 200

    assert not payment.refunds.exists()
    payment.refresh_from_db()
    assert payment.amount_refunded == usd("0.00")


def test_the_disputed_funds_check_finds_a_withdrawal_with_no_open_dispute(
    client, endpoint, localstripe, contact, product, manager, rep
):
    invoice = _sale(contact, product, manager, rep)
    opened = _dispute(invoice.payments.get(), localstripe, status="needs_response")
    _deliver(client, endpoint, _event("charge.dispute.created", opened))
    assert list(invariants.disputed_funds()) == []

    # As if the dispute had been closed without posting its result.
    Dispute.objects.update(status=Dispute.Status.WON)

    assert list(invariants.disputed_funds()) == [
        f"contact {contact.pk}: 200.000 USD held in disputes but open disputes withdrew 0"
    ]


@pytest.mark.django_db(transaction=True)
def test_the_same_news_delivered_eight_times_at_once_takes_effect_once(
    endpoint, localstripe, contact, product, manager, rep
):
    invoice = _sale(contact, product, manager, rep)
    payment = invoice.payments.get()
    made = _post(localstripe, "/v1/refunds", payment_intent=payment.gateway_ref, amount=3000)
    refunded = _get(localstripe, f"/v1/refunds/{made['id']}")
    disputed = _dispute(payment, localstripe, status="needs_response")
    # Distinct event ids (dj-stripe's own dedupe cannot help) and one id sent twice.
    events = [_event("refund.created", refunded) for _ in range(3)]
    events += [_event("charge.dispute.created", disputed) for _ in range(3)]
    events += events[:1] + events[3:4]

    results = _race(len(events), lambda i: _deliver(Client(), endpoint, events[i]).status_code)

    assert results == [200] * len(events)
    assert payment.refunds.count() == 1 and Dispute.objects.count() == 1
    kinds = list(Journal.objects.filter(invoice=invoice).values_list("kind", flat=True))
    assert sorted(kinds) == [
        "dispute_funds_withdrawn",
        "invoice_issued",
        "payment_captured",
        "refund",
    ]
    assert breaches() == []


@pytest.mark.django_db(transaction=True)
def test_localstripe_delivers_the_lost_answer_to_the_live_endpoint(
    live_server, localstripe, monkeypatch, contact, product, manager, rep
):
    call_command("setup_stripe_webhook", live_server.url, stdout=io.StringIO())
    from djstripe.models import WebhookEndpoint

    url = WebhookEndpoint.objects.get().url
    _configure_webhook(
        localstripe, url=url, secret=WEBHOOK_SECRET, event="payment_intent.succeeded"
    )
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
        _configure_webhook(localstripe, url=url, secret=WEBHOOK_SECRET, event="none")

    assert payment.status == Payment.Status.SUCCEEDED
    assert WebhookEventTrigger.objects.filter(valid=True, processed=True).exists()
    assert breaches() == []


def _configure_webhook(base: str, *, url: str, secret: str, event: str) -> None:
    body = urllib.parse.urlencode({"url": url, "secret": secret, "events[]": event}).encode()
    request = urllib.request.Request(
        base + "/_config/webhooks/paydesk", data=body, headers={"Authorization": f"Bearer {SECRET}"}
    )
    urllib.request.urlopen(request, timeout=5).close()
