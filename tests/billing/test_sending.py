"""A sweep's batch is sent over several lanes at once (billing.steps.sending), against a real
PostgreSQL with each lane on its own connection: every charge is still sent only by whoever
wins its claim, a charge another sender holds is left to it, and a failing lane stops the
batch without stranding a charge for good."""

import datetime as dt
import threading

import pytest
from django.db import connection, transaction

from billing.gateways.sandbox import SandboxGateway
from billing.models import Invoice, Order, Payment, SandboxTransaction
from billing.steps import charging, renewals, sending
from billing.tasks import charge_due_orders, reconcile_pending
from core import clock
from tests.billing.test_renewal_batches import RENEW, sell

pytestmark = pytest.mark.django_db(transaction=True)


def renewals_charged() -> dict[str, int]:
    """How many times the gateway took each renewal's key."""
    charged: dict[str, int] = {}
    for key in SandboxTransaction.objects.filter(
        kind="charge", idempotency_key__startswith="order:"
    ).values_list("idempotency_key", flat=True):
        charged[key] = charged.get(key, 0) + 1
    return charged


def other_connections() -> int:
    """Sessions on this database besides this thread's own (the lanes' once they are open)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        return cursor.fetchone()[0]


def bill_due() -> list[Payment]:
    """The sweep's own first step, for a test that sends the batch itself."""
    with transaction.atomic(), clock.frozen_at(RENEW):
        due = list(
            Order.objects.filter(next_charge_on__lte=RENEW.date())
            .select_related("product", "contact", "payment_method")
            .order_by("pk")
            .select_for_update(of=("self",))
        )
        return renewals.bill_batch(due)


def settle(sent: list[sending.Sent]) -> None:
    for payment, result in renewals.settle_batch(sent):
        charging.settle_charge(payment, result)


def test_a_batch_is_at_the_gateway_over_every_lane_at_once(
    contact, card, product, rep, settings, monkeypatch
):
    settings.PAYDESK_GATEWAY_LANES = 3
    sell(6, contact, card, product, rep)
    # Three renewals must be at the gateway together to get through: one lane at a time would
    # wait here until the barrier broke.
    together = threading.Barrier(3, timeout=20)
    threads = set()
    real = SandboxGateway.charge

    def charge(self, **kwargs):
        if kwargs["idempotency_key"].startswith("order:"):
            threads.add(threading.get_ident())
            together.wait()
        return real(self, **kwargs)

    monkeypatch.setattr(SandboxGateway, "charge", charge)
    with clock.frozen_at(RENEW):
        assert charge_due_orders() == {"billed": 6, "charged": 6}

    assert len(threads) == 3 and threading.get_ident() not in threads
    assert set(renewals_charged().values()) == {1} and len(renewals_charged()) == 6
    renewed = Invoice.objects.filter(source=Invoice.Source.ORDER)
    assert set(renewed.values_list("status", flat=True)) == {Invoice.Status.PAID}
    assert other_connections() == 0  # each lane closed its connection


def test_no_lane_sends_a_charge_another_sender_holds(contact, card, product, rep, settings):
    settings.PAYDESK_GATEWAY_LANES = 3
    sell(6, contact, card, product, rep)
    payments = bill_due()
    held = payments[2]
    assert charging.claim(held)  # another runner took it, and is sending it

    sent = sending.send_claimed(payments)

    assert [payment.pk for payment, _ in sent] == [p.pk for p in payments if p != held]
    assert held.idempotency_key not in renewals_charged()
    settle(sent)
    # Its sender died: once its lease ran out, reconcile sends it under its key.
    reconcile_pending(now=RENEW + dt.timedelta(minutes=3))
    assert set(renewals_charged().values()) == {1} and len(renewals_charged()) == 6
    assert set(Payment.objects.filter(pk__in=[p.pk for p in payments]).values_list(
        "status", flat=True
    )) == {Payment.Status.SUCCEEDED}  # fmt: skip


def test_a_failing_lane_stops_the_batch_and_strands_nothing(
    contact, card, product, rep, settings, monkeypatch
):
    settings.PAYDESK_GATEWAY_LANES = 2
    sell(8, contact, card, product, rep)
    payments = bill_due()
    calls = []
    real = charging.call_gateway

    def call_gateway(payment):
        calls.append(payment.pk)
        if len(calls) == 2:
            raise ConnectionError("the database went away")
        return real(payment)

    monkeypatch.setattr(charging, "call_gateway", call_gateway)
    with pytest.raises(ConnectionError):
        sending.send_claimed(payments)

    # The other lane finished the charge it held and took no more.
    assert len(calls) <= 3
    assert other_connections() == 0
    monkeypatch.setattr(charging, "call_gateway", real)
    # What was claimed waits out its lease; reconcile then asks the gateway by key and sends
    # the ones it never saw.
    reconcile_pending(now=RENEW + dt.timedelta(minutes=3))
    assert set(renewals_charged().values()) == {1} and len(renewals_charged()) == 8
    assert not Payment.objects.filter(status__in=charging.IN_FLIGHT).exists()
