"""Benchmark (`make bench`): the contact record of one contact with 10,000 invoices (issue 13).

Goal: p95 <= 100 ms, and the same number of queries on every page of its invoices and history.
The contact's books come from `seed_volume` (set-based benchmark volume, verify_ledger-clean),
connected as the owner as in its own command: its closing ANALYZE is refused to the app role
(which owns no table) and sees nothing uncommitted, and without statistics the planner sorts all
of the contact's rows where production walks an index. VACUUM then sets the visibility map
autovacuum sets on these append-mostly tables long before anyone opens the record.

The box the bench runs on is shared: beside the wall-clock times it reports the CPU time of the
request's own process (what it would take on an idle box, besides the database's time) and
the load average. The requests are timed in a thread of their own (`_in_a_thread`)."""

import os
import statistics
import threading
import time
from urllib.parse import urlencode

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
    """(p50, p95) of wall-clock and of CPU milliseconds, timed in a thread of its own."""
    return _in_a_thread(lambda: _samples(fn, runs))


def _in_a_thread(fn):
    """`fn()`, run in a new thread, as a threaded server's worker runs a request.

    CPython 3.11 keeps frames on a stack of 16 KiB chunks: it maps a chunk when the calls grow
    past the last one and unmaps it when they return below it. Called from under pytest's own
    frames, the record's template calls crossed such a boundary some 1,300 times a request (7 to
    14 ms of system time, a third of the request's CPU), which measured the depth pytest happens
    to call from, not the page. A new thread starts its frames at the bottom of a chunk."""
    result = {}

    def run() -> None:
        try:
            result["value"] = fn()
        except BaseException as error:  # re-raised in the test's own thread
            result["error"] = error
        finally:
            connection.close()  # the thread's own connection

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    if "error" in result:
        raise result["error"]
    return result["value"]


def _samples(fn, runs: int) -> tuple[tuple[float, float], tuple[float, float]]:
    fn()  # the thread's first request opens its database connection
    wall, cpu = [], []
    for _ in range(runs):
        started, used = time.perf_counter(), time.process_time()
        fn()
        wall.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - used) * 1000)
    return _p50_p95(wall), _p50_p95(cpu)


def _shown(client: Client, url: str, panel: str) -> set[int]:
    """The ids of the rows a panel of the record shows at `url`."""
    return {row.pk for row in getattr(client.get(url).context["record"], panel)}


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
    first = client.get(url).context["record"]
    assert first.next_invoices and first.next_history
    # Encoded as the page's own links encode them: a cursor's "+00:00" read as " 00:00" is no
    # cursor, and the page starts at the top again.
    pages = {
        "first page": url,
        "invoices, second page": f"{url}?{urlencode({'before': first.next_invoices})}",
        "history, second page": f"{url}?{urlencode({'history_before': first.next_history})}",
    }
    for name, panel in (("invoices, second page", "invoices"), ("history, second page", "history")):
        assert not _shown(client, pages[name], panel) & _shown(client, url, panel)
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
