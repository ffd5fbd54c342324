"""Money by month and currency, and per rep, read from the ledger's entries.

Every figure is the sum of one account's entries (debits positive) over the journals of the
month, so it is what the books say, reversals included: a reversed write-off nets to zero.

- revenue: credits to revenue (sales and order periods, less proration credits), shown positive;
- discounts: debits to discounts (discount lines, invoice discounts, proration);
- refunds: the cost of money returned (refunds, and unused time paid back as credit);
- write-offs: bad debt, net of reversed write-offs;
- credit granted: what the contacts were given as credit (credits to the credit account).
"""

import datetime as dt
from decimal import Decimal

from django.contrib.auth.models import User
from django.db.models import Count, DecimalField, F, Min, Q, Sum
from django.db.models.fields.json import KT
from django.db.models.functions import Cast, TruncMonth
from django.utils import timezone
from djmoney.money import Money

from billing.models import Account, ApprovalRequest, Journal, LedgerEntry
from desk.models import LedgerMonth, RolledMonth
from desk.reports.charts import bar_chart
from desk.reports.period import Period, midnight
from desk.reports.tables import Column, Table, month_label

# Figure -> (account, sign, credit side only): the sign turns credits into positive figures.
FIGURES = {
    "revenue": (Account.REVENUE, -1, False),
    "discounts": (Account.DISCOUNTS, 1, False),
    "refunds": (Account.REFUNDS, 1, False),
    "write_offs": (Account.BAD_DEBT, 1, False),
    "credit_granted": (Account.CREDIT, -1, True),
}
LABELS = {
    "revenue": "Revenue",
    "discounts": "Discounts",
    "refunds": "Refunds",
    "write_offs": "Write-offs",
    "credit_granted": "Credit granted",
}
ACCOUNTS = [account for account, _, _ in FIGURES.values()]


def _sums():
    return {
        name: Sum("amount", filter=Q(account=account) & (Q(amount__lt=0) if credits_only else Q()))
        for name, (account, _, credits_only) in FIGURES.items()
    }


def _figures(row: dict, currency: str) -> dict[str, Money]:
    return {
        name: Money((row[name] or Decimal(0)) * sign, currency)
        for name, (_, sign, _) in FIGURES.items()
    }


def _entries(period: Period):
    return LedgerEntry.objects.filter(
        account__in=ACCOUNTS,
        journal__created_at__gte=period.start,
        journal__created_at__lt=period.end,
    )


def _totals(period: Period, by: str) -> dict[tuple, dict[str, Decimal]]:
    """(month or actor, currency) -> figure -> signed sum, in five queries whatever the rows:
    the months rolled up, their totals (desk.reports.rollup), and the entries of the others."""
    summed = dict(
        RolledMonth.objects.filter(month__gte=period.first, month__lte=period.last).values_list(
            "month", "through"
        )
    )
    whole = {month for month, through in summed.items() if through is None}
    live = [m for m in period.months() if m not in whole]
    if live:
        # Months before the ledger's first journal have nothing to read: left in, the first of
        # them would start the entries read at the period's start, every rolled month between.
        oldest = Journal.objects.aggregate(first=Min("created_at"))["first"]
        first_month = (
            timezone.localtime(oldest, timezone.get_default_timezone()).date().replace(day=1)
            if oldest
            else None
        )
        live = [m for m in live if first_month and m >= first_month]
    # The month in progress is summed up to `through`: its totals are used when it is the
    # first month left to read (as it is, once the closed months are summed), whose entries
    # are then read from `through` on.
    through = summed.get(live[0]) if live else None
    done = (whole | {live[0]}) if through else whole
    found: dict[tuple, dict[str, Decimal]] = {}
    rolled = (
        LedgerMonth.objects.filter(month__in=done, account__in=ACCOUNTS)
        .values(by, "currency", "account")
        .annotate(debits=Sum("debits"), credits=Sum("credits"))
        .order_by()
    )
    if by == "actor":
        rolled = rolled.filter(actor__isnull=False)
    for total in rolled:
        row = found.setdefault((total[by], total["currency"]), dict.fromkeys(FIGURES, Decimal(0)))
        for name, (account, _, credits_only) in FIGURES.items():
            if total["account"] == account:
                row[name] += (
                    total["credits"] if credits_only else total["debits"] + total["credits"]
                )
    if not live:
        return found
    since = Period(live[0], period.last)
    since_start = through or since.start
    # Journals are numbered as they are posted, so the months not rolled up yet (the latest)
    # are the ledger's tail: bounding the id lets PostgreSQL read that tail by index instead of
    # scanning every entry. The bound is the lowest id dated in those months, so it drops none.
    # (+ 0: otherwise PostgreSQL walks the primary key from the oldest journal looking for it.)
    first = Journal.objects.filter(created_at__gte=since_start, created_at__lt=since.end)
    first = first.aggregate(pk=Min(F("pk") + 0))["pk"]
    if first is None:
        return found
    entries = _entries(since).filter(journal_id__gte=first, journal__created_at__gte=since_start)
    if by == "actor":
        entries = entries.filter(journal__actor__isnull=False).annotate(key=F("journal__actor"))
    else:
        entries = entries.annotate(
            key=TruncMonth("journal__created_at", tzinfo=timezone.get_default_timezone())
        )
    later = [midnight(m) for m in done if m > live[0]]
    if later:
        # A rolled month after a live one (rare: a gap in the task's runs) is not read twice.
        entries = entries.annotate(
            month=TruncMonth("journal__created_at", tzinfo=timezone.get_default_timezone())
        ).exclude(month__in=later)
    for row in entries.values("key", "amount_currency").annotate(**_sums()).order_by():
        key = _as_date(row["key"]) if by == "month" else row["key"]
        mine = found.setdefault((key, row["amount_currency"]), dict.fromkeys(FIGURES, Decimal(0)))
        for name in FIGURES:
            mine[name] += row[name] or Decimal(0)
    return found


def money_by_month(period: Period) -> list[dict]:
    """One row per month and currency that moved money, oldest month first."""
    return [
        {"month": month_label(month), "currency": currency, **_figures(sums, currency)}
        for (month, currency), sums in sorted(_totals(period, "month").items())
    ]


def money_table(period: Period) -> Table:
    rows = money_by_month(period)
    columns = [Column("month", "Month"), Column("currency", "Currency")] + [
        Column(name, label, numeric=True) for name, label in LABELS.items()
    ]
    table = Table("money", "Money by month and currency", columns, rows)
    months = [month_label(m) for m in period.months()]
    for currency in sorted({row["currency"] for row in rows}):
        mine = {row["month"]: row for row in rows if row["currency"] == currency}
        series = [
            (label, [mine[m][name].amount if m in mine else Decimal(0) for m in months])
            for name, label in LABELS.items()
        ]
        table.charts.append(bar_chart(f"Money in {currency} by month", months, series))
    return table


def write_offs_asked(period: Period) -> dict[tuple[int, str], tuple[int, Decimal]]:
    """(person, currency) -> how many write-offs they asked a manager for in the period, and
    the amount asked (what was due when they asked), whatever the manager decided."""
    rows = (
        ApprovalRequest.objects.filter(
            kind=ApprovalRequest.Kind.WRITE_OFF_INVOICE,
            created_at__gte=period.start,
            created_at__lt=period.end,
        )
        .values("requested_by", "invoice__currency")
        .annotate(
            count=Count("pk"),
            amount=Sum(Cast(KT("params__amount"), DecimalField(max_digits=19, decimal_places=3))),
        )
        .order_by()
    )
    return {
        (row["requested_by"], row["invoice__currency"]): (row["count"], row["amount"])
        for row in rows
    }


def per_rep(period: Period) -> list[dict]:
    """What each person's own actions moved: sales are the revenue of the invoices they issued,
    discounts those they gave, refunds those they sent, write-offs those they made. Automatic
    journals (order periods, sweeps) name no actor and are left out. Write-offs asked are the
    requests a rep (who may not write off) made to a manager: they moved nothing themselves."""
    totals = _totals(period, "actor")
    asked = write_offs_asked(period)
    for key in asked.keys() - totals.keys():
        totals[key] = dict.fromkeys(FIGURES, Decimal(0))
    people = User.objects.in_bulk({actor for actor, _ in totals})
    found = []
    for (actor, currency), sums in totals.items():
        person = people[actor]
        figures = _figures(sums, currency)
        count, amount = asked.get((actor, currency), (0, Decimal(0)))
        found.append(
            {
                "rep": person.get_full_name() or person.username,
                "username": person.username,
                "currency": currency,
                "sales": figures["revenue"],
                "discounts": figures["discounts"],
                "refunds": figures["refunds"],
                "write_offs": figures["write_offs"],
                "write_offs_asked": count,
                "write_offs_asked_amount": Money(amount, currency),
            }
        )
    return sorted(found, key=lambda r: (r["rep"].lower(), r["username"], r["currency"]))


def rep_table(period: Period) -> Table:
    rows = per_rep(period)
    columns = [
        Column("rep", "Rep"),
        Column("username", "Login"),
        Column("currency", "Currency"),
        Column("sales", "Sales", numeric=True),
        Column("discounts", "Discounts given", numeric=True),
        Column("refunds", "Refunds", numeric=True),
        Column("write_offs", "Write-offs", numeric=True),
        Column("write_offs_asked", "Write-offs asked", numeric=True),
        Column("write_offs_asked_amount", "Amount asked to write off", numeric=True),
    ]
    table = Table("reps", "Per rep", columns, rows)
    for currency in sorted({row["currency"] for row in rows}):
        mine = [row for row in rows if row["currency"] == currency]
        series = [
            (label, [row[key].amount for row in mine])
            for key, label in (("sales", "Sales"), ("refunds", "Refunds"))
        ]
        table.charts.append(
            bar_chart(f"Sales and refunds in {currency} per rep", [r["rep"] for r in mine], series)
        )
    return table


def _as_date(moment: dt.datetime | dt.date) -> dt.date:
    return moment.date() if isinstance(moment, dt.datetime) else moment
