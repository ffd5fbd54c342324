"""Closed months of the ledger, summed once (desk.models.LedgerMonth), so the money report
reads a few rows per month instead of every entry: at a million invoices the entries of two
years take seconds to sum, their monthly totals a millisecond.

A month is closed a day after it ends (SETTLE): by then no action's transaction dated inside
it is still open. The month in progress is summed up to a day ago, again by each run
(RolledMonth.through). The report sums what no roll-up holds yet from the entries themselves:
a day of them, not a month.
"""

import datetime as dt

from django.db import transaction
from django.db.models import Min, Q, Sum
from django.utils import timezone

from billing.models import Journal, LedgerEntry
from core import clock
from desk.models import LedgerMonth, RolledMonth
from desk.reports.period import midnight, next_month

SETTLE = dt.timedelta(days=1)


def closed_before(now: dt.datetime) -> dt.date:
    """The first month not closed at `now`."""
    local = timezone.localtime(now - SETTLE, timezone.get_default_timezone())
    return local.date().replace(day=1)


def roll_up(now: dt.datetime | None = None) -> int:
    """Sum every closed month that has no totals yet, and the month in progress up to a day
    ago; returns how many closed months it summed."""
    now = now or clock.now()
    until = closed_before(now)
    done = set(RolledMonth.objects.filter(through=None).values_list("month", flat=True))
    oldest = Journal.objects.aggregate(first=Min("created_at"))["first"]
    if oldest is None:
        return 0
    month = timezone.localtime(oldest, timezone.get_default_timezone()).date().replace(day=1)
    todo = []
    while month < until:
        if month not in done:
            todo.append(month)
        month = next_month(month)
    for month in todo:
        _roll_month(month, now)
    # The month of a day ago: its journals before then are settled, and summing them now
    # leaves the report a day of entries to read, not a month's.
    _roll_month(until, now, through=now - SETTLE)
    return len(todo)


def _roll_month(month: dt.date, now: dt.datetime, through: dt.datetime | None = None) -> None:
    start, end = midnight(month), midnight(next_month(month))
    rows = (
        LedgerEntry.objects.filter(
            journal__created_at__gte=start, journal__created_at__lt=through or end
        )
        .values("account", "amount_currency", "journal__actor")
        .annotate(
            debits=Sum("amount", filter=Q(amount__gt=0)),
            credits=Sum("amount", filter=Q(amount__lt=0)),
        )
        .order_by()
    )
    with transaction.atomic():
        rolled, claimed = RolledMonth.objects.select_for_update().get_or_create(
            month=month, defaults={"rolled_at": now, "through": through}
        )
        if not claimed:
            if rolled.through is None or (through is not None and rolled.through >= through):
                return  # summed whole, or as far already
            # Summed part way: summed again, whole or further.
            LedgerMonth.objects.filter(month=month).delete()
            rolled.rolled_at, rolled.through = now, through
            rolled.save(update_fields=["rolled_at", "through"])
        LedgerMonth.objects.bulk_create(
            LedgerMonth(
                month=month,
                account=row["account"],
                currency=row["amount_currency"],
                actor_id=row["journal__actor"],
                debits=row["debits"] or 0,
                credits=row["credits"] or 0,
            )
            for row in rows
        )
