"""The months a report covers, typed as YYYY-MM in the query string (bookmarkable)."""

import datetime as dt
from dataclasses import dataclass

from django import forms
from django.utils import timezone

from core import clock
from core.forms import BoundedForm

# A report looks at most ten years back at once: a wider range is a typo, and its chart would
# have more bars than pixels.
MAX_MONTHS = 120
DEFAULT_MONTHS = 12


@dataclass(frozen=True)
class Period:
    """Whole months from `first` to `last` (both the first day of their month)."""

    first: dt.date
    last: dt.date

    @property
    def start(self) -> dt.datetime:
        return midnight(self.first)

    @property
    def end(self) -> dt.datetime:
        """The moment after the last month, exclusive."""
        return midnight(next_month(self.last))

    def months(self) -> list[dt.date]:
        found, month = [], self.first
        while month <= self.last:
            found.append(month)
            month = next_month(month)
        return found


def next_month(month: dt.date) -> dt.date:
    return dt.date(month.year + month.month // 12, month.month % 12 + 1, 1)


def months_back(month: dt.date, count: int) -> dt.date:
    index = month.year * 12 + month.month - 1 - count
    return dt.date(index // 12, index % 12 + 1, 1)


def midnight(day: dt.date) -> dt.datetime:
    """The start of `day` on the business's calendar (settings.TIME_ZONE): reports count months
    as the hourly roll-up does, not in the zone a manager's request shows times in."""
    return timezone.make_aware(
        dt.datetime.combine(day, dt.time.min), timezone.get_default_timezone()
    )


class MonthField(forms.CharField):
    widget = forms.TextInput(attrs={"type": "month", "placeholder": "YYYY-MM"})

    def __init__(self, **kwargs) -> None:
        super().__init__(max_length=7, required=False, **kwargs)

    def clean(self, value) -> dt.date | None:
        text = super().clean(value)  # the text's own checks (length, card numbers) first
        if not text:
            return None
        try:
            month = dt.datetime.strptime(text, "%Y-%m").date()
        except ValueError:
            raise forms.ValidationError("Type a month as YYYY-MM.") from None
        if not 2000 <= month.year <= 2100:
            raise forms.ValidationError("Pick a month between 2000 and 2100.")
        return month


class PeriodForm(BoundedForm, forms.Form):
    start = MonthField(label="From")
    end = MonthField(label="To")

    def clean(self):
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if start and end:
            if start > end:
                self.add_error("end", "The last month comes after the first.")
            elif len(Period(start, end).months()) > MAX_MONTHS:
                self.add_error("start", f"A report covers at most {MAX_MONTHS} months.")
        return data

    def period(self) -> Period:
        """The months asked for; the last twelve (this month included) for what is not typed or
        not valid, so a bad value shows its error over a report that still makes sense."""
        this_month = clock.today().replace(day=1)
        data = self.cleaned_data if self.is_valid() else {}
        last = data.get("end") or this_month
        first = data.get("start") or months_back(last, DEFAULT_MONTHS - 1)
        if first > last or len(Period(first, last).months()) > MAX_MONTHS:
            return Period(months_back(this_month, DEFAULT_MONTHS - 1), this_month)
        return Period(first, last)
