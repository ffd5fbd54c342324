"""The workspace's scheduled task: summing closed months of the ledger for the reports."""

import datetime as dt

from desk.reports.rollup import roll_up


def roll_up_ledger_months(now: dt.datetime | None = None) -> int:
    """Idempotent: a month already summed is left alone, so a rerun or a lost run is harmless."""
    return roll_up(now)
