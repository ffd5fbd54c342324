"""A committed change cannot be broken by what listens to it."""

import datetime as dt
import logging

import pytest
from django.urls import reverse

from billing import events
from billing.actions import SaleLine, charge_sale, mark_invoice_paid
from billing.gateways.sandbox import SandboxGateway
from billing.models import Invoice, Order
from billing.tasks import charge_due_orders
from core import clock
from dunning.models import DunningCase, NoticeSent
from dunning.tasks import run_dunning
from offers.terms import PaymentTerms
from tests.helpers import text

SOLD = dt.datetime(2027, 1, 1, 9, tzinfo=dt.UTC)
RENEWED = SOLD + dt.timedelta(days=31)

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def listeners():
    heard = []

    def broken(sender, **kwargs):
        raise RuntimeError("listener broke")

    def after(sender, invoice, **kwargs):
        heard.append(invoice.pk)

    events.invoice_paid.connect(broken, dispatch_uid="test-broken")
    events.invoice_paid.connect(after, dispatch_uid="test-after")
    yield heard
    events.invoice_paid.disconnect(dispatch_uid="test-broken")
    events.invoice_paid.disconnect(dispatch_uid="test-after")


def test_a_raising_receiver_neither_stops_the_others_nor_fails_the_rep(
    rep_client, declined_invoice, listeners, caplog, django_capture_on_commit_callbacks
):
    url = reverse("billing:invoice-mark-paid", args=[declined_invoice.pk])
    data = {"method": "check", "reference": "CHK-1", "reason": "Check came"}
    with caplog.at_level(logging.ERROR), django_capture_on_commit_callbacks(execute=True):
        response = rep_client.post(url, data, **HTMX)

    assert response.status_code == 200, text(response)
    declined_invoice.refresh_from_db()
    assert declined_invoice.status == Invoice.Status.PAID
    assert listeners == [declined_invoice.pk]
    assert "listener broke" in caplog.text
    assert "Traceback" in caplog.text


@pytest.fixture
def renewal(contact, card, product, rep, django_capture_on_commit_callbacks):
    with clock.frozen_at(SOLD):
        sale = charge_sale(
            contact, lines=[SaleLine(product, terms=PaymentTerms.subscription())],
            payment_method=card, actor=rep,
        )  # fmt: skip
    SandboxGateway().set_card_behaviour(card.token, "pm_card_chargeDeclined")
    return Order.objects.get(source_invoice=sale)


def test_the_sweep_opens_the_case_a_lost_task_did_not(renewal, django_capture_on_commit_callbacks):
    with clock.frozen_at(RENEWED), django_capture_on_commit_callbacks(execute=False):
        charge_due_orders()  # the receivers' tasks are never run: lost
    assert not DunningCase.objects.exists()
    with (
        clock.frozen_at(RENEWED + dt.timedelta(hours=1)),
        django_capture_on_commit_callbacks(execute=True),
    ):
        run_dunning()
    case = DunningCase.objects.get(order=renewal)
    assert case.status == DunningCase.Status.ACTIVE


def test_the_sweep_ends_the_case_of_an_invoice_paid_while_its_task_was_lost(
    renewal, manager, django_capture_on_commit_callbacks
):
    with clock.frozen_at(RENEWED), django_capture_on_commit_callbacks(execute=True):
        charge_due_orders()
    case = DunningCase.objects.get(order=renewal)
    with django_capture_on_commit_callbacks(execute=False):
        mark_invoice_paid(case.invoice, method="check", actor=manager, reason="mailed")
    with (
        clock.frozen_at(RENEWED + dt.timedelta(days=3)),
        django_capture_on_commit_callbacks(execute=True),
    ):
        run_dunning()
    case.refresh_from_db()
    assert case.status == DunningCase.Status.RECOVERED
    assert not NoticeSent.objects.filter(case=case, kind="further").exists()
