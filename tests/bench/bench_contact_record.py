"""Benchmark (`make bench`): the contact record of one contact with 10,000 invoices (issue 13).

Goal: p95 <= 100 ms, and the same number of queries on every page of its invoices and history.
The contact's books come from `seed_volume` (set-based benchmark volume, verify_ledger-clean),
connected as the owner as in its own command: its closing ANALYZE is refused to the app role
(which owns no table) and sees nothing uncommitted, and without statistics the planner sorts all
of the contact's rows where production walks an index."""

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


def _timed(fn, runs: int = 40) -> tuple[float, float]:
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - started) * 1000)
    samples.sort()
    return statistics.median(samples), samples[int(len(samples) * 0.95) - 1]


def _queries(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_contact_record_at_ten_thousand_invoices(manager, capsys):
    with capsys.disabled(), db_roles.as_owner():
        call_command("seed_volume", invoices=1000, contact_invoices=INVOICES, stdout=None)
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
            p50, p95 = _timed(lambda u=u: client.get(u))
            report(f"{name} (p50 / p95)", f"{p50:.1f} / {p95:.1f} ms")
        report("queries per page", ", ".join(f"{n}: {c}" for n, c in counts.items()))
    assert len(set(counts.values())) == 1
