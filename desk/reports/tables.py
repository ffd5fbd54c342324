"""A report's rows as one table: what the page shows, what its chart draws and what its CSV
holds. Cells keep their types (Money, int, Decimal, dates) until shown, so the CSV writes plain
numbers and the page writes them for the reader's locale."""

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from djmoney.money import Money

from core.money import exponent, format_money


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    numeric: bool = False


@dataclass
class Table:
    slug: str
    title: str
    columns: list[Column]
    rows: list[dict[str, Any]]
    note: str = ""
    charts: list = field(default_factory=list)

    def display_rows(self, locale: str) -> list[list[tuple[str, bool]]]:
        """Each row's cells as (text, numeric) for the page."""
        return [
            [(_display(row.get(c.key), locale), c.numeric) for c in self.columns]
            for row in self.rows
        ]

    def csv_rows(self) -> list[list[str]]:
        """The header and each row as plain text: amounts in their currency's decimals, no
        symbol or grouping, so a spreadsheet reads them as numbers."""
        return [[c.label for c in self.columns]] + [
            [plain(row.get(c.key)) for c in self.columns] for row in self.rows
        ]


class Rate(Decimal):
    """A share from 0 to 1, shown as a percent with one decimal."""


def rate(part: int | Decimal, whole: int | Decimal) -> Rate | None:
    return Rate(Decimal(part) / Decimal(whole)) if whole else None


def _display(value: Any, locale: str) -> str:
    if isinstance(value, Money):
        return format_money(value, locale or "en_US")
    if isinstance(value, Rate):
        return f"{value * 100:.1f}%"
    return plain(value)


def plain(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, Money):
        digits = exponent(value.currency.code)
        return f"{value.amount:.{digits}f}"
    if isinstance(value, Rate):
        return f"{value * 100:.1f}"
    if isinstance(value, dt.datetime):
        return value.isoformat(timespec="seconds")
    return str(value)


def month_label(month: dt.date) -> str:
    return month.strftime("%Y-%m")
