"""Signed Stripe events for the webhook tests, against the session's localstripe server.

Events are signed as Stripe signs them (HMAC-SHA256 of "<timestamp>.<body>" with the
endpoint's secret) and posted to dj-stripe's own webhook URL. Payloads are localstripe's real
objects where it has them, and Stripe-shaped JSON where it has none (disputes, a refund
failing, a card updated by the network). Test modules import the fixtures from here.
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
from django.core.management import call_command
from django.db.models import Sum
from django.urls import reverse
from djstripe.models import Event, WebhookEndpoint, WebhookEventTrigger

from billing.actions import SaleLine, add_card, charge_sale
from billing.models import Account, Dispute, Invoice, Journal, LedgerEntry, Payment, Refund
from core.models import AuditEvent
from tests.billing.stripe_fake import SECRET, read_stripe
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
    return WebhookEndpoint.objects.get()


@pytest.fixture
def emails(rep, manager):
    rep.email, manager.email = "rita@example.com", "max@example.com"
    rep.save(update_fields=["email"])
    manager.save(update_fields=["email"])


def post(base: str, path: str, **params) -> dict:
    body = urllib.parse.urlencode(params).encode()
    request = urllib.request.Request(
        base + path, data=body, headers={"Authorization": f"Bearer {SECRET}"}
    )
    with urllib.request.urlopen(request, timeout=5) as response:
        return json.load(response)


def stripe_event(kind: str, obj: dict, *, created: int | None = None, event_id: str | None = None):
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


def signed(body: str, *, secret: str = WEBHOOK_SECRET, at: int | None = None) -> str:
    at = at or int(time.time())
    mac = hmac.new(secret.encode(), f"{at}.{body}".encode(), hashlib.sha256).hexdigest()
    return f"t={at},v1={mac}"


def deliver(client, endpoint, event: dict, **signing):
    body = json.dumps(event)
    url = reverse("djstripe:djstripe_webhook_by_uuid", args=[endpoint.djstripe_uuid])
    return client.post(
        url,
        data=body,
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE=signed(body, **signing),
    )


def sale(contact, product, manager, rep) -> Invoice:
    card = add_card(contact, token="pm_card_visa", actor=manager)
    return charge_sale(
        contact, lines=[SaleLine(product, quantity=2)], payment_method=card, actor=rep
    )


def dispute_object(payment: Payment, localstripe, *, status: str, lost_or_won=None) -> dict:
    intent = read_stripe(localstripe, f"/v1/payment_intents/{payment.gateway_ref}")
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


def rows() -> dict[str, int]:
    models = (WebhookEventTrigger, Event, Journal, LedgerEntry, AuditEvent, Refund, Dispute)
    return {model.__name__: model.objects.count() for model in models}


def ledger_balances(invoice: Invoice) -> dict:
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


def configure_webhook(base: str, *, url: str, secret: str, event: str) -> None:
    body = urllib.parse.urlencode({"url": url, "secret": secret, "events[]": event}).encode()
    request = urllib.request.Request(
        base + "/_config/webhooks/paydesk", data=body, headers={"Authorization": f"Bearer {SECRET}"}
    )
    urllib.request.urlopen(request, timeout=5).close()
