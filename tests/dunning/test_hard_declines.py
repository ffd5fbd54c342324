"""A hard decline (stolen, lost, fraudulent) is never retried on its card, renewals stop
charging that card, and the case waits for a new card until the policy's last day."""

import datetime as dt

import pytest
from django.core import mail

from billing import actions
from billing.actions import SaleLine
from billing.models import Invoice, Order, PaymentMethod, SandboxTransaction
from billing.tasks import charge_due_orders
from core import clock
from dunning.models import DunningAttempt, DunningCase, NoticeSent
from dunning.tasks import run_dunning
from offers.terms import PaymentTerms
from tests.helpers import usd

SOLD = dt.datetime(2027, 1, 5, 9, tzinfo=dt.UTC)


def day(n: int) -> dt.datetime:
    return SOLD + dt.timedelta(days=n)


@pytest.fixture
def stolen(contact, manager):
    return actions.add_card(contact, token="pm_card_chargeDeclinedStolenCard", actor=manager)


@pytest.fixture
def plan_on_stolen_card(contact, stolen, product, rep, django_capture_on_commit_callbacks):
    """200.00 as 50.00 now and two monthly installments of 75.00, sold on a stolen card."""
    terms = PaymentTerms.payment_plan(usd("50.00"), 2)
    line = SaleLine(product, unit_price=usd("200.00"), terms=terms)
    with clock.frozen_at(SOLD), django_capture_on_commit_callbacks(execute=True):
        invoice = actions.charge_sale(contact, lines=[line], payment_method=stolen, actor=rep)
    return invoice


def sweep(capture, days):
    for n in days:
        with clock.frozen_at(day(n)), capture(execute=True):
            run_dunning()


def failed_charges() -> int:
    return SandboxTransaction.objects.filter(kind="charge", status="failed").count()


def test_a_hard_decline_marks_the_card_unusable_and_the_invoice_stays_open(
    plan_on_stolen_card, stolen
):
    invoice = plan_on_stolen_card
    invoice.refresh_from_db()
    stolen.refresh_from_db()
    case = DunningCase.objects.get(invoice=invoice)
    assert invoice.status == Invoice.Status.OPEN
    assert case.status == DunningCase.Status.ACTIVE
    assert stolen.unusable_reason == "stolen_card"
    assert not stolen.usable and not stolen.is_default
    assert not PaymentMethod.objects.usable().filter(pk=stolen.pk).exists()


def test_the_first_notice_states_the_amount_owed_and_asks_for_a_new_card(plan_on_stolen_card):
    [notice] = mail.outbox
    assert "$50.00" in notice.body
    assert "new card" in notice.body
    assert "no further date" not in notice.body
    assert "try again" not in notice.body


def test_the_case_waits_for_a_new_card_then_takes_the_final_action_once(
    plan_on_stolen_card, django_capture_on_commit_callbacks
):
    invoice = plan_on_stolen_card
    case = DunningCase.objects.get(invoice=invoice)
    sweep(django_capture_on_commit_callbacks, range(0, 90))
    case.refresh_from_db()
    invoice.refresh_from_db()
    assert case.status == DunningCase.Status.ACTIVE
    assert invoice.status == Invoice.Status.OPEN
    assert not DunningAttempt.objects.filter(case=case, payment__isnull=False).exists()

    sweep(django_capture_on_commit_callbacks, range(90, 93))
    case.refresh_from_db()
    invoice.refresh_from_db()
    assert case.status == DunningCase.Status.EXHAUSTED
    assert invoice.status == Invoice.Status.WRITTEN_OFF
    kinds = list(NoticeSent.objects.filter(case=case).order_by("pk").values_list("kind", flat=True))
    assert kinds == ["first", "final"]
    final = [m for m in mail.outbox if m.subject.startswith("Final notice")]
    assert len(final) == 1
    assert "$50.00" in final[0].body and "$0.00" not in final[0].body


def test_renewals_stop_charging_an_unusable_card(
    plan_on_stolen_card, contact, django_capture_on_commit_callbacks
):
    order = Order.objects.get(source_invoice=plan_on_stolen_card)
    assert failed_charges() == 1
    with clock.frozen_at(day(32)), django_capture_on_commit_callbacks(execute=True):
        charge_due_orders()
    assert failed_charges() == 1
    installment = order.invoices.get(period=1)
    assert installment.status == Invoice.Status.OPEN
    assert DunningCase.objects.get(invoice=installment).status == DunningCase.Status.ACTIVE


def test_a_new_card_the_rep_chooses_to_retry_with_recovers_the_case(
    plan_on_stolen_card, contact, manager, django_capture_on_commit_callbacks
):
    invoice = plan_on_stolen_card
    with clock.frozen_at(day(5)), django_capture_on_commit_callbacks(execute=True):
        actions.add_card(contact, token="pm_card_visa", actor=manager, retry_collections=True)
    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.PAID
    assert DunningCase.objects.get(invoice=invoice).status == DunningCase.Status.RECOVERED
