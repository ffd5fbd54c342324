# ruff: noqa: F811
# (the fixtures imported below are shadowed by the test arguments that name them)
"""Disputes reported by Stripe's webhooks: the case, its postings, and one effect however
often or in whatever order the events come (helpers in tests/billing/stripe_webhooks.py)."""

import time

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from billing import errors, invariants
from billing.actions import refund_payment
from billing.invariants import breaches
from billing.models import Account, Dispute, Invoice, Journal
from billing.selectors import amount_due
from core.models import AuditEvent
from tests.billing.stripe_fake import (
    read_stripe,
)
from tests.billing.stripe_webhooks import (  # noqa: F401 (fixtures)
    _use_stripe,
    deliver,
    dispute_object,
    emails,
    endpoint,
    ledger_balances,
    post,
    sale,
    stripe_event,
)
from tests.helpers import race, usd


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
    invoice = sale(contact, product, manager, rep)
    payment = invoice.payments.get()
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        opened = deliver(
            client,
            endpoint,
            stripe_event(
                "charge.dispute.created",
                dispute_object(payment, localstripe, status="needs_response"),
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

    lost = dispute_object(payment, localstripe, status="lost", lost_or_won="lost")
    assert deliver(client, endpoint, stripe_event("charge.dispute.closed", lost)).status_code == 200

    dispute.refresh_from_db()
    assert dispute.status == Dispute.Status.LOST and dispute.closed_at is not None
    assert ledger_balances(invoice) == {
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
    invoice = sale(contact, product, manager, rep)
    payment = invoice.payments.get()
    deliver(
        client,
        endpoint,
        stripe_event(
            "charge.dispute.created", dispute_object(payment, localstripe, status="needs_response")
        ),
    )
    won = dispute_object(payment, localstripe, status="won", lost_or_won="won")
    assert deliver(client, endpoint, stripe_event("charge.dispute.closed", won)).status_code == 200

    assert Dispute.objects.get().status == Dispute.Status.WON
    balances = ledger_balances(invoice)
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
    invoice = sale(contact, product, manager, rep)
    payment = invoice.payments.get()
    now = int(time.time())
    created = stripe_event(
        "charge.dispute.created",
        dispute_object(payment, localstripe, status="needs_response"),
        created=now - 30,
    )
    closed = stripe_event(
        "charge.dispute.closed",
        dispute_object(payment, localstripe, status="lost", lost_or_won="lost"),
        created=now,
    )

    # The newer first, then the older, then each again (a redelivery keeps its event id).
    for event in (closed, created, closed, created):
        assert deliver(client, endpoint, event).status_code == 200
    # The same news under another event id (Stripe's updated event after its closed one).
    assert (
        deliver(
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


def test_the_disputed_funds_check_finds_a_withdrawal_with_no_open_dispute(
    client, endpoint, localstripe, contact, product, manager, rep
):
    invoice = sale(contact, product, manager, rep)
    opened = dispute_object(invoice.payments.get(), localstripe, status="needs_response")
    deliver(client, endpoint, stripe_event("charge.dispute.created", opened))
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
    invoice = sale(contact, product, manager, rep)
    payment = invoice.payments.get()
    made = post(localstripe, "/v1/refunds", payment_intent=payment.gateway_ref, amount=3000)
    refunded = read_stripe(localstripe, f"/v1/refunds/{made['id']}")
    disputed = dispute_object(payment, localstripe, status="needs_response")
    # Distinct event ids (dj-stripe's own dedupe cannot help) and one id sent twice.
    events = [stripe_event("refund.created", refunded) for _ in range(3)]
    events += [stripe_event("charge.dispute.created", disputed) for _ in range(3)]
    events += events[:1] + events[3:4]

    results = race(len(events), lambda i: deliver(Client(), endpoint, events[i]).status_code)

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


def test_a_rep_cannot_refund_a_payment_under_dispute(
    client, endpoint, localstripe, contact, product, manager, rep
):
    invoice = sale(contact, product, manager, rep)
    payment = invoice.payments.get()
    opened = dispute_object(payment, localstripe, status="needs_response")
    deliver(client, endpoint, stripe_event("charge.dispute.created", opened))

    for settle in ("gateway", "outside"):
        with pytest.raises(errors.InvalidTransition, match="disputed"):
            refund_payment(payment, settle=settle, actor=manager, reason="Goodwill")
    assert not payment.refunds.exists()
