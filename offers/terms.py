"""Payment terms of a sale line: one-time, subscription, or payment plan.

Stored as JSON on offer lines, invoice lines and orders so a sale keeps the terms it was sold with.
"""

from dataclasses import asdict, dataclass
from decimal import Decimal
from typing import Literal

from djmoney.money import Money

Unit = Literal["day", "week", "month", "year"]
UNITS: tuple[Unit, ...] = ("day", "week", "month", "year")
Kind = Literal["one_time", "subscription", "payment_plan"]

# The longest interval between charges (ten years in any unit), trial and plan: beyond these a
# date computation overflows or one request builds millions of rows.
MAX_EVERY: dict[str, int] = {"day": 3650, "week": 520, "month": 120, "year": 10}
MAX_TRIAL_DAYS = 730
MAX_INSTALLMENTS = 360


@dataclass(frozen=True)
class PaymentTerms:
    kind: Kind = "one_time"
    every: int = 1
    unit: Unit = "month"
    trial_days: int = 0
    trial_price: Money | None = None
    initial: Money | None = None
    installments: int = 0

    def __post_init__(self) -> None:
        if self.kind not in ("one_time", "subscription", "payment_plan"):
            raise ValueError(f"Unknown payment terms {self.kind!r}")
        if self.unit not in UNITS:
            raise ValueError(f"Charge every day, week, month or year, not {self.unit!r}")
        if self.every < 1:
            raise ValueError("The interval must be at least 1")
        if self.every > MAX_EVERY[self.unit]:
            raise ValueError(f"Charge at least every {MAX_EVERY[self.unit]} {self.unit}s")
        if self.trial_days < 0:
            raise ValueError("A trial cannot be negative")
        if self.trial_days > MAX_TRIAL_DAYS:
            raise ValueError(f"A trial lasts at most {MAX_TRIAL_DAYS} days")
        if self.trial_price is not None and self.trial_price.amount < 0:
            raise ValueError("A trial price cannot be negative")
        if self.kind == "payment_plan":
            if self.installments < 1:
                raise ValueError("A payment plan needs at least one installment after the first")
            if self.installments > MAX_INSTALLMENTS:
                raise ValueError(f"A payment plan has at most {MAX_INSTALLMENTS} installments")
            if self.initial is None or self.initial.amount < 0:
                raise ValueError("A payment plan needs the amount paid now (it may be zero)")

    @classmethod
    def one_time(cls) -> "PaymentTerms":
        return cls()

    @classmethod
    def subscription(
        cls,
        every: int = 1,
        unit: Unit = "month",
        trial_days: int = 0,
        trial_price: Money | None = None,
    ) -> "PaymentTerms":
        return cls("subscription", every, unit, trial_days, trial_price)

    @classmethod
    def payment_plan(
        cls, initial: Money, installments: int, every: int = 1, unit: Unit = "month"
    ) -> "PaymentTerms":
        return cls("payment_plan", every, unit, initial=initial, installments=installments)

    @property
    def is_recurring(self) -> bool:
        return self.kind != "one_time"

    def describe(self) -> str:
        period = self.unit if self.every == 1 else f"{self.every} {self.unit}s"
        if self.kind == "subscription":
            trial = f", {self.trial_days}-day trial" if self.trial_days else ""
            return f"every {period}{trial}"
        if self.kind == "payment_plan":
            return f"{self.initial} now, then {self.installments} payments every {period}"
        return "one-time"

    def to_json(self) -> dict:
        data = asdict(self)
        for name in ("trial_price", "initial"):
            money = getattr(self, name)
            data[name] = None if money is None else [str(money.amount), str(money.currency)]
        return data

    @classmethod
    def from_json(cls, data: dict | None) -> "PaymentTerms":
        if not data:
            return cls()
        data = dict(data)
        for name in ("trial_price", "initial"):
            if data.get(name):
                amount, currency = data[name]
                data[name] = Money(Decimal(amount), currency)
        return cls(**data)
