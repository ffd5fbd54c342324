"""What an action checks of typed input besides money (billing.steps.amounts): text and days.
Forms check the same first; these refuse a caller that has no form (a script, a task, a test)."""

import datetime as dt

from billing import errors
from core import clock
from core.forms import MAX_YEARS_AHEAD
from core.validators import CARD_NUMBER_REFUSED, holds_card_number

# "Discount the next N charges": ten years of monthly charges is already generous.
MAX_DISCOUNTED_CHARGES = 120


def checked_text(text: str, *, field: str, max_length: int) -> str:
    """No card number (it would live on in append-only rows), no more than the column holds."""
    if holds_card_number(text):
        raise errors.InvalidRequest(CARD_NUMBER_REFUSED, field=field)
    if len(text) > max_length:
        raise errors.InvalidRequest(f"Keep it under {max_length} characters.", field=field)
    return text


def checked_day(day: dt.date | None, *, field: str) -> dt.date | None:
    """A day for a future charge, pause or resume: at most MAX_YEARS_AHEAD from today."""
    if day is not None and (day - clock.today()).days > MAX_YEARS_AHEAD * 366:
        raise errors.InvalidRequest(
            f"Enter a day within {MAX_YEARS_AHEAD} years from today.", field=field
        )
    return day
