"""Collections (dunning): cases opened each month per policy and currency and how they ended,
which attempt recovered them, and closed cases with their attempts.

A case belongs to the month its first charge failed; "recovered" and "written off" are how the
cases opened that month ended so far, so a recent month's rate still grows as cases close.
"""

from django.db.models import Count, Prefetch, Q, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone
from djmoney.money import Money

from billing.models import Invoice
from core.pagination import keyset_page
from desk.reports.charts import bar_chart
from desk.reports.period import Period
from desk.reports.tables import Column, Table, month_label, rate
from dunning.models import DunningAttempt, DunningCase

RECOVERED = Q(status=DunningCase.Status.RECOVERED)
WRITTEN_OFF = Q(invoice__status=Invoice.Status.WRITTEN_OFF)
CLOSED = (DunningCase.Status.RECOVERED, DunningCase.Status.EXHAUSTED, DunningCase.Status.STOPPED)


def _cases(period: Period):
    return DunningCase.objects.filter(failed_at__gte=period.start, failed_at__lt=period.end)


def cases_by_month(period: Period) -> list[dict]:
    rows = (
        _cases(period)
        .annotate(month=TruncMonth("failed_at", tzinfo=timezone.get_default_timezone()))
        .values("month", "policy__name", "amount_currency")
        .annotate(
            opened=Count("pk"),
            opened_amount=Sum("amount"),
            recovered=Count("pk", filter=RECOVERED),
            recovered_amount=Sum("amount", filter=RECOVERED),
            written_off=Count("pk", filter=WRITTEN_OFF),
            written_off_amount=Sum("amount", filter=WRITTEN_OFF),
        )
        .order_by("month", "policy__name", "amount_currency")
    )
    found = []
    for row in rows:
        currency = row["amount_currency"]
        found.append(
            {
                "month": month_label(row["month"]),
                "policy": row["policy__name"],
                "currency": currency,
                "opened": row["opened"],
                "opened_amount": Money(row["opened_amount"] or 0, currency),
                "recovered": row["recovered"],
                "recovered_amount": Money(row["recovered_amount"] or 0, currency),
                "recovery_rate": rate(row["recovered"], row["opened"]),
                "written_off": row["written_off"],
                "written_off_amount": Money(row["written_off_amount"] or 0, currency),
            }
        )
    return found


def recovery_by_attempt(period: Period) -> list[dict]:
    """For each attempt number: how many cases it was tried on and how many it recovered."""
    rows = (
        DunningAttempt.objects.filter(
            case__failed_at__gte=period.start, case__failed_at__lt=period.end
        )
        .exclude(outcome__in=("pending", "skipped"))
        .values("number")
        .annotate(
            tried=Count("case", distinct=True),
            recovered=Count("case", filter=Q(outcome="succeeded"), distinct=True),
        )
        .order_by("number")
    )
    return [
        {
            "attempt": row["number"],
            "tried": row["tried"],
            "recovered": row["recovered"],
            "rate": rate(row["recovered"], row["tried"]),
        }
        for row in rows
    ]


def closed_cases(cursor: str | None) -> tuple[list[DunningCase], str | None]:
    """Closed cases, the latest failure first, each with its attempts (one query for all)."""
    cases = (
        DunningCase.objects.filter(status__in=CLOSED)
        .select_related("contact", "policy", "invoice")
        .prefetch_related(
            Prefetch("attempts", queryset=DunningAttempt.objects.select_related("card"))
        )
    )
    return keyset_page(cases, "failed_at", cursor)


def collection_tables(period: Period) -> list[Table]:
    by_month = cases_by_month(period)
    months = [month_label(m) for m in period.months()]
    monthly = Table(
        "collections",
        "Cases by month, policy and currency",
        [
            Column("month", "Month"),
            Column("policy", "Policy"),
            Column("currency", "Currency"),
            Column("opened", "Opened", numeric=True),
            Column("opened_amount", "Amount opened", numeric=True),
            Column("recovered", "Recovered", numeric=True),
            Column("recovered_amount", "Amount recovered", numeric=True),
            Column("recovery_rate", "Recovery rate", numeric=True),
            Column("written_off", "Written off", numeric=True),
            Column("written_off_amount", "Amount written off", numeric=True),
        ],
        by_month,
        note="A case counts in the month its first charge failed.",
    )
    series = []
    for key, label in (
        ("opened", "Opened"),
        ("recovered", "Recovered"),
        ("written_off", "Written off"),
    ):
        per_month = dict.fromkeys(months, 0)
        for row in by_month:
            per_month[row["month"]] = per_month.get(row["month"], 0) + row[key]
        series.append((label, [per_month[m] for m in months]))
    monthly.charts.append(bar_chart("Cases by month", months, series))
    attempts = recovery_by_attempt(period)
    by_attempt = Table(
        "recovery-by-attempt",
        "Recovery by attempt number",
        [
            Column("attempt", "Attempt"),
            Column("tried", "Cases tried", numeric=True),
            Column("recovered", "Recovered", numeric=True),
            Column("rate", "Rate", numeric=True),
        ],
        attempts,
    )
    by_attempt.charts.append(
        bar_chart(
            "Cases recovered by attempt",
            [f"#{row['attempt']}" for row in attempts],
            [
                ("Tried", [r["tried"] for r in attempts]),
                ("Recovered", [r["recovered"] for r in attempts]),
            ],
        )
    )
    return [monthly, by_attempt]
