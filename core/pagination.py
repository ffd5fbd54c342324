"""Keyset pagination on (timestamp, id), newest first: page 1,000 costs what page 1 costs,
because it filters past the cursor instead of skipping rows with OFFSET."""

import datetime as dt

from django.db.models import Q, QuerySet

PAGE = 50


def _cursor(moment: dt.datetime, pk: int) -> str:
    return f"{moment.isoformat()}_{pk}"


def keyset_page(
    qs: QuerySet, field: str, cursor: str | None, size: int = PAGE
) -> tuple[list, str | None]:
    """One page of `qs` newest first on (field, id), and the cursor of the next page."""
    if cursor:
        try:
            stamp, pk = cursor.rsplit("_", 1)
            moment, pk = dt.datetime.fromisoformat(stamp), int(pk)
        except ValueError:
            moment = None
        # A cursor is the client's to forge: one naming no possible row starts at the top.
        if moment is not None and 0 < pk < 2**63:
            # The first, redundant condition is the one an index on (field, id) can seek to:
            # without it PostgreSQL reads every newer row to test the OR on each.
            qs = qs.filter(
                Q(**{f"{field}__lte": moment}),
                Q(**{f"{field}__lt": moment}) | Q(**{field: moment, "pk__lt": pk}),
            )
    rows = list(qs.order_by(f"-{field}", "-pk")[: size + 1])
    more = len(rows) > size
    rows = rows[:size]
    if not more:
        return rows, None
    last = rows[-1]
    # Rows are model instances, or dicts from `.values()` (which must then include "pk").
    if isinstance(last, dict):
        return rows, _cursor(last[field], last["pk"])
    return rows, _cursor(getattr(last, field), last.pk)
