"""Throughput of the renewal and dunning sweeps (issue 13: each >= 0.25 x pgbench TPS in one
process; 10,000 due orders charged in under a minute by two workers, none twice).

Two workers are two real processes (tests/billing/sweeper.py), as two qcluster workers are:
threads in one process share the GIL. PAYDESK_BENCH_PROFILE=<file> writes a cProfile of the
one-process renewal sweep there, and of the dunning sweep to <file>.dunning
(`python -m pstats <file>`)."""

import cProfile
import datetime as dt
import os
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.db import connection
from django.db.models import Count
from django_q.conf import Conf

from billing import actions
from billing.actions import SaleLine
from billing.gateways import sandbox
from billing.gateways.sandbox import SandboxGateway
from billing.invariants import breaches
from billing.models import Order, SandboxTransaction
from billing.tasks import charge_due_orders
from core import clock
from dunning.tasks import run_dunning
from offers.terms import PaymentTerms
from tests import factories
from tests.billing.sweeper import child

pytestmark = [pytest.mark.bench, pytest.mark.django_db(transaction=True)]
SOLD = dt.datetime(2027, 1, 1, 9, tzinfo=dt.UTC)
RENEW = SOLD + dt.timedelta(days=31)
GOAL = ">= 0.25"
# Orders opened per sale: one invoice per sale, one period invoice per order at renewal.
PER_SALE = 50


@pytest.fixture(autouse=True)
def queued_tasks(monkeypatch):
    """As in production, follow-up tasks (commissions, delivery, dunning) go to the ORM broker
    for the cluster instead of running inline, so the figures are the sweeps' own."""
    monkeypatch.setattr(Conf, "SYNC", False)


def subscribers(n: int, manager, product):
    """n monthly orders on one card, sold through the real action (PER_SALE lines a sale)."""
    contact = factories.ContactFactory()
    card = actions.add_card(contact, token="pm_card_visa", actor=manager)
    line = SaleLine(product, terms=PaymentTerms.subscription())
    with clock.frozen_at(SOLD):
        for start in range(0, n, PER_SALE):
            actions.charge_sale(
                contact, lines=[line] * min(PER_SALE, n - start), payment_method=card,
                actor=manager,
            )  # fmt: skip
    return contact, card


class Statements:
    """Counts every statement this connection sends (CaptureQueriesContext keeps only 9,000)."""

    def __init__(self):
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)


@dataclass(frozen=True)
class Server:
    """What PostgreSQL has done so far: transactions committed and rows written (every
    session), and the CPU time of this connection's backend process (None when the server
    runs on another machine)."""

    commits: int
    rows: int
    cpu: float | None

    @classmethod
    def now(cls) -> "Server":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_stat_force_next_flush()")
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_stat_clear_snapshot()")
            cursor.execute(
                "SELECT xact_commit, pg_backend_pid(), (SELECT sum(n_tup_ins + n_tup_upd)"
                " FROM pg_stat_user_tables) FROM pg_stat_database"
                " WHERE datname = current_database()"
            )
            commits, pid, rows = cursor.fetchone()
        return cls(commits, int(rows), _process_cpu(pid))

    def since(self, before: "Server") -> "Server":
        cpu = self.cpu - before.cpu if self.cpu is not None and before.cpu is not None else None
        # Less the two statistics reads between the snapshots.
        return Server(self.commits - before.commits - 2, self.rows - before.rows, cpu)


def _process_cpu(pid: int) -> float | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat.rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def add_sweep_rows(
    bench_table, unit: str, n: int, queries: "Statements", cpu: float, server: Server
) -> None:
    """A sweep's cost per unit. PostgreSQL's own CPU a unit bounds what one process can do
    however little Python it spends: its statements wait for the backend, one at a time."""
    bench_table.add(f"  statements per {unit}", queries.count / n, "statements")
    bench_table.add(f"  transactions per {unit}", server.commits / n, "commits")
    bench_table.add(f"  rows written per {unit} (TPC-B: 4)", server.rows / n, "rows")
    # The sweep's own CPU (Python and the driver), which the machine's load barely moves.
    bench_table.add(f"  CPU per {unit}, this process", cpu / n * 1000, "ms CPU")
    if server.cpu:
        bench_table.add(
            f"  CPU per {unit}, its PostgreSQL backend", server.cpu / n * 1000, "ms CPU"
        )
        bench_table.add("  ceiling set by PostgreSQL's CPU alone", n / server.cpu, f"{unit}s/s")


def renewals_charged_twice() -> int:
    renewals = SandboxTransaction.objects.filter(
        kind="charge", idempotency_key__startswith="order:"
    )
    return renewals.values("idempotency_key").annotate(n=Count("pk")).filter(n__gt=1).count()


def test_renewal_sweep_in_one_process(manager, product, bench_table):
    n = 1000
    subscribers(n, manager, product)
    profile = os.environ.get("PAYDESK_BENCH_PROFILE")
    profiler = cProfile.Profile() if profile else None
    before = Server.now()
    queries = Statements()
    with connection.execute_wrapper(queries), clock.frozen_at(RENEW):
        started, cpu = time.perf_counter(), time.process_time()
        if profiler:
            profiler.enable()
        counts = charge_due_orders()
        if profiler:
            profiler.disable()
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    server = Server.now().since(before)
    if profiler:
        profiler.dump_stats(profile)
    assert counts == {"billed": n, "charged": n}
    assert renewals_charged_twice() == 0
    rate = n / elapsed
    name = "renewals, charge_due_orders, 1 process" + (" (profiled)" if profiler else "")
    bench_table.add(name, rate, "renewals/s", GOAL)
    add_sweep_rows(bench_table, "renewal", n, queries, cpu, server)
    assert breaches(include_card_scan=False) == []


@pytest.mark.parametrize("lanes, n", [(1, 20), (8, 200)])
def test_renewals_against_a_gateway_answering_in_300_ms(
    manager, product, bench_table, settings, lanes, n
):
    """A real gateway's latency (Stripe: 0.3-1 s a charge) bounds a sweep that waits for each
    answer in turn; lanes (billing.steps.sending) keep several charges at the gateway at once.
    The goal is reference B3's (>= 20 renewals/s with a 300 ms gateway)."""
    settings.PAYDESK_GATEWAY_LANES = lanes
    subscribers(n, manager, product)
    sandbox.slow_down(300)
    try:
        with clock.frozen_at(RENEW):
            started = time.perf_counter()
            counts = charge_due_orders()
            elapsed = time.perf_counter() - started
    finally:
        sandbox.clear_faults()
    assert counts == {"billed": n, "charged": n}
    assert renewals_charged_twice() == 0
    bench_table.add(
        f"renewals, gateway 300 ms, 1 process, {lanes} lane{'s' if lanes > 1 else ''}",
        n / elapsed,
        "renewals/s",
        ">= 20" if lanes > 1 else "",
    )
    assert breaches(include_card_scan=False) == []


def _in_processes(sweep: str, now: dt.datetime, workers: int, tmp_path) -> float:
    """Seconds `workers` real processes take to run `sweep` to the end, from a common start
    signal (their Python and Django start-up is not timed)."""
    go = tmp_path / "go"
    runners = [
        child(sweep, now.isoformat(), "--start-after", str(go), "--production")
        for _ in range(workers)
    ]
    try:
        time.sleep(3)  # each has imported Django and is waiting on `go`
        started = time.perf_counter()
        go.touch()
        for runner in runners:
            runner.wait(timeout=600)
        elapsed = time.perf_counter() - started
    finally:
        for runner in runners:
            if runner.poll() is None:
                runner.kill()
                runner.wait()
    assert [runner.returncode for runner in runners] == [0] * workers
    return elapsed


def test_ten_thousand_renewals_with_two_workers(manager, product, bench_table, tmp_path):
    n = 10_000
    subscribers(n, manager, product)
    elapsed = _in_processes("charge_due_orders", RENEW, 2, tmp_path)
    assert not Order.objects.filter(next_charge_on__lte=RENEW.date()).exists()
    renewals = SandboxTransaction.objects.filter(
        kind="charge", idempotency_key__startswith="order:"
    )
    assert renewals.count() == n
    assert renewals_charged_twice() == 0
    bench_table.add("renewals, charge_due_orders, 2 processes", n / elapsed, "renewals/s", GOAL)
    bench_table.add(f"  {n:,} renewals, 2 processes", elapsed, "s", "< 60 s")
    assert breaches(include_card_scan=False) == []


def test_dunning_sweep_in_one_process(manager, product, bench_table, settings, monkeypatch):
    settings.PAYDESK_DUNNING_MAX_CHARGES_PER_MINUTE = 1_000_000
    n = 1000
    _, card = subscribers(n, manager, product)
    SandboxGateway().set_card_behaviour(card.token, "pm_card_chargeDeclined")
    # Every renewal is declined; the receivers open the cases inline (not timed).
    with monkeypatch.context() as inline, clock.frozen_at(RENEW):
        inline.setattr(Conf, "SYNC", True)
        charge_due_orders()
    before = Server.now()
    queries = Statements()
    profile = os.environ.get("PAYDESK_BENCH_PROFILE")
    profiler = cProfile.Profile() if profile else None
    with connection.execute_wrapper(queries), clock.frozen_at(RENEW + dt.timedelta(days=3)):
        started, cpu = time.perf_counter(), time.process_time()
        if profiler:
            profiler.enable()
        counts = run_dunning()
        if profiler:
            profiler.disable()
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    server = Server.now().since(before)
    if profiler:
        profiler.dump_stats(f"{profile}.dunning")
    assert counts["attempts"] == n
    name = "dunning attempts, run_dunning, 1 process" + (" (profiled)" if profiler else "")
    bench_table.add(name, n / elapsed, "attempts/s", GOAL)
    add_sweep_rows(bench_table, "attempt", n, queries, cpu, server)
