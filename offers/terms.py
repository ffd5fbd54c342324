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
        if self.trial_days < 0:
            raise ValueError("A trial cannot be negative")
        if self.kind == "payment_plan":
            if self.installments < 1:
                raise ValueError("A payment plan needs at least one installment after the first")
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
