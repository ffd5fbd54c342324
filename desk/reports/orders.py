"""Subscriptions and payment plans: what recurs (MRR), how the book moved month by month, what
plans still have to collect, and the charges the schedule will make in the coming days.

MRR is each live subscription's price times quantity brought to a month (a year is twelve
months, a week 52/12 of a month, a day 365/12), at list price: one-off order discounts are not
recurring. Past-due subscriptions still count (Stripe's convention: they are being collected);
trials and paused orders are counted apart and add nothing.
"""

import datetime as dt
from collections import defaultdict
from decimal import Decimal

from django.db.models import Count, DecimalField, F, Sum
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import TruncMonth
from django.utils import timezone
from djmoney.money import Money

from billing.models import Account, LedgerEntry, Order, OrderChange
from billing.schedule import period_start
from billing.steps.periods import discount_for, period_amount
from core import clock, money
from desk.reports.charts import bar_chart
from desk.reports.period import Period
from desk.reports.tables import Column, Table, month_label

PAYING = (Order.Status.ACTIVE, Order.Status.PAST_DUE)
# Orders the sweep charges (billing.tasks.charge_due_orders); a paused order has no date yet.
CHARGED = (Order.Status.ACTIVE, Order.Status.TRIALING, Order.Status.PAST_DUE)
ENDED = (Order.Status.CANCELLED, Order.Status.COMPLETED)
MONTHS_PER = {"month": Decimal(1), "year": Decimal(12), "week": Decimal(12) / 52}
MONTHS_PER["day"] = Decimal(12) / 365
WINDOWS = (7, 30, 90)


def mrr() -> list[dict]:
    """Per currency: paying subscriptions, their MRR, and trials and paused ones apart."""
    subscriptions = Order.objects.filter(kind=Order.Kind.SUBSCRIPTION)
    counts = (
        subscriptions.values("currency", "status")
        .annotate(n=Count("pk"))
        .order_by("currency", "status")
    )
    prices = (
        subscriptions.filter(status__in=PAYING)
        .values("currency", every=KeyTextTransform("every", "terms"))
        .annotate(
            unit=KeyTextTransform("unit", "terms"),
            total=Sum(F("unit_price") * F("quantity"), output_field=DecimalField()),
        )
        .values("currency", "every", "unit", "total")
        .order_by()
    )
    found: dict[str, dict] = defaultdict(
        lambda: {"paying": 0, "trialing": 0, "paused": 0, "monthly": Decimal(0)}
    )
    for row in counts:
        mine = found[row["currency"]]
        if row["status"] in PAYING:
            mine["paying"] += row["n"]
        elif row["status"] in (Order.Status.TRIALING, Order.Status.PAUSED):
            mine[row["status"]] += row["n"]
    for row in prices:
        per_month = MONTHS_PER[row["unit"]] * int(row["every"])
        found[row["currency"]]["monthly"] += row["total"] / per_month
    return [
        {
            "currency": currency,
            "paying": mine["paying"],
            "mrr": _round(mine["monthly"], currency),
            "trialing": mine["trialing"],
            "paused": mine["paused"],
        }
        for currency, mine in sorted(found.items())
    ]


def flow_by_month(period: Period) -> list[dict]:
    """Subscriptions sold, cancelled and paused in each month (counts across currencies)."""
    months = {month_label(m): {"new": 0, "churned": 0, "paused": 0} for m in period.months()}
    sold = (
        Order.objects.filter(
            kind=Order.Kind.SUBSCRIPTION, created_at__gte=period.start, created_at__lt=period.end
        )
        .annotate(month=TruncMonth("created_at", tzinfo=timezone.get_default_timezone()))
        .values("month")
        .annotate(n=Count("pk"))
        .order_by()
    )
    changes = (
        OrderChange.objects.filter(
            order__kind=Order.Kind.SUBSCRIPTION,
            kind__in=("cancelled", "paused"),
            created_at__gte=period.start,
            created_at__lt=period.end,
        )
        .annotate(month=TruncMonth("created_at", tzinfo=timezone.get_default_timezone()))
        .values("month", "kind")
        .annotate(n=Count("order", distinct=True))
        .order_by()
    )
    for row in sold:
        months[month_label(row["month"])]["new"] = row["n"]
    for row in changes:
        key = "churned" if row["kind"] == "cancelled" else "paused"
        months[month_label(row["month"])][key] = row["n"]
    return [{"month": month, **figures} for month, figures in months.items()]


def plan_balances() -> list[dict]:
    """Per currency, what payment plans still have to collect: installments not yet billed on
    live plans, plus what is due on the plans' open invoices (from the ledger)."""
    unbilled: dict[str, int] = defaultdict(int)
    live = Order.objects.filter(kind=Order.Kind.PAYMENT_PLAN).exclude(status__in=ENDED)
    # Period n (from 1) bills installment n; periods_billed is the next period to bill.
    for currency, installments, billed in live.values_list(
        "currency", "installments", "periods_billed"
    ).iterator(chunk_size=2000):
        unbilled[currency] += sum(installments[max(billed, 1) - 1 :])
    due = (
        LedgerEntry.objects.filter(
            account=Account.RECEIVABLE, invoice__order__kind=Order.Kind.PAYMENT_PLAN
        )
        .values("amount_currency")
        .annotate(total=Sum("amount"))
        .order_by()
    )
    invoiced = {row["amount_currency"]: row["total"] for row in due}
    rows = []
    for currency in sorted(set(unbilled) | set(invoiced)):
        scheduled = money.from_minor_units(unbilled.get(currency, 0), currency)
        owed = Money(max(invoiced.get(currency) or Decimal(0), Decimal(0)), currency)
        rows.append(
            {"currency": currency, "scheduled": scheduled, "due": owed, "total": scheduled + owed}
        )
    return rows


def upcoming(today: dt.date | None = None) -> list[dict]:
    """Per currency, what the schedule will charge within 7, 30 and 90 days (overdue charges the
    next sweep makes included): every period falling in the window, with its planned discount,
    before any credit the contact may have."""
    today = today or clock.today()
    horizon = today + dt.timedelta(days=max(WINDOWS))
    totals: dict[str, dict[int, int]] = defaultdict(lambda: dict.fromkeys(WINDOWS, 0))
    counts: dict[str, dict[int, int]] = defaultdict(lambda: dict.fromkeys(WINDOWS, 0))
    orders = Order.objects.filter(status__in=CHARGED, next_charge_on__lte=horizon).only(
        "kind",
        "currency",
        "terms",
        "unit_price",
        "unit_price_currency",
        "quantity",
        "installments",
        "anchor_on",
        "anchor_period",
        "periods_billed",
        "next_charge_on",
        "cancel_at",
        "discount_percent",
        "discount_amount",
        "discount_amount_currency",
        "discount_charges",
    )
    for order in orders.iterator(chunk_size=2000):
        for on, amount in _charges(order, horizon):
            for days in WINDOWS:
                if on <= today + dt.timedelta(days=days):
                    totals[order.currency][days] += money.to_minor_units(amount)
                    counts[order.currency][days] += 1
    return [
        {
            "currency": currency,
            **{f"count_{d}": counts[currency][d] for d in WINDOWS},
            **{
                f"amount_{d}": money.from_minor_units(totals[currency][d], currency)
                for d in WINDOWS
            },
        }
        for currency in sorted(totals)
    ]


def _charges(order: Order, horizon: dt.date):
    """(day, amount) of each period the order charges up to `horizon`."""
    n, on, discounted = order.periods_billed, order.next_charge_on, 0
    last = len(order.installments) if order.kind == Order.Kind.PAYMENT_PLAN else None
    while on <= horizon and (last is None or n <= last):
        if order.cancel_at and on >= order.cancel_at:
            return
        amount = period_amount(order, n)
        if discounted < order.discount_charges:
            amount -= discount_for(order, amount)
            discounted += 1
        yield on, amount
        n += 1
        on = period_start(order, n)


def _round(amount: Decimal, currency: str) -> Money:
    return Money(amount.quantize(Decimal(1).scaleb(-money.exponent(currency))), currency)


def subscription_tables(period: Period) -> list[Table]:
    flow = flow_by_month(period)
    flow_table = Table(
        "subscription-flow",
        "Subscriptions sold, cancelled and paused by month",
        [
            Column("month", "Month"),
            Column("new", "New", numeric=True),
            Column("churned", "Cancelled", numeric=True),
            Column("paused", "Paused", numeric=True),
        ],
        flow,
    )
    flow_table.charts.append(
        bar_chart(
            "Subscriptions by month",
            [row["month"] for row in flow],
            [
                (label, [row[key] for row in flow])
                for key, label in (("new", "New"), ("churned", "Cancelled"), ("paused", "Paused"))
            ],
        )
    )
    return [
        Table(
            "mrr",
            "Recurring revenue per currency",
            [
                Column("currency", "Currency"),
                Column("paying", "Paying subscriptions", numeric=True),
                Column("mrr", "MRR", numeric=True),
                Column("trialing", "In trial", numeric=True),
                Column("paused", "Paused", numeric=True),
            ],
            mrr(),
            note="Live now, whatever the months picked. MRR at list price; trials and paused "
            "subscriptions add nothing.",
        ),
        flow_table,
        Table(
            "plan-balances",
            "Payment plans: still to collect",
            [
                Column("currency", "Currency"),
                Column("scheduled", "Installments not yet billed", numeric=True),
                Column("due", "Due on billed installments", numeric=True),
                Column("total", "Still to collect", numeric=True),
            ],
            plan_balances(),
            note="Live now, whatever the months picked.",
        ),
    ]


def upcoming_table() -> Table:
    columns = [Column("currency", "Currency")]
    for days in WINDOWS:
        columns += [
            Column(f"count_{days}", f"Charges, {days} days", numeric=True),
            Column(f"amount_{days}", f"Amount, {days} days", numeric=True),
        ]
    rows = upcoming()
    table = Table(
        "upcoming",
        "Upcoming charges",
        columns,
        rows,
        note="From today, overdue charges the next sweep makes included; before any credit "
        "the contact holds. Paused orders are left out until they resume.",
    )
    for row in rows:
        table.charts.append(
            bar_chart(
                f"Upcoming charges in {row['currency']}",
                [f"{d} days" for d in WINDOWS],
                [("Amount", [row[f"amount_{d}"].amount for d in WINDOWS])],
            )
        )
    return table
