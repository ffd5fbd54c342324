"""A year of the demo's history, lived day by day through the real actions and the real sweeps.

The clock is frozen at each day in turn (core.clock.frozen_at): that day's rep actions run
(desk.demo_story), then the sweeps the job cluster would have run (reconcile, renewals,
dunning). So renewals, trial ends, declines, retries, recoveries and write-offs happen on the
days they fall due, and the ledger and audit trail are what a year of real use would leave.
Every sweep works from the books' state, so a second run after a crash replays the finished
days without doing them twice.
"""

import contextlib
import datetime as dt
import logging
from collections.abc import Callable, Iterator

from django.db import connection

from billing.tasks import charge_due_orders, reconcile_pending
from core import clock
from desk.demo_story import Cast, story
from dunning.tasks import run_dunning

DAYS = 365


def live(cast: Cast, *, start: dt.datetime, report: Callable[[str], None]) -> None:
    """Run the year from `start`: each day's actions at 10:00, then the sweeps at 18:00."""
    days = story(cast)
    with _quiet_sweeps(), _fast_sqlite():
        for day in range(DAYS + 1):
            morning = start + dt.timedelta(days=day)
            with clock.frozen_at(morning):
                for _name, act in days.get(day, []):
                    act()
            with clock.frozen_at(morning + dt.timedelta(hours=8)):
                reconcile_pending()
                charge_due_orders()
                run_dunning()
            if day % 61 == 0:
                report(f"  day {day:>3} of {DAYS}: {morning:%d %b %Y}")


@contextlib.contextmanager
def _quiet_sweeps() -> Iterator[None]:
    """The sweeps log a line per run at INFO: 365 days of them would bury the progress."""
    loggers = [logging.getLogger(name) for name in ("billing", "dunning", "django-q")]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.WARNING)
    try:
        yield
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.setLevel(level)


@contextlib.contextmanager
def _fast_sqlite() -> Iterator[None]:
    """The SQLite demo database waits for the disk at each of the year's thousands of commits;
    a seed cut short by a crash is simply run again (every step replays), so it need not."""
    if connection.vendor != "sqlite":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA synchronous = OFF")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA synchronous = FULL")
