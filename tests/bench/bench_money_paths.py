"""Benchmarks (`make bench`): latency of the busiest pages and actions (the sweeps' throughput:
bench_sweeps.py).

Figures print as a table; they depend on the machine, so compare runs on one machine (the
header prints its CPU count and PostgreSQL version)."""

import os
import statistics
import time

import pytest
from django.db import connection
from django.test import Client

from billing import actions
from billing.actions import SaleLine
from tests import factories

pytestmark = [pytest.mark.bench, pytest.mark.django_db(transaction=True)]


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


def _timed(fn, runs: int = 30) -> tuple[float, float]:
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - started) * 1000)
    samples.sort()
    return statistics.median(samples), samples[int(len(samples) * 0.95) - 1]


def test_contact_record_latency_does_not_grow_with_history(manager, product, bench_table):
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
    bench_table.add("contact record, 1,000 invoices, p95", figures[1000][1], "ms")


def test_refund_action_latency(manager, product, bench_table):
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
    bench_table.add("refund_payment through the gateway, p50", p50, "ms")
