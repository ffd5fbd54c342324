import datetime as dt
import threading

import pytest
from django.core import mail
from django.db import connection

from billing import actions
from billing.actions import SaleLine
from billing.gateways.sandbox import SandboxGateway
from billing.invariants import breaches
from billing.models import Invoice, Order, Payment, SandboxTransaction
from billing.tasks import charge_due_orders
from core import clock
from dunning import actions as collections
from dunning.models import DunningAttempt, DunningCase, DunningPolicy, NoticeSent
from dunning.policies import default_policy
from dunning.tasks import run_dunning
from offers.terms import PaymentTerms

SOLD = dt.datetime(2027, 1, 1, 9, tzinfo=dt.UTC)
FAILED = SOLD + dt.timedelta(days=31)  # the first renewal, Feb 1


def day(n: int) -> dt.datetime:
    """n days after the first failed renewal."""
    return FAILED + dt.timedelta(days=n)


@pytest.fixture
def order(contact, card, product, rep, django_capture_on_commit_callbacks):
    with clock.frozen_at(SOLD):
        invoice = actions.charge_sale(
            contact, lines=[SaleLine(product, terms=PaymentTerms.subscription())],
            payment_method=card, actor=rep,
        )  # fmt: skip
    return Order.objects.get(source_invoice=invoice)


def decline(card, how="pm_card_chargeDeclined"):
    SandboxGateway().set_card_behaviour(card.token, how)


def fail_renewal(order, capture) -> DunningCase:
    with clock.frozen_at(FAILED), capture(execute=True):
        charge_due_orders()
    return DunningCase.objects.get(order=order)


def sweep_days(capture, days):
    for n in days:
        with clock.frozen_at(day(n)), capture(execute=True):
            run_dunning()


def test_the_default_policy_retries_every_three_days_for_ninety_days_then_writes_off(
    order, card, django_capture_on_commit_callbacks
):
    decline(card)
    case = fail_renewal(order, django_capture_on_commit_callbacks)
    sweep_days(django_capture_on_commit_callbacks, range(0, 101))

    case.refresh_from_db()
    attempts = DunningAttempt.objects.filter(case=case).order_by("number")
    assert [a.number for a in attempts] == list(range(1, 31))
    assert [(a.at - case.failed_at).days for a in attempts] == list(range(3, 91, 3))
    assert {a.outcome for a in attempts} == {"failed"}
    assert case.status == DunningCase.Status.EXHAUSTED
    assert case.invoice.status == Invoice.Status.WRITTEN_OFF
    kinds = list(NoticeSent.objects.filter(case=case).order_by("pk").values_list("kind", flat=True))
    assert kinds == ["first"] + ["further"] * 29 + ["final"]
    assert len(mail.outbox) == 31
    assert Payment.objects.filter(invoice=case.invoice, status="failed").count() == 31
    assert breaches() == []


def test_a_hard_decline_is_never_retried(order, card, django_capture_on_commit_callbacks):
    decline(card, "pm_card_chargeDeclinedStolenCard")
    case = fail_renewal(order, django_capture_on_commit_callbacks)
    sweep_days(django_capture_on_commit_callbacks, range(0, 10))
    case.refresh_from_db()
    assert case.status == DunningCase.Status.ACTIVE  # waiting for a new card
    assert not DunningAttempt.objects.filter(case=case, payment__isnull=False).exists()
    assert case.invoice.status == Invoice.Status.OPEN
    assert SandboxTransaction.objects.filter(kind="charge", status="failed").count() == 1


def test_recovery_on_the_third_attempt(order, card, django_capture_on_commit_callbacks):
    decline(card)
    case = fail_renewal(order, django_capture_on_commit_callbacks)
    sweep_days(django_capture_on_commit_callbacks, range(0, 7))  # attempts 1 and 2 fail
    decline(card, "pm_card_visa")
    sweep_days(django_capture_on_commit_callbacks, range(7, 30))
    case.refresh_from_db()
    order.refresh_from_db()
    assert case.status == DunningCase.Status.RECOVERED
    assert case.attempts_made == 3
    assert case.invoice.status == Invoice.Status.PAID
    assert order.status == Order.Status.ACTIVE
    assert DunningAttempt.objects.filter(case=case).count() == 3
    assert breaches() == []


def test_pausing_the_order_as_final_action(order, card, django_capture_on_commit_callbacks):
    policy = default_policy()
    policy.days, policy.final_action = [1, 2], DunningPolicy.FinalAction.PAUSE
    policy.save()
    decline(card)
    case = fail_renewal(order, django_capture_on_commit_callbacks)
    sweep_days(django_capture_on_commit_callbacks, range(0, 5))
    order.refresh_from_db()
    case.refresh_from_db()
    assert (case.status, order.status) == (DunningCase.Status.EXHAUSTED, Order.Status.PAUSED)
    assert case.invoice.status == Invoice.Status.OPEN


def test_running_twice_charges_each_attempt_once(order, card, django_capture_on_commit_callbacks):
    decline(card)
    fail_renewal(order, django_capture_on_commit_callbacks)
    for _ in range(2):
        sweep_days(django_capture_on_commit_callbacks, [3, 3, 6])
    assert SandboxTransaction.objects.filter(kind="charge").count() == 1 + 1 + 2


@pytest.mark.django_db(transaction=True)
def test_two_runners_at_once_charge_each_attempt_once(contact, card, product, rep):
    decline(card, "pm_card_visa")
    with clock.frozen_at(SOLD):
        for _ in range(10):
            actions.charge_sale(
                contact, lines=[SaleLine(product, terms=PaymentTerms.subscription())],
                payment_method=card, actor=rep,
            )  # fmt: skip
    decline(card)
    with clock.frozen_at(FAILED):
        charge_due_orders()
    assert DunningCase.objects.count() == 10
    barrier, results = threading.Barrier(2), []

    def run():
        barrier.wait()
        try:
            with clock.frozen_at(day(3)):
                results.append(run_dunning())
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert sum(r["attempts"] for r in results) == 10
    assert DunningAttempt.objects.count() == 10
    assert SandboxTransaction.objects.filter(kind="charge").count() == 10 + 10 + 10
    assert breaches(include_card_scan=False) == []


def test_a_backup_card_is_tried_in_the_same_attempt(
    order, card, contact, manager, django_capture_on_commit_callbacks
):
    policy = default_policy()
    policy.try_other_cards, policy.retry_on_card_update = True, False
    policy.save()
    decline(card)
    case = fail_renewal(order, django_capture_on_commit_callbacks)
    backup = actions.add_card(
        contact, token="pm_card_mastercard", actor=manager, make_default=False
    )
    sweep_days(django_capture_on_commit_callbacks, [3])
    case.refresh_from_db()
    outcomes = list(DunningAttempt.objects.filter(case=case).values_list("card", "outcome"))
    assert outcomes == [(card.pk, "failed"), (backup.pk, "succeeded")]
    assert case.status == DunningCase.Status.RECOVERED


def test_a_new_card_retries_the_open_case_at_once(
    order, card, contact, manager, django_capture_on_commit_callbacks
):
    decline(card)
    case = fail_renewal(order, django_capture_on_commit_callbacks)
    with clock.frozen_at(day(1)), django_capture_on_commit_callbacks(execute=True):
        actions.add_card(contact, token="pm_card_amex", actor=manager, retry_collections=True)
    case.refresh_from_db()
    assert case.status == DunningCase.Status.RECOVERED
    assert case.invoice.status == Invoice.Status.PAID


@pytest.mark.parametrize("ending", ["mark_paid", "void", "write_off"])
def test_mark_paid_void_and_write_off_end_the_case(
    order, card, manager, ending, django_capture_on_commit_callbacks
):
    decline(card)
    case = fail_renewal(order, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        if ending == "mark_paid":
            actions.mark_invoice_paid(case.invoice, method="check", actor=manager, reason="mailed")
        elif ending == "void":
            actions.void_invoice(case.invoice, actor=manager, reason="billed in error")
        else:
            actions.write_off_invoice(case.invoice, actor=manager, reason="gave up")
    case.refresh_from_db()
    assert case.status != DunningCase.Status.ACTIVE
    sweep_days(django_capture_on_commit_callbacks, range(0, 10))
    assert not DunningAttempt.objects.filter(case=case).exists()


def test_a_rep_pauses_and_stops_a_collection(
    order, card, rep, outsider, django_capture_on_commit_callbacks
):
    from billing import errors

    decline(card)
    case = fail_renewal(order, django_capture_on_commit_callbacks)
    with pytest.raises(errors.NotAllowed):
        collections.stop_collection(case.invoice, actor=outsider, reason="x")
    with clock.frozen_at(day(0)):
        collections.pause_collection(case.invoice, until=day(10), actor=rep, reason="on holiday")
    sweep_days(django_capture_on_commit_callbacks, range(0, 10))
    assert not DunningAttempt.objects.filter(case=case).exists()
    sweep_days(django_capture_on_commit_callbacks, [10])
    assert DunningAttempt.objects.filter(case=case).count() == 1
    collections.stop_collection(case.invoice, actor=rep, reason="customer disputes")
    sweep_days(django_capture_on_commit_callbacks, range(11, 30))
    assert DunningAttempt.objects.filter(case=case).count() == 1
    case.refresh_from_db()
    assert case.status == DunningCase.Status.STOPPED


def test_the_admin_hands_the_default_flag_over_and_refuses_a_zero_interval(admin_client):
    old = default_policy()
    page = admin_client.post(
        "/admin/dunning/dunningpolicy/add/",
        {
            "name": "Weekly", "is_default": "on", "interval_days": 7, "window_days": 28,
            "days": "", "max_attempts": 4, "final_action": "cancel",
            "notices-TOTAL_FORMS": 0, "notices-INITIAL_FORMS": 0,
        },
    )  # fmt: skip
    assert page.status_code == 302
    old.refresh_from_db()
    assert not old.is_default
    assert DunningPolicy.objects.get(name="Weekly").is_default
    refused = admin_client.post(
        "/admin/dunning/dunningpolicy/add/",
        {
            "name": "Broken", "interval_days": 0, "window_days": 28, "days": "",
            "max_attempts": 4, "final_action": "cancel",
            "notices-TOTAL_FORMS": 0, "notices-INITIAL_FORMS": 0,
        },
    )  # fmt: skip
    assert refused.status_code == 200
    assert not DunningPolicy.objects.filter(name="Broken").exists()
