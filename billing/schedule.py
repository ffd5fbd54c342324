"""Charge dates of an order's periods. Months are counted from the anchor, never from the
previous date, so an anchor on the 31st charges on Feb 28/29 and then on Mar 31 again."""

import calendar
import datetime as dt


def add_interval(anchor: dt.date, count: int, unit: str) -> dt.date:
    if unit == "day":
        return anchor + dt.timedelta(days=count)
    if unit == "week":
        return anchor + dt.timedelta(weeks=count)
    months = count * (12 if unit == "year" else 1)
    year, month0 = divmod(anchor.month - 1 + months, 12)
    year += anchor.year
    day = min(anchor.day, calendar.monthrange(year, month0 + 1)[1])
    return dt.date(year, month0 + 1, day)


def period_start(order, n: int) -> dt.date:
    terms = order.terms
    return add_interval(order.anchor_on, (n - order.anchor_period) * terms["every"], terms["unit"])
