"""Adding a card moves no money unless the rep, shown what it would retry, chose so."""

import datetime as dt

import pytest
from django.test import override_settings
from django.urls import reverse

from billing import actions
from billing.actions import SaleLine
from billing.gateways.sandbox import SandboxGateway
from billing.models import Invoice, Order, SandboxTransaction
from billing.tasks import charge_due_orders
from core import clock
from dunning.models import DunningCase
from offers.terms import PaymentTerms
from tests.helpers import sandbox_setup, text

SOLD = dt.datetime(2027, 1, 1, 9, tzinfo=dt.UTC)
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def case(contact, card, product, rep, django_capture_on_commit_callbacks) -> DunningCase:
    with clock.frozen_at(SOLD):
        invoice = actions.charge_sale(
            contact, lines=[SaleLine(product, terms=PaymentTerms.subscription())],
            payment_method=card, actor=rep,
        )  # fmt: skip
    order = Order.objects.get(source_invoice=invoice)
    SandboxGateway().set_card_behaviour(card.token, "pm_card_chargeDeclined")
    with (
        clock.frozen_at(SOLD + dt.timedelta(days=31)),
        django_capture_on_commit_callbacks(execute=True),
    ):
        charge_due_orders()
    return DunningCase.objects.get(order=order)


def charges() -> int:
    return SandboxTransaction.objects.filter(kind="charge").count()


def test_adding_a_non_default_card_retries_nothing_by_itself(
    case, contact, manager, django_capture_on_commit_callbacks
):
    before = charges()
    with django_capture_on_commit_callbacks(execute=True):
        actions.add_card(contact, token="pm_card_amex", actor=manager, make_default=False)
    case.refresh_from_db()
    assert charges() == before
    assert case.status == DunningCase.Status.ACTIVE


def test_the_add_card_form_lists_what_it_would_retry(rep_client, case, contact):
    page = text(rep_client.get(reverse("billing:card-add", args=[contact.pk]), **HTMX))
    assert case.invoice.number in page
    assert "$100.00" in page
    assert "Retry these now" in page


@override_settings(PAYDESK_DUNNING_RETRY_ON_CARD_UPDATE=False)
def test_the_retry_box_follows_the_setting(rep_client, case, contact):
    response = rep_client.get(reverse("billing:card-add", args=[contact.pk]), **HTMX)
    assert not response.context["form"]["retry_collections"].initial


def test_ticking_the_box_retries_the_listed_collections(
    rep_client, case, contact, django_capture_on_commit_callbacks
):
    url = reverse("billing:card-add", args=[contact.pk])
    with django_capture_on_commit_callbacks(execute=True):
        setup = sandbox_setup(contact, "pm_card_amex")
        rep_client.post(url, {"setup": setup, "retry_collections": "on"}, **HTMX)
    case.refresh_from_db()
    assert case.status == DunningCase.Status.RECOVERED
    assert case.invoice.status == Invoice.Status.PAID


def test_leaving_the_box_unticked_moves_no_money(
    rep_client, case, contact, django_capture_on_commit_callbacks
):
    before = charges()
    url = reverse("billing:card-add", args=[contact.pk])
    with django_capture_on_commit_callbacks(execute=True):
        setup = sandbox_setup(contact, "pm_card_amex")
        rep_client.post(url, {"setup": setup, "make_default": "on"}, **HTMX)
    assert charges() == before
    case.refresh_from_db()
    assert case.status == DunningCase.Status.ACTIVE
