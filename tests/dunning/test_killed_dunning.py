"""A dunning run killed (SIGKILL) by PID mid-batch, then restarted: every claimed attempt is
made, once, under its own key (issue: R13, 9 of 200 attempts lost). A second run beside a live
one leaves that one's attempts to it."""

import datetime as dt
import os
import signal

import pytest
from django.core.management import call_command

from billing import actions
from billing.actions import SaleLine
from billing.gateways.sandbox import SandboxGateway
from billing.models import Payment, SandboxTransaction
from billing.tasks import charge_due_orders, reconcile_pending
from core import clock
from dunning.models import DunningAttempt, DunningCase
from dunning.tasks import run_dunning
from offers.terms import PaymentTerms
from tests.billing.sweeper import child, wait_for

pytestmark = pytest.mark.django_db(transaction=True)
CASES = 30


def open_cases(contact, card, product, rep) -> None:
    """CASES monthly orders whose first renewal is declined: CASES active collection cases."""
    for _ in range(CASES):
        actions.charge_sale(
            contact, lines=[SaleLine(product, terms=PaymentTerms.subscription())],
            payment_method=card, actor=rep,
        )  # fmt: skip
    SandboxGateway().set_card_behaviour(card.token, "pm_card_chargeDeclined")
    charge_due_orders(now=clock.now() + dt.timedelta(days=32))


@pytest.mark.parametrize("lanes", [1, 4])  # four: several attempts at the gateway at once
def test_a_killed_dunning_run_loses_no_attempt_and_makes_none_twice(
    contact, card, product, rep, lanes, monkeypatch
):
    monkeypatch.setenv("PAYDESK_GATEWAY_LANES", str(lanes))
    open_cases(contact, card, product, rep)
    assert DunningCase.objects.filter(status=DunningCase.Status.ACTIVE).count() == CASES
    charges = SandboxTransaction.objects.filter(kind="charge")
    before = charges.count()

    retry_at = clock.now() + dt.timedelta(days=3, hours=1)
    runner = child("run_dunning", retry_at.isoformat(), "--delay-ms", "20")
    try:
        wait_for(lambda: charges.count() >= before + 8, what="8 attempts")
        os.kill(runner.pid, signal.SIGKILL)
        runner.wait(timeout=30)
    finally:
        if runner.poll() is None:
            os.kill(runner.pid, signal.SIGKILL)
            runner.wait(timeout=30)
    assert charges.count() < before + CASES

    run_dunning(now=retry_at)  # the restart makes the attempts the dead run claimed
    reconcile_pending(now=clock.now() + dt.timedelta(minutes=3))  # and sends a stranded one

    assert charges.count() == before + CASES
    for case in DunningCase.objects.all():
        assert case.attempts_made == 1
        tried = Payment.objects.filter(invoice=case.invoice, idempotency_key__startswith="payment:")
        assert list(tried.values_list("status", flat=True)) == [Payment.Status.FAILED]
    assert DunningAttempt.objects.filter(number=1).values("case").distinct().count() == CASES
    call_command("verify_ledger")


def test_a_second_dunning_run_leaves_a_live_runs_fresh_attempts_to_it(contact, card, product, rep):
    """Two workers: an attempt the other one started a moment ago and is about to send is not
    remade (its charge would cost the gateway a second request, its sender's claim would fail)."""
    open_cases(contact, card, product, rep)
    charges = SandboxTransaction.objects.filter(kind="charge")
    before = charges.count()

    retry_at = clock.now() + dt.timedelta(days=3, hours=1)
    runner = child("run_dunning", retry_at.isoformat(), "--delay-ms", "20", "--production")
    try:
        wait_for(lambda: charges.count() >= before + 5, what="5 attempts")
        with clock.frozen_at(retry_at):
            counts = run_dunning(now=retry_at)
        assert (counts["remade"], counts["attempts"]) == (0, 0)
        assert runner.wait(timeout=120) == 0
    finally:
        if runner.poll() is None:
            os.kill(runner.pid, signal.SIGKILL)
            runner.wait(timeout=30)
    assert charges.count() == before + CASES
    assert set(DunningCase.objects.values_list("attempts_made", flat=True)) == {1}
