"""Benchmark (`make bench`): the contact record of one contact with 10,000 invoices (issue 13).

Goal: p95 <= 100 ms, and the same number of queries on every page of its invoices and history.
The contact's books come from `seed_volume` (set-based benchmark volume, verify_ledger-clean),
connected as the owner as in its own command: its closing ANALYZE is refused to the app role
(which owns no table) and sees nothing uncommitted, and without statistics the planner sorts all
of the contact's rows where production walks an index. VACUUM then sets the visibility map
autovacuum sets on these append-mostly tables long before anyone opens the record.

The box the bench runs on is shared: beside the wall-clock times it reports the CPU time of the
request's own process (what it would take on an idle box, besides the database's time) and
the load average."""

import os
import statistics
import time

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from contacts.models import Contact
from core import db_roles

pytestmark = [pytest.mark.bench, pytest.mark.django_db(transaction=True)]
INVOICES = 10_000


def report(name: str, value: str) -> None:
    print(f"  {name:<58} {value}")


def _p50_p95(samples: list[float]) -> tuple[float, float]:
    samples = sorted(samples)
    return statistics.median(samples), samples[int(len(samples) * 0.95) - 1]


def _timed(fn, runs: int = 40) -> tuple[tuple[float, float], tuple[float, float]]:
    """(p50, p95) of wall-clock and of CPU milliseconds."""
    wall, cpu = [], []
    for _ in range(runs):
        started, used = time.perf_counter(), time.process_time()
        fn()
        wall.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - used) * 1000)
    return _p50_p95(wall), _p50_p95(cpu)


def _queries(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_contact_record_at_ten_thousand_invoices(manager, capsys):
    with capsys.disabled(), db_roles.as_owner():
        call_command("seed_volume", invoices=1000, contact_invoices=INVOICES, stdout=None)
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
    contact = Contact.objects.get(email__startswith="volume-heavy-")
    assert contact.invoices.count() == INVOICES
    client = Client()
    client.force_login(manager)
    url = contact.get_absolute_url()
    page = client.get(url)
    older = page.context["record"].next_invoices
    older_history = page.context["record"].next_history
    assert older and older_history
    pages = {
        "first page": url,
        "invoices, second page": f"{url}?before={older}",
        "history, second page": f"{url}?history_before={older_history}",
    }
    counts = {name: _queries(client, u) for name, u in pages.items()}
    with capsys.disabled():
        print(f"\ncontact record, one contact with {INVOICES:,} invoices")
        for name, u in pages.items():
            (p50, p95), (cpu50, cpu95) = _timed(lambda u=u: client.get(u))
            report(f"{name} (p50 / p95)", f"{p50:.1f} / {p95:.1f} ms")
            report(f"{name}, CPU of the request (p50 / p95)", f"{cpu50:.1f} / {cpu95:.1f} ms")
        report("load average (1 min) after the runs", f"{os.getloadavg()[0]:.2f}")
        report("queries per page", ", ".join(f"{n}: {c}" for n, c in counts.items()))
    assert len(set(counts.values())) == 1
