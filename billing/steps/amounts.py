"""Validating an amount a rep entered for an invoice, a payment or an order."""

from djmoney.money import Money

from billing import errors
from core import money


def checked_amount(amount: Money, currency: str, *, subject: str = "invoice") -> Money:
    """Validate a rep-entered amount for a record in `currency`: right currency, positive,
    no more decimals than the currency has (never rounded)."""
    if str(amount.currency) != currency:
        raise errors.CurrencyMismatch(
            errors.WRONG_CURRENCY.format(subject=subject, expected=currency, got=amount.currency)
        )
    try:
        amount = money.within_ceiling(amount)
    except money.MoneyError as exc:
        raise errors.InvalidAmount(str(exc)) from None
    if amount.amount <= 0:
        raise errors.InvalidAmount(errors.AMOUNT_NOT_POSITIVE)
    return amount
