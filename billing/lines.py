"""A line of a sale as the rep enters it, before it becomes an invoice line or an order."""

from dataclasses import dataclass, field

from djmoney.money import Money

from billing import errors
from core import money
from offers.models import Product
from offers.terms import PaymentTerms


@dataclass(frozen=True)
class SaleLine:
    product: Product
    quantity: int = 1
    unit_price: Money | None = None
    discount: Money | None = None
    terms: PaymentTerms | None = field(default=None)
    # The dunning policy (by name) for the order this line opens; blank means the default.
    dunning_policy: str = ""

    @property
    def price(self) -> Money:
        return self.unit_price if self.unit_price is not None else self.product.price

    @property
    def payment_terms(self) -> PaymentTerms:
        return self.terms or PaymentTerms.one_time()

    @property
    def subtotal(self) -> Money:
        return self.price * self.quantity

    @property
    def total(self) -> Money:
        return self.subtotal - self.discount if self.discount else self.subtotal

    def fingerprint(self) -> list:
        return [
            self.product.pk,
            self.quantity,
            str(self.price),
            str(self.discount),
            self.payment_terms.to_json(),
        ]


def validate_lines(lines: list[SaleLine]) -> str:
    """Check a sale's lines and return their currency; raises BillingError on bad input."""
    if not lines:
        raise errors.InvalidRequest(errors.NO_LINES, field="lines")
    currencies = {str(line.price.currency) for line in lines}
    if len(currencies) > 1:
        raise errors.CurrencyMismatch(errors.MIXED_CURRENCIES, field="lines")
    (currency,) = currencies
    for line in lines:
        if line.quantity < 1:
            raise errors.InvalidRequest("Quantity must be at least 1.", field="quantity")
        for name, value in (("unit_price", line.price), ("discount", line.discount)):
            if value is None:
                continue
            if str(value.currency) != currency:
                raise errors.CurrencyMismatch(errors.MIXED_CURRENCIES, field=name)
            try:
                money.validate(value)
            except money.MoneyError as exc:
                raise errors.InvalidAmount(str(exc), field=name) from None
            if value.amount < 0:
                raise errors.InvalidAmount("Amounts cannot be negative.", field=name)
        if line.discount and line.discount > line.subtotal:
            raise errors.InvalidAmount("A discount cannot exceed its line.", field="discount")
        terms = line.payment_terms
        for name, value in (("initial", terms.initial), ("trial_price", terms.trial_price)):
            if value is not None:
                if str(value.currency) != currency:
                    raise errors.CurrencyMismatch(errors.MIXED_CURRENCIES, field=name)
                try:
                    money.validate(value)
                except money.MoneyError as exc:
                    raise errors.InvalidAmount(str(exc), field=name) from None
        if terms.kind == "payment_plan" and terms.initial > line.total:
            raise errors.InvalidAmount(
                "The amount paid now cannot exceed the line's total.", field="initial"
            )
    return currency
