"""The rules a sale's lines must meet before billing acts on them (offers.lines holds the line)."""

from billing import errors
from core import money
from offers.lines import SaleLine


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
