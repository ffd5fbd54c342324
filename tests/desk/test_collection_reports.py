"""The collections reports: cases by month and which attempt recovered them, and closed cases
listed with their attempts, page and CSV."""

import csv
import datetime as dt
import io

from django.urls import reverse

from billing import actions
from billing.actions import SaleLine
from billing.gateways.sandbox import SandboxGateway
from billing.tasks import charge_due_orders
from core import clock
from desk.reports.collections import cases_by_month, recovery_by_attempt
from desk.reports.period import Period
from dunning.models import DunningCase
from dunning.tasks import run_dunning
from offers.terms import PaymentTerms
from tests.helpers import usd

JAN = dt.datetime(2026, 1, 15, 10, tzinfo=dt.UTC)
FAILED = JAN + dt.timedelta(days=31)  # the first renewal, declined: a case opens
TWO_MONTHS = Period(dt.date(2026, 1, 1), dt.date(2026, 2, 1))


def decline(card, how="pm_card_chargeDeclined"):
    SandboxGateway().set_card_behaviour(card.token, how)


def open_a_case(contact, card, product, rep, capture) -> None:
    """A monthly subscription sold in January whose first renewal is declined."""
    with clock.frozen_at(JAN):
        actions.charge_sale(
            contact, lines=[SaleLine(product, terms=PaymentTerms.subscription())],
            payment_method=card, actor=rep,
        )  # fmt: skip
    decline(card)
    with clock.frozen_at(FAILED), capture(execute=True):
        charge_due_orders()


def retry_on_day(n: int, capture) -> None:
    with clock.frozen_at(FAILED + dt.timedelta(days=n)), capture(execute=True):
        run_dunning()


def test_collections_count_cases_by_month_and_which_attempt_recovered(
    contact, card, product, rep, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    open_a_case(contact, card, product, rep, capture)
    retry_on_day(3, capture)
    decline(card, "pm_card_visa")
    retry_on_day(6, capture)
    assert DunningCase.objects.get().status == DunningCase.Status.RECOVERED

    (row,) = cases_by_month(TWO_MONTHS)
    assert (row["month"], row["currency"], row["opened"], row["recovered"]) == (
        "2026-02", "USD", 1, 1,
    )  # fmt: skip
    assert row["recovered_amount"] == usd("100.00")
    assert row["recovery_rate"] == 1
    assert [
        (r["attempt"], r["tried"], r["recovered"]) for r in recovery_by_attempt(TWO_MONTHS)
    ] == [
        (1, 1, 0),
        (2, 1, 1),
    ]


def test_closed_cases_stay_listed_with_their_attempts(
    contact, card, product, rep, manager_client, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    open_a_case(contact, card, product, rep, capture)
    decline(card, "pm_card_visa")
    retry_on_day(3, capture)
    case = DunningCase.objects.get(status=DunningCase.Status.RECOVERED)

    page = manager_client.get(reverse("desk:report-closed-cases")).content.decode()
    assert f'id="case-{case.pk}"' in page
    assert "#1 " in page and "succeeded" in page
    response = manager_client.get(reverse("core:export-start", args=["closed-cases"]))
    got = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert got[1][0] == str(case.pk)
    assert got[1][4] == "recovered"
    assert got[1][7:] == ["100.00", "USD", "1", got[1][10], "succeeded", ""]
