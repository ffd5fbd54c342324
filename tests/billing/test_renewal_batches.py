"""The renewal sweep bills and records a batch with a fixed number of statements, whatever its
size: only the claim before each gateway call and the gateway's own call are per renewal
(issue 13). The rows it writes are the rows the one-by-one path writes."""

import datetime as dt

from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_q.conf import Conf

from billing import actions
from billing.actions import SaleLine
from billing.invariants import breaches
from billing.models import Invoice, Journal, LedgerEntry, Order, Payment
from billing.steps import charging, renewals
from billing.tasks import charge_due_orders
from core import clock
from core.models import AuditEvent
from offers.terms import PaymentTerms

SOLD = dt.datetime(2027, 1, 1, 9, tzinfo=dt.UTC)
RENEW = SOLD + dt.timedelta(days=31)
# The sweep of one batch, then the chunk that finds nothing left (3 SELECTs). The batch: the
# stranded-charge check, the status-change claim, the due claim and its credit check, six
# INSERTs (invoices, lines, journals, entries, audit, payments) and the orders' UPDATE; around
# the charges, the unflushed commits turned on and back (core.txn.unflushed_commits); once
# the gateway answered, three locks, the amounts due, two UPDATEs (payments, invoices), three
# INSERTs (journals, entries, audit); on commit, the follow-ups' four lookups (products,
# referrals, commissions, dunning cases) and the receipts' one task, queued as in production.
# Savepoints (BEGIN/COMMIT outside a test) not counted.
BATCH_STATEMENTS = 30


def sell(n: int, contact, card, product, rep) -> None:
    line = SaleLine(product, terms=PaymentTerms.subscription())
    with clock.frozen_at(SOLD):
        actions.charge_sale(contact, lines=[line] * n, payment_method=card, actor=rep)


def statements(queries: CaptureQueriesContext) -> int:
    return sum(not q["sql"].startswith(("SAVEPOINT", "RELEASE")) for q in queries.captured_queries)


def sweep_statements(django_capture_on_commit_callbacks, monkeypatch) -> tuple[int, int]:
    """(statements of the batch, statements of its per-renewal claims and gateway calls)."""
    monkeypatch.setattr(Conf, "SYNC", False)
    per_renewal = []
    real_claim, real_call = charging.claim, charging.call_gateway

    def claim(payment, **kwargs):
        with CaptureQueriesContext(connection) as queries:
            taken = real_claim(payment, **kwargs)
        per_renewal.append(statements(queries))
        return taken

    def call(payment):
        with CaptureQueriesContext(connection) as queries:
            result = real_call(payment)
        per_renewal.append(statements(queries))
        return result

    charging.claim, charging.call_gateway = claim, call
    try:
        with (
            CaptureQueriesContext(connection) as queries,
            django_capture_on_commit_callbacks(execute=True),
            clock.frozen_at(RENEW),
        ):
            charge_due_orders()
    finally:
        charging.claim, charging.call_gateway = real_claim, real_call
    return statements(queries) - sum(per_renewal), sum(per_renewal)


def test_a_batch_costs_the_same_statements_for_3_or_30_renewals(
    contact, card, product, rep, django_capture_on_commit_callbacks, monkeypatch
):
    sell(3, contact, card, product, rep)
    small, small_rows = sweep_statements(django_capture_on_commit_callbacks, monkeypatch)
    sell(30, contact, card, product, rep)
    # The three first orders are not due again yet: only the 30 new ones renew.
    large, large_rows = sweep_statements(django_capture_on_commit_callbacks, monkeypatch)

    assert small == large == BATCH_STATEMENTS
    per_renewal = small_rows / 3
    assert per_renewal == large_rows / 30
    assert per_renewal == 2  # the claim, and the sandbox's one statement (its charge)
    assert Payment.objects.filter(invoice__source=Invoice.Source.ORDER).count() == 33
    assert breaches(include_card_scan=False) == []


def test_a_batched_renewal_writes_what_the_one_by_one_path_writes(
    contact, card, product, rep, django_capture_on_commit_callbacks
):
    sell(1, contact, card, product, rep)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True), clock.frozen_at(RENEW):
        assert charge_due_orders() == {"billed": 1, "charged": 1}
    order = Order.objects.get()
    invoice = Invoice.objects.get(order=order, period=1)
    payment = invoice.payments.get()
    assert invoice.status == Invoice.Status.PAID
    assert payment.status == Payment.Status.SUCCEEDED
    assert payment.idempotency_key == f"order:{order.pk}:period:1"
    assert (order.periods_billed, order.status) == (2, Order.Status.ACTIVE)
    assert order.current_period_start == invoice.lines.get().period_start
    assert order.next_charge_on == order.current_period_end == invoice.lines.get().period_end
    kinds = Journal.objects.filter(invoice=invoice).values_list("kind", flat=True)
    assert sorted(kinds) == ["invoice_issued", "payment_captured"]
    assert LedgerEntry.objects.filter(invoice=invoice).count() == 4
    actions_done = AuditEvent.objects.filter(
        subject_id__in=[invoice.pk, payment.pk],
        action__in=["order.period_billed", "payment.succeeded"],
    )
    assert actions_done.count() == 2
    assert [m.subject for m in mail.outbox] == [f"Receipt for {invoice.number}"]
    assert breaches(include_card_scan=False) == []


def test_only_the_claims_and_gateway_calls_commit_unflushed(
    contact, card, product, rep, django_capture_on_commit_callbacks, monkeypatch
):
    """The claims and the sandbox's charges may commit without waiting for the disk
    (billing.steps.sending); the batch's capture, and all after it, wait as usual."""
    sell(3, contact, card, product, rep)
    seen = []

    def setting() -> str:
        with connection.cursor() as cursor:
            cursor.execute("SELECT current_setting('synchronous_commit')")
            return cursor.fetchone()[0]

    def spy(name, real):
        def watched(*args, **kwargs):
            seen.append((name, setting()))
            return real(*args, **kwargs)

        monkeypatch.setattr(charging, name, watched)

    spy("claim", charging.claim)
    spy("call_gateway", charging.call_gateway)
    real_settle = renewals.settle_batch
    monkeypatch.setattr(
        renewals,
        "settle_batch",
        lambda sent: seen.append(("settle", setting())) or real_settle(sent),
    )
    with connection.cursor() as cursor:
        cursor.execute("SET synchronous_commit = on")  # the test database's own is off
    with django_capture_on_commit_callbacks(execute=True), clock.frozen_at(RENEW):
        assert charge_due_orders() == {"billed": 3, "charged": 3}
    # The batch, then the chunk that finds nothing left.
    assert seen == [("claim", "off"), ("call_gateway", "off")] * 3 + [("settle", "on")] * 2
    assert setting() == "on"
