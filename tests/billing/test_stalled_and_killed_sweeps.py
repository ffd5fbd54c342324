"""Real processes stopped (SIGSTOP) and killed (SIGKILL) by PID in the middle of a sweep: each
order period is still charged exactly once at the gateway, the ledger equals the gateway, and
no customer hears of a decline for a card that was never tried (issue: R5, R17)."""

import datetime as dt
import os
import signal

import pytest
from django.core import mail
from django.core.management import call_command
from django.db.models import Count

from billing import actions, errors
from billing.actions import SaleLine
from billing.models import Invoice, Order, Payment, Refund, SandboxTransaction
from billing.tasks import charge_due_orders, reconcile_pending
from core import clock
from dunning.models import DunningCase, NoticeSent
from dunning.tasks import run_dunning
from offers.terms import PaymentTerms
from tests.billing.sweeper import child, wait_for

pytestmark = pytest.mark.django_db(transaction=True)
ORDERS = 40


def sell_monthly(contact, card, product, rep, n: int = ORDERS) -> None:
    for _ in range(n):
        actions.charge_sale(
            contact, lines=[SaleLine(product, terms=PaymentTerms.subscription())],
            payment_method=card, actor=rep,
        )  # fmt: skip


def renewals():
    return SandboxTransaction.objects.filter(kind="charge", idempotency_key__startswith="order:")


def after_the_lease() -> dt.datetime:
    return clock.now() + dt.timedelta(minutes=3)


def stop(process) -> None:
    """Never leave a stopped or running child behind a failed test."""
    if process.poll() is None:
        os.kill(process.pid, signal.SIGKILL)
        os.kill(process.pid, signal.SIGCONT)
        process.wait(timeout=30)


def assert_each_period_charged_once_and_the_books_match_the_gateway() -> None:
    assert renewals().count() == ORDERS
    assert SandboxTransaction.objects.filter(kind="charge").count() == 2 * ORDERS
    renewed = Payment.objects.filter(invoice__source=Invoice.Source.ORDER)
    assert set(renewed.values_list("status", flat=True)) == {Payment.Status.SUCCEEDED}
    assert renewed.count() == ORDERS
    assert not Invoice.objects.filter(status=Invoice.Status.OPEN).exists()
    assert not Order.objects.filter(status=Order.Status.PAST_DUE).exists()
    assert not DunningCase.objects.exists()
    assert not NoticeSent.objects.exists()
    call_command("verify_ledger")  # raises CommandError on any breach


# One lane sends the batch's charges in turn; four are at the gateway at once
# (billing.steps.sending), as with Stripe. A stop or a kill finds several charges claimed.
lanes = pytest.mark.parametrize("lanes", [1, 4])


@lanes
def test_a_stalled_runner_and_the_reconcile_sweep_charge_each_period_once(
    contact, card, product, rep, tmp_path, lanes, monkeypatch
):
    monkeypatch.setenv("PAYDESK_GATEWAY_LANES", str(lanes))
    sell_monthly(contact, card, product, rep)
    renew_at = clock.now() + dt.timedelta(days=32)
    marker = tmp_path / "stalled"
    runner = child(
        "charge_due_orders", renew_at.isoformat(), "--delay-ms", "5",
        "--stall-at", "11", "--marker", str(marker),
    )  # fmt: skip
    try:
        wait_for(marker.exists, what="the runner's 11th charge")
        os.kill(runner.pid, signal.SIGSTOP)
        # The 11th call stalls once 10 have started. With lanes, up to `lanes - 1` of those may
        # still be at the gateway, and the other lanes may have gone on past the stalled one.
        stopped = renewals().count()
        assert stopped == 10 if lanes == 1 else 10 - (lanes - 1) <= stopped < ORDERS

        # The stalled runner's pending charges look lost: reconcile sends them itself,
        # under their own keys, instead of calling them declines.
        reconcile_pending(now=after_the_lease())
        assert renewals().count() == ORDERS

        os.kill(runner.pid, signal.SIGCONT)
        assert runner.wait(timeout=120) == 0
    finally:
        stop(runner)
    run_dunning(now=renew_at + dt.timedelta(days=3, hours=1))

    assert_each_period_charged_once_and_the_books_match_the_gateway()


@lanes
def test_a_killed_runner_strands_nothing_and_reports_no_false_decline(
    contact, card, product, rep, lanes, monkeypatch
):
    monkeypatch.setenv("PAYDESK_GATEWAY_LANES", str(lanes))
    sell_monthly(contact, card, product, rep)
    renew_at = clock.now() + dt.timedelta(days=32)
    runner = child("charge_due_orders", renew_at.isoformat(), "--delay-ms", "20")
    try:
        wait_for(lambda: renewals().count() >= 15, what="15 renewals")
        os.kill(runner.pid, signal.SIGKILL)
        runner.wait(timeout=30)
    finally:
        stop(runner)
    assert renewals().count() < ORDERS

    charge_due_orders(now=renew_at)  # the restart sends what the dead runner left unsent
    reconcile_pending(now=after_the_lease())  # and the one it was sending when it died
    run_dunning(now=renew_at + dt.timedelta(days=3, hours=1))

    assert_each_period_charged_once_and_the_books_match_the_gateway()
    assert not [m for m in mail.outbox if "payment" in m.subject.lower()]


def test_a_stalled_refund_keeps_its_reservation_and_is_made_once(
    contact, card, product, rep, tmp_path
):
    invoice = actions.charge_sale(
        contact, lines=[SaleLine(product)], payment_method=card, actor=rep
    )
    payment = invoice.payments.get()
    marker = tmp_path / "stalled"
    refunder = child("refund", str(payment.pk), "--stall-at", "1", "--marker", str(marker))
    try:
        wait_for(marker.exists, what="the refund's gateway call")
        os.kill(refunder.pid, signal.SIGSTOP)

        reconcile_pending(now=after_the_lease())
        refund = Refund.objects.get()
        assert refund.status == Refund.Status.SUCCEEDED
        with pytest.raises(errors.InvalidAmount):
            actions.refund_payment(payment, actor=rep, reason="asked twice")

        os.kill(refunder.pid, signal.SIGCONT)
        assert refunder.wait(timeout=60) == 0
    finally:
        stop(refunder)
    payment.refresh_from_db()
    assert payment.amount_refunded == payment.amount
    assert SandboxTransaction.objects.filter(kind="refund").count() == 1
    call_command("verify_ledger")


def test_a_second_runner_leaves_a_live_runners_fresh_charges_to_it(contact, card, product, rep):
    """Two workers: a charge the other one started a moment ago and is about to send is not
    taken as stranded. Taken, it would be sent one by one after asking the gateway about it
    (a second request to Stripe), and its own runner's claim would fail."""
    sell_monthly(contact, card, product, rep)
    renew_at = clock.now() + dt.timedelta(days=32)
    runner = child("charge_due_orders", renew_at.isoformat(), "--delay-ms", "20", "--production")
    try:
        wait_for(lambda: renewals().count() >= 5, what="the runner's first charges")
        with clock.frozen_at(renew_at):
            assert charge_due_orders(now=renew_at) == {"billed": 0, "charged": 0}
        assert runner.wait(timeout=120) == 0
    finally:
        stop(runner)
    assert renewals().count() == ORDERS
    assert (
        not SandboxTransaction.objects.filter(kind="charge")
        .values("idempotency_key")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
        .exists()
    )
