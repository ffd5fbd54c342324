"""The manager's reports: figures equal the ledger's own rows summed here, MRR and upcoming
charges match the orders sold, per-rep figures follow the actor, the CSV is the table, reps are
refused, and the query count does not grow with the rows."""

import csv
import datetime as dt
import io
from collections import defaultdict
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from djmoney.money import Money

from billing import actions
from billing.actions import SaleLine
from billing.models import Account, Journal, Order, Payment
from core import clock
from desk.models import LedgerMonth, RolledMonth
from desk.reports import ledger, orders
from desk.reports.period import Period
from desk.reports.rollup import roll_up
from offers.terms import PaymentTerms
from tests import factories
from tests.factories import ContactFactory, ProductFactory
from tests.helpers import text, usd

JAN = dt.datetime(2026, 1, 15, 10, tzinfo=dt.UTC)
FEB = dt.datetime(2026, 2, 10, 10, tzinfo=dt.UTC)
TWO_MONTHS = Period(dt.date(2026, 1, 1), dt.date(2026, 2, 1))


def eur(amount: str) -> Money:
    return Money(amount, "EUR")


@pytest.fixture
def books(contact, card, product, rep, manager, django_capture_on_commit_callbacks):
    """Sales, a discount, a write-off, refunds and a credit, in USD and EUR, in two months."""
    euro_product = ProductFactory(name="Kurs", price=eur("80.00"))
    bad = actions.add_card(
        contact, token="pm_card_chargeDeclined", actor=manager, make_default=False
    )
    with clock.frozen_at(JAN), django_capture_on_commit_callbacks(execute=True):
        sold = actions.charge_sale(
            contact, lines=[SaleLine(product)], payment_method=card, actor=rep
        )
        euros = actions.charge_sale(
            contact, lines=[SaleLine(euro_product)], payment_method=card, actor=rep
        )
        unpaid = actions.charge_sale(
            contact, lines=[SaleLine(product)], payment_method=bad, actor=rep
        )
        actions.discount_invoice(unpaid, amount=usd("10"), actor=rep, reason="loyal")
        actions.write_off_invoice(unpaid, actor=manager, reason="gone")
        subscription = actions.charge_sale(
            contact,
            lines=[SaleLine(product, terms=PaymentTerms.subscription())],
            payment_method=card,
            actor=rep,
        )
    with clock.frozen_at(FEB), django_capture_on_commit_callbacks(execute=True):
        actions.refund_payment(sold.payments.get(), amount=usd("30"), actor=rep, reason="late")
        actions.refund_payment(euros.payments.get(), amount=eur("5.50"), actor=manager, reason="x")
        order = Order.objects.get(source_invoice=subscription)
        actions.change_order_terms(
            order, unit_price=usd("50"), effective="now", prorate=True, actor=manager,
            reason="downgrade",
        )  # fmt: skip
    return {"order": order}


def summed_by_hand() -> dict[tuple[str, str], dict[str, Decimal]]:
    """The ledger's entries summed one by one in Python: (month, currency) -> account -> sum."""
    found: dict = defaultdict(lambda: defaultdict(Decimal))
    for journal in Journal.objects.prefetch_related("entries"):
        month = journal.created_at.strftime("%Y-%m")
        for entry in journal.entries.all():
            key = (month, str(entry.amount.currency))
            found[key][entry.account] += entry.amount.amount
            if entry.account == Account.CREDIT and entry.amount.amount < 0:
                found[key]["credit_granted"] -= entry.amount.amount
    return found


def assert_equals_the_ledger_summed_by_hand(rows: list[dict], books_only: bool = True) -> None:
    """`books_only`: the ledger holds the books fixture's journals only, whose figures are
    known, and they are checked too."""
    by_hand = summed_by_hand()
    assert [(r["month"], r["currency"]) for r in rows] == sorted(by_hand)
    for row in rows:
        mine = by_hand[(row["month"], row["currency"])]
        assert row["revenue"].amount == -mine[Account.REVENUE]
        assert row["discounts"].amount == mine[Account.DISCOUNTS]
        assert row["refunds"].amount == mine[Account.REFUNDS]
        assert row["write_offs"].amount == mine[Account.BAD_DEBT]
        assert row["credit_granted"].amount == mine["credit_granted"]
    if not books_only:
        return
    jan_usd, jan_eur, feb_eur, feb_usd = (
        next(r for r in rows if (r["month"], r["currency"]) == key)
        for key in (("2026-01", "USD"), ("2026-01", "EUR"), ("2026-02", "EUR"), ("2026-02", "USD"))
    )
    assert jan_usd["revenue"] == usd("300.00")
    assert jan_usd["discounts"] == usd("10.00")
    assert jan_usd["write_offs"] == usd("90.00")
    assert jan_eur["revenue"] == eur("80.00")
    assert feb_usd["refunds"] == usd("30.00")
    assert feb_eur["refunds"] == eur("5.50")
    assert feb_usd["credit_granted"].amount > 0  # the downgrade's unused time


def test_money_by_month_equals_the_ledger_summed_by_hand(books):
    assert_equals_the_ledger_summed_by_hand(ledger.money_by_month(TWO_MONTHS))


def test_closed_months_read_from_their_totals_equal_the_ledger(books, django_assert_num_queries):
    reps_before = ledger.per_rep(TWO_MONTHS)
    assert reps_before
    assert roll_up(now=dt.datetime(2026, 3, 1, 12, tzinfo=dt.UTC)) == 1  # February still settling
    assert set(RolledMonth.objects.values_list("month", "through")) == {
        (dt.date(2026, 1, 1), None),
        (dt.date(2026, 2, 1), dt.datetime(2026, 2, 28, 12, tzinfo=dt.UTC)),  # up to a day ago
    }
    assert_equals_the_ledger_summed_by_hand(ledger.money_by_month(TWO_MONTHS))

    assert roll_up(now=dt.datetime(2026, 3, 15, tzinfo=dt.UTC)) == 1
    assert roll_up(now=dt.datetime(2026, 3, 16, tzinfo=dt.UTC)) == 0  # each month once
    with django_assert_num_queries(2):  # the months summed and their totals: no entry read
        rows = ledger.money_by_month(TWO_MONTHS)
    assert_equals_the_ledger_summed_by_hand(rows)
    assert ledger.per_rep(TWO_MONTHS) == reps_before


def test_the_month_in_progress_is_summed_to_a_day_ago_and_read_on_from_there(books, rep):
    assert roll_up(now=dt.datetime(2026, 2, 11, 12, tzinfo=dt.UTC)) == 1  # January, closed
    february = RolledMonth.objects.get(month=dt.date(2026, 2, 1))
    assert february.through == dt.datetime(2026, 2, 10, 12, tzinfo=dt.UTC)
    assert LedgerMonth.objects.filter(month=february.month).exists()  # FEB's refunds
    with clock.frozen_at(dt.datetime(2026, 2, 20, tzinfo=dt.UTC)):
        paid = Payment.objects.get(amount_refunded__gt=0, amount_currency="USD")
        actions.refund_payment(paid, amount=usd("10"), actor=rep, reason="later")
    assert_equals_the_ledger_summed_by_hand(ledger.money_by_month(TWO_MONTHS), books_only=False)

    assert roll_up(now=dt.datetime(2026, 2, 22, tzinfo=dt.UTC)) == 0
    february.refresh_from_db()
    assert february.through == dt.datetime(2026, 2, 21, tzinfo=dt.UTC)  # summed further
    assert_equals_the_ledger_summed_by_hand(ledger.money_by_month(TWO_MONTHS), books_only=False)

    assert roll_up(now=dt.datetime(2026, 3, 2, 12, tzinfo=dt.UTC)) == 1  # closed: summed whole
    february.refresh_from_db()
    assert february.through is None
    assert_equals_the_ledger_summed_by_hand(ledger.money_by_month(TWO_MONTHS), books_only=False)


def test_a_month_outside_the_period_is_left_out(books):
    rows = ledger.money_by_month(Period(dt.date(2026, 2, 1), dt.date(2026, 2, 1)))
    assert {r["month"] for r in rows} == {"2026-02"}


def test_a_sale_late_on_the_months_last_day_counts_in_that_month_wherever_the_manager_is(
    contact, card, product, rep
):
    """Months are the business's (UTC here), as the hourly roll-up sums them: a manager in
    Paris, where the sale fell on 1 February, still reads it in January."""
    late = dt.datetime(2026, 1, 31, 23, 30, tzinfo=dt.UTC)
    with clock.frozen_at(late):
        actions.charge_sale(contact, lines=[SaleLine(product)], payment_method=card, actor=rep)
    with clock.frozen_at(late + dt.timedelta(minutes=5)), timezone.override("Europe/Paris"):
        rows = ledger.money_by_month(TWO_MONTHS)
        roll_up(late + dt.timedelta(days=3))
        rolled = ledger.money_by_month(TWO_MONTHS)
    sales = {(r["month"], r["currency"]): r["revenue"] for r in rows}
    assert sales[("2026-01", "USD")] == usd("100.00")
    assert rows == rolled


def test_per_rep_figures_follow_whoever_acted(books, rep, manager):
    rows = {(r["username"], r["currency"]): r for r in ledger.per_rep(TWO_MONTHS)}
    rita = rows[(rep.username, "USD")]
    assert rita["sales"] == usd("300.00")
    assert rita["discounts"] == usd("10.00")
    assert rita["refunds"] == usd("30.00")
    assert rita["write_offs"] == usd("0")
    assert rows[(rep.username, "EUR")]["refunds"] == eur("0")
    assert rows[(manager.username, "USD")]["write_offs"] == usd("90.00")
    assert rows[(manager.username, "EUR")]["refunds"] == eur("5.50")


def test_per_rep_counts_the_write_offs_each_rep_asked_a_manager_for(
    books, product, rep, manager, manager_client
):
    """A request moves no money: its figures come from the requests, whatever was decided,
    and a rep who only asked still has a row."""
    ron = factories.rep(username="ron")
    buyer = ContactFactory(email="grace@example.com")  # no credit on the books to spend
    bad = actions.add_card(buyer, token="pm_card_chargeDeclined", actor=manager)
    euro_product = ProductFactory(name="Atelier", price=eur("50.00"))

    def unpaid(lines) -> object:
        return actions.charge_sale(buyer, lines=lines, payment_method=bad, actor=rep)

    def ask(invoice, who) -> object:
        return actions.ask_manager(
            invoice, kind="write_off_invoice", params={}, actor=who, reason="gone"
        )

    with clock.frozen_at(JAN):
        ask(unpaid([SaleLine(product)]), rep)
        approved = ask(unpaid([SaleLine(product, quantity=2)]), rep)
        ask(unpaid([SaleLine(euro_product)]), ron)
        actions.approve_request(approved, actor=manager)
    with clock.frozen_at(FEB + dt.timedelta(days=30)):  # March: outside the period
        ask(unpaid([SaleLine(product)]), ron)

    rows = {(r["username"], r["currency"]): r for r in ledger.per_rep(TWO_MONTHS)}
    rita = rows[(rep.username, "USD")]
    assert (rita["write_offs_asked"], rita["write_offs_asked_amount"]) == (2, usd("300.00"))
    assert rita["write_offs"] == usd("0")  # the manager made the write-off
    assert rows[(manager.username, "USD")]["write_offs"] == usd("90.00") + usd("200.00")
    only_asked = rows[(ron.username, "EUR")]
    assert (only_asked["write_offs_asked"], only_asked["write_offs_asked_amount"]) == (
        1,
        eur("50.00"),
    )
    assert only_asked["sales"] == eur("0")
    assert (ron.username, "USD") not in rows
    assert rows[(rep.username, "EUR")]["write_offs_asked"] == 0

    query = {"start": "2026-01", "end": "2026-02"}
    assert "Write-offs asked" in text(manager_client.get(reverse("desk:report-reps"), query))
    got = manager_client.get(reverse("desk:report-reps-csv"), {**query, "table": "reps"})
    lines = list(csv.reader(io.StringIO(b"".join(got.streaming_content).decode())))
    assert lines[0][-2:] == ["Write-offs asked", "Amount asked to write off"]
    (mine,) = [line for line in lines if line[1:3] == [rep.username, "USD"]]
    assert mine[-2:] == ["2", "300.00"]


def test_mrr_counts_paying_subscriptions_at_a_month(contact, card, product, rep, books):
    yearly = PaymentTerms.subscription(every=1, unit="year")
    trial = PaymentTerms.subscription(trial_days=14)
    with clock.frozen_at(FEB):
        actions.charge_sale(
            contact, lines=[SaleLine(product, unit_price=usd("1200"), terms=yearly)],
            payment_method=card, actor=rep,
        )  # fmt: skip
        actions.charge_sale(
            contact, lines=[SaleLine(product, terms=trial)], payment_method=card, actor=rep
        )
    (row,) = orders.mrr()
    # The downgraded $50 monthly and $1,200 a year ($100 a month); the trial adds nothing.
    assert row == {"currency": "USD", "paying": 2, "mrr": usd("150.00"), "trialing": 1, "paused": 0}


def test_subscriptions_sold_cancelled_and_paused_by_month(books, manager):
    with clock.frozen_at(FEB):
        actions.pause_order(books["order"], actor=manager, reason="holiday")
    flow = {r["month"]: r for r in orders.flow_by_month(TWO_MONTHS)}
    assert flow["2026-01"] == {"month": "2026-01", "new": 1, "churned": 0, "paused": 0}
    assert flow["2026-02"] == {"month": "2026-02", "new": 0, "churned": 0, "paused": 1}


def test_a_payment_plan_still_has_its_unbilled_installments_to_collect(plan):
    (row,) = orders.plan_balances()
    assert row["scheduled"] == usd("300.00")
    assert row["due"] == usd("0")


def test_upcoming_charges_count_every_period_in_the_window(contact, card, product, rep):
    with clock.frozen_at(JAN):
        actions.charge_sale(
            contact, lines=[SaleLine(product, terms=PaymentTerms.subscription(every=2, unit="week"))],
            payment_method=card, actor=rep,
        )  # fmt: skip
    (row,) = orders.upcoming(today=JAN.date())
    # Every two weeks from Jan 29: two charges within 30 days, six within 90 (to Apr 15).
    assert (row["count_7"], row["count_30"], row["count_90"]) == (0, 2, 6)
    assert row["amount_30"] == usd("200.00")
    assert row["amount_90"] == usd("600.00")


def test_the_csv_is_the_table(books, manager_client):
    query = {"start": "2026-01", "end": "2026-02"}
    page = manager_client.get(reverse("desk:report-money"), query)
    assert page.status_code == 200
    assert "<svg" in page.content.decode()
    response = manager_client.get(reverse("desk:report-money-csv"), query)
    assert response["Content-Type"].startswith("text/csv")
    got = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    rows = ledger.money_by_month(TWO_MONTHS)
    assert got[0] == ["Month", "Currency", *ledger.LABELS.values()]
    assert got[1:] == [
        [r["month"], r["currency"], *(f"{r[k].amount:.2f}" for k in ledger.LABELS)] for r in rows
    ]


@pytest.mark.parametrize("name", ["money", "subscriptions", "collections", "upcoming", "reps"])
def test_every_report_page_shows_for_a_manager_and_refuses_a_rep(
    name, books, manager_client, rep, client
):
    assert manager_client.get(reverse(f"desk:report-{name}")).status_code == 200
    assert manager_client.get(reverse(f"desk:report-{name}-csv")).status_code == 200
    client.force_login(rep)
    assert client.get(reverse(f"desk:report-{name}")).status_code == 403
    assert client.get(reverse(f"desk:report-{name}-csv")).status_code == 403


def test_a_bad_month_is_a_field_error_over_the_default_report(manager_client):
    response = manager_client.get(reverse("desk:report-money"), {"start": "2026-13"})
    assert response.status_code == 200
    assert "Type a month as YYYY-MM." in response.content.decode()


def queries_for(client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


@pytest.mark.parametrize("name", ["money", "subscriptions", "collections", "upcoming", "reps"])
def test_query_count_is_flat_in_the_number_of_rows(
    name, contact, card, product, rep, manager, manager_client
):
    url = reverse(f"desk:report-{name}")
    other = ProductFactory(name="Kurs", price=eur("80.00"))

    def sell(seller, moment, item):
        with clock.frozen_at(moment):
            customer = ContactFactory()
            actions.charge_sale(
                customer,
                lines=[SaleLine(item, terms=PaymentTerms.subscription())],
                payment_method=actions.add_card(customer, token="pm_card_visa", actor=manager),
                actor=seller,
            )

    sell(rep, clock.now(), product)
    few = queries_for(manager_client, url)
    for i, seller in enumerate((rep, manager, rep)):
        sell(seller, clock.now() - dt.timedelta(days=40 * i), other if i % 2 else product)
    assert queries_for(manager_client, url) == few
