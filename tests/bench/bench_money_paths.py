"""Benchmarks (`make bench`): throughput of the sweeps and latency of the busiest pages.

Figures print as a table; they depend on the machine, so compare runs on one machine (the
header prints its CPU count and PostgreSQL version)."""

import datetime as dt
import os
import statistics
import time

import pytest
from django.db import connection
from django.test import Client

from billing import actions
from billing.actions import SaleLine
from billing.gateways.sandbox import SandboxGateway
from billing.invariants import breaches
from billing.tasks import charge_due_orders
from core import clock
from dunning.tasks import run_dunning
from offers.terms import PaymentTerms
from tests import factories

pytestmark = [pytest.mark.bench, pytest.mark.django_db(transaction=True)]
SOLD = dt.datetime(2027, 1, 1, 9, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def queued_tasks(monkeypatch):
    """As in production, follow-up tasks (commissions, delivery) go to the ORM broker for the
    cluster instead of running inline, so the figures are the sweeps' own."""
    from django_q.conf import Conf

    monkeypatch.setattr(Conf, "SYNC", False)


def report(name: str, value: str) -> None:
    print(f"  {name:<58} {value}")


@pytest.fixture(scope="module", autouse=True)
def header(django_db_blocker):
    with django_db_blocker.unblock(), connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        version = cursor.fetchone()[0]
    print(f"\nmachine: {os.cpu_count()} CPUs, PostgreSQL {version}, sandbox gateway (0 ms)")


def _subscribers(n: int, manager, product):
    contact = factories.ContactFactory()
    card = actions.add_card(contact, token="pm_card_visa", actor=manager)
    with clock.frozen_at(SOLD):
        for _ in range(n):
            actions.charge_sale(
                contact, lines=[SaleLine(product, terms=PaymentTerms.subscription())],
                payment_method=card, actor=manager,
            )  # fmt: skip
    return contact, card


def test_renewal_sweep_throughput(manager, product):
    n = 1000
    _subscribers(n, manager, product)
    started = time.perf_counter()
    with clock.frozen_at(SOLD + dt.timedelta(days=31)):
        counts = charge_due_orders()
    elapsed = time.perf_counter() - started
    assert counts == {"billed": n, "charged": n}
    report(f"charge_due_orders, {n} renewals, one process", f"{n / elapsed:.0f} renewals/s")
    assert breaches(include_card_scan=False) == []


def test_renewal_sweep_throughput_with_two_runners(manager, product):
    """Two runners share the work through skip_locked claims, as two qcluster workers would."""
    import threading

    n = 1000
    _subscribers(n, manager, product)
    results = []

    def run():
        try:
            with clock.frozen_at(SOLD + dt.timedelta(days=31)):
                results.append(charge_due_orders())
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    started = time.perf_counter()
    [t.start() for t in threads]
    [t.join() for t in threads]
    elapsed = time.perf_counter() - started
    assert sum(r["charged"] for r in results) == n
    report(
        f"charge_due_orders, {n} renewals, two runners (threads)", f"{n / elapsed:.0f} renewals/s"
    )


def test_dunning_sweep_throughput(manager, product, django_capture_on_commit_callbacks):
    n = 300
    _, card = _subscribers(n, manager, product)
    SandboxGateway().set_card_behaviour(card.token, "pm_card_chargeDeclined")
    with clock.frozen_at(SOLD + dt.timedelta(days=31)):
        charge_due_orders()
    started = time.perf_counter()
    with clock.frozen_at(SOLD + dt.timedelta(days=34)):
        counts = run_dunning()
    elapsed = time.perf_counter() - started
    assert counts["attempts"] == n
    report(f"run_dunning, {n} due attempts (all declined)", f"{n / elapsed:.0f} attempts/s")


def _timed(fn, runs: int = 30) -> tuple[float, float]:
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - started) * 1000)
    samples.sort()
    return statistics.median(samples), samples[int(len(samples) * 0.95) - 1]


def test_contact_record_latency_does_not_grow_with_history(manager, product):
    client = Client()
    client.force_login(manager)
    contact = factories.ContactFactory()
    line = [SaleLine(product)]
    figures = {}
    done = 0
    # Both sizes fill the first page (50 invoices), so any growth would come from the history.
    for size in (100, 1000):
        for _ in range(size - done):
            actions.record_sale(contact, lines=line, reference="bench", actor=manager)
        done = size
        url = contact.get_absolute_url()
        assert client.get(url).status_code == 200
        figures[size] = _timed(lambda url=url: client.get(url))
        report(f"contact record with {size} invoices (p50 / p95)",
               f"{figures[size][0]:.1f} / {figures[size][1]:.1f} ms")  # fmt: skip
    report("ratio of p50, 1000 vs 100 invoices", f"{figures[1000][0] / figures[100][0]:.2f}x")


def test_refund_action_latency(manager, product):
    contact = factories.ContactFactory()
    card = actions.add_card(contact, token="pm_card_visa", actor=manager)
    payments = [
        actions.charge_sale(
            contact, lines=[SaleLine(product)], payment_method=card, actor=manager
        ).payments.get()  # fmt: skip
        for _ in range(30)
    ]
    it = iter(payments)
    p50, p95 = _timed(lambda: actions.refund_payment(next(it), actor=manager, reason="bench"))
    report("refund_payment through the gateway (p50 / p95)", f"{p50:.1f} / {p95:.1f} ms")
