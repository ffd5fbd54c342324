"""The dunning sweep starts and records a batch of declined attempts with a fixed number of
statements, whatever its size: only the claim before each gateway call and the gateway's own
call are per attempt (issue 13). The rows it writes are the rows the one-by-one path writes,
and it never sends more charges a minute than its ceiling allows."""

import datetime as dt
import smtplib

import pytest
from django.core import mail
from django.core.mail.backends import locmem
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_q.conf import Conf
from django_q.models import OrmQ

from billing import actions
from billing.actions import SaleLine
from billing.gateways.sandbox import SandboxGateway
from billing.invariants import breaches
from billing.models import Payment
from billing.steps import charging
from billing.tasks import charge_due_orders
from core import clock
from core.models import AuditEvent, IdempotencyKey
from core.roles import system_user
from dunning import tasks
from dunning.models import DunningAttempt, DunningCase, NoticeSent
from dunning.tasks import run_dunning
from offers.terms import PaymentTerms

SOLD = dt.datetime(2027, 1, 1, 9, tzinfo=dt.UTC)
# The sweep's two lookups (paused cases to resume, declined invoices without a case); the
# batch: the stranded-attempt check, the ceiling's count, the claim, the system user and its
# permissions (one statement, core.permissions), the counters' UPDATE; starting the charges:
# the invoices' lock, the charges in flight, the keys used, the amounts due, four INSERTs
# (payments, keys, audit, attempts) and the payments' key UPDATE; around the charges, the
# unflushed commits turned on and back (core.txn.unflushed_commits); once the gateway answered:
# three locks (orders, invoices, payments), the payments' UPDATE, the audit INSERT, the
# attempts' and cases' UPDATEs and the cases read again; on commit, the declined invoices'
# cases and the one notices task. Then the chunk that finds nothing left (3 SELECTs).
# Savepoints (BEGIN/COMMIT outside a test) not counted.
BATCH_STATEMENTS = 32


def open_cases(n: int, contact, card, product, rep, *, sold: dt.datetime, capture) -> None:
    """n orders sold at `sold`, each renewal declined a month later: n cases open."""
    line = SaleLine(product, terms=PaymentTerms.subscription())
    with clock.frozen_at(sold):
        actions.charge_sale(contact, lines=[line] * n, payment_method=card, actor=rep)
    SandboxGateway().set_card_behaviour(card.token, "pm_card_chargeDeclined")
    with clock.frozen_at(sold + dt.timedelta(days=31)), capture(execute=True):
        charge_due_orders()


def statements(queries: CaptureQueriesContext) -> int:
    return sum(not q["sql"].startswith(("SAVEPOINT", "RELEASE")) for q in queries.captured_queries)


def sweep_statements(at: dt.datetime, capture, monkeypatch) -> tuple[int, int, dict]:
    """(statements of the sweep, statements of its per-attempt claims and gateway calls, its
    counts), the follow-up tasks queued as in production (one INSERT each), not run."""
    per_attempt = []
    real_claim, real_call = charging.claim, charging.call_gateway

    def claim(payment, **kwargs):
        with CaptureQueriesContext(connection) as queries:
            taken = real_claim(payment, **kwargs)
        per_attempt.append(statements(queries))
        return taken

    def call(payment):
        with CaptureQueriesContext(connection) as queries:
            result = real_call(payment)
        per_attempt.append(statements(queries))
        return result

    with monkeypatch.context() as patched:
        patched.setattr(charging, "claim", claim)
        patched.setattr(charging, "call_gateway", call)
        patched.setattr(Conf, "SYNC", False)
        with (
            CaptureQueriesContext(connection) as queries,
            capture(execute=True),
            clock.frozen_at(at),
        ):
            counts = run_dunning()
    return statements(queries) - sum(per_attempt), sum(per_attempt), counts


def queued_notices() -> list:
    """The tasks the sweep queued, all of them notices: their (case, kind, attempt) lists."""
    tasks_queued = [row.task for row in OrmQ.objects.order_by("pk")]
    assert {t["func"] for t in tasks_queued} <= {"dunning.tasks.send_notices"}
    OrmQ.objects.all().delete()
    return [t["args"][0] for t in tasks_queued]


def test_a_batch_costs_the_same_statements_for_3_or_33_attempts(
    contact, card, product, rep, monkeypatch, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    system_user()  # made on first need: not the sweep's to count
    open_cases(3, contact, card, product, rep, sold=SOLD, capture=capture)
    # Day 3 of the first three cases.
    small, small_rows, counts = sweep_statements(SOLD + dt.timedelta(days=34), capture, monkeypatch)
    assert counts["attempts"] == 3
    assert [len(notices) for notices in queued_notices()] == [3]

    later = SOLD + dt.timedelta(days=10)
    SandboxGateway().set_card_behaviour(card.token, "pm_card_visa")  # the sale goes through
    open_cases(30, contact, card, product, rep, sold=later, capture=capture)
    # Day 3 of the thirty new cases, and a later day of the first three.
    large, large_rows, counts = sweep_statements(
        later + dt.timedelta(days=34), capture, monkeypatch
    )
    assert counts["attempts"] == 33
    assert [len(notices) for notices in queued_notices()] == [33]

    assert small == large == BATCH_STATEMENTS
    assert small_rows / 3 == large_rows / 33 == 2  # the claim; the sandbox's one statement
    declined = Payment.objects.filter(
        idempotency_key__startswith="payment:", status=Payment.Status.FAILED
    )
    assert declined.count() == 36
    assert breaches(include_card_scan=False) == []


def test_a_batched_attempt_writes_what_the_one_by_one_path_writes(
    contact, card, product, rep, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    system = system_user()
    open_cases(1, contact, card, product, rep, sold=SOLD, capture=capture)
    case = DunningCase.objects.get()
    with clock.frozen_at(SOLD + dt.timedelta(days=34)), capture(execute=True):
        assert run_dunning()["attempts"] == 1

    case.refresh_from_db()
    attempt = DunningAttempt.objects.get(case=case)
    payment = attempt.payment
    assert (attempt.number, attempt.card, attempt.outcome) == (1, card, "failed")
    assert attempt.decline_code == payment.decline_code == case.last_decline_code != ""
    assert payment.status == Payment.Status.FAILED
    assert payment.idempotency_key == f"payment:{payment.pk}"
    assert (payment.invoice, payment.payment_method, payment.actor) == (case.invoice, card, system)
    key = IdempotencyKey.objects.get(key=f"dunning:{case.pk}:1:{card.pk}")
    assert (key.action, key.result_id) == ("retry_invoice", payment.pk)
    retried = AuditEvent.objects.get(action="invoice.charge_retried", subject_id=case.invoice_id)
    assert (retried.actor, retried.reason, retried.amount) == (
        system, "Collection attempt 1", payment.amount
    )  # fmt: skip
    failed = AuditEvent.objects.get(action="payment.failed", subject_id=payment.pk)
    assert failed.actor == system
    assert failed.after == {"decline_code": payment.decline_code}
    assert case.status == DunningCase.Status.ACTIVE
    assert case.order.status == case.order.Status.PAST_DUE
    # The first notice when the case opened, the further one for this attempt.
    sent = NoticeSent.objects.filter(case=case).values_list("kind", "attempt")
    assert sorted(sent) == [("first", 0), ("further", 1)]
    assert len(mail.outbox) == 2
    # Replayed by the one-by-one path, the attempt's key finds the same charge.
    tasks.run_attempt(case.pk, 1)
    assert Payment.objects.filter(invoice=case.invoice, status=Payment.Status.FAILED).count() == 2
    assert DunningAttempt.objects.get(case=case).payment == payment
    assert breaches(include_card_scan=False) == []


def test_the_sweep_sends_no_more_charges_a_minute_than_its_ceiling(
    contact, card, product, rep, settings, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    open_cases(5, contact, card, product, rep, sold=SOLD, capture=capture)
    settings.PAYDESK_DUNNING_MAX_CHARGES_PER_MINUTE = 2
    retry = SOLD + dt.timedelta(days=34)
    with clock.frozen_at(retry), capture(execute=True):
        assert run_dunning()["attempts"] == 2
    with clock.frozen_at(retry + dt.timedelta(seconds=30)), capture(execute=True):
        assert run_dunning()["attempts"] == 0
    with clock.frozen_at(retry + dt.timedelta(minutes=2)), capture(execute=True):
        assert run_dunning()["attempts"] == 2
    assert DunningAttempt.objects.count() == 4


def test_a_notice_the_mail_server_refuses_fails_the_task_and_is_sent_alone_on_its_retry(
    contact, card, product, rep, monkeypatch, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    open_cases(3, contact, card, product, rep, sold=SOLD, capture=capture)
    sweep_statements(SOLD + dt.timedelta(days=34), capture, monkeypatch)
    [notices_due] = queued_notices()
    assert len(notices_due) == 3
    mail.outbox.clear()
    recorded = NoticeSent.objects.count()
    real_send, calls = locmem.EmailBackend.send_messages, []

    def refuse_the_second(backend, messages):
        calls.append(messages)
        if len(calls) == 2:
            raise smtplib.SMTPRecipientsRefused({contact.email: (550, b"mailbox busy")})
        return real_send(backend, messages)

    monkeypatch.setattr(locmem.EmailBackend, "send_messages", refuse_the_second)
    with pytest.raises(smtplib.SMTPRecipientsRefused):
        tasks.send_notices(notices_due)
    # The others went out; the refused one left no row, so the cluster's retry sends it.
    assert len(mail.outbox) == 2
    assert NoticeSent.objects.count() == recorded + 2

    assert tasks.send_notices(notices_due) == 1
    assert len(mail.outbox) == 3
    assert NoticeSent.objects.count() == recorded + 3
