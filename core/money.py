"""Money at the boundaries: parsing, validation, minor units, allocation, proration, display.

Every amount in Paydesk is a ``djmoney.money.Money`` whose amount is a ``Decimal``; floats never
enter. Anything that turns money into something else (cents for a payment API, text for a
human, several parts of one total) goes through this module so rounding happens in one place.

Minor-unit exponents come from py-moneyed's ISO 4217 currency table (``Currency.sub_unit``,
the same data djmoney's fields use). Checked against ISO 4217, it is right for JPY, KRW, CLP,
ISK (0), USD, EUR, HUF, IDR (2), KWD, BHD, JOD, OMR, TND (3), and it raises for unknown codes.
Babel's ``get_currency_precision`` was rejected: it gives CLDR's *display* digits, which are
not ISO 4217 (0 instead of 2 for HUF, IDR and COP, 0 instead of 3 for IQD), and it silently
answers 2 for a code it has never heard of.
"""

import copy
import functools
import math
import operator
import re
from collections.abc import Iterable, Sequence
from decimal import MAX_PREC, Context, Decimal, Inexact, InvalidOperation
from fractions import Fraction

import moneyed
from babel import Locale
from babel.numbers import NumberPattern, format_currency
from django.conf import settings
from djmoney.money import Money

# The largest exponent in use; DB columns are MoneyField(decimal_places=3).
MAX_EXPONENT = 3

# Trapping Inexact turns any silent rounding into an exception; the huge precision keeps
# large amounts from being rounded to the default 28 significant digits.
_EXACT = Context(prec=MAX_PREC, traps=[Inexact, InvalidOperation])

# Commas only as proper thousands groups, so a decimal comma ("12,50") is refused rather than
# read as 1250. ASCII only, so lookalike digits from other scripts are refused too.
_AMOUNT = re.compile(r"-?(?:(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?|\.\d+)", re.ASCII)


class MoneyError(ValueError):
    """An amount or currency that cannot be accepted; the message is fit for a form field."""


class UnknownCurrency(MoneyError):
    """Not an ISO 4217 code, or one with more decimals than Paydesk can store."""


class TooManyDecimals(MoneyError):
    """More significant decimals than the currency has; refused because rounding would be silent."""


class AboveCeiling(MoneyError):
    """Larger than any single amount Paydesk accepts (settings.PAYDESK_MAX_AMOUNT_MINOR)."""


class CurrencyMismatch(MoneyError):
    """Amounts in different currencies were combined."""


@functools.cache
def exponent(currency: str) -> int:
    """The ISO 4217 minor-unit exponent: 2 for USD, 0 for JPY, 3 for KWD."""
    try:
        sub_unit = moneyed.get_currency(currency).sub_unit
    except moneyed.CurrencyDoesNotExist:
        raise UnknownCurrency(
            f"Unknown currency code {currency!r}; expected an ISO 4217 code like 'USD'"
        ) from None
    digits = len(str(sub_unit)) - 1  # sub_unit is a power of ten: 1, 100, 1000
    if digits > MAX_EXPONENT:
        # Storing it would silently cut decimals in the DB columns.
        raise UnknownCurrency(
            f"{currency} has {digits} decimals; Paydesk stores at most {MAX_EXPONENT}"
        )
    return digits


def validate(money: Money) -> Money:
    """Return the amount with exactly its currency's decimals, refusing rather than rounding.

    Trailing zeros are not significant (10.500 USD becomes 10.50); a significant extra digit
    (10.005 USD, 1.5 JPY) raises TooManyDecimals.
    """
    code = money.currency.code
    digits = exponent(code)
    if not money.amount.is_finite():
        raise MoneyError(f"{money.amount} is not an amount")
    try:
        amount = money.amount.quantize(Decimal(1).scaleb(-digits), context=_EXACT)
    except Inexact:
        if digits == 0:
            raise TooManyDecimals(f"{code} amounts cannot have decimals") from None
        raise TooManyDecimals(f"{code} amounts have at most {digits} decimals") from None
    if amount.is_zero():
        amount = amount.copy_abs()  # -0.00 is a valid Decimal but would display as "-$0.00"
    return Money(amount, code)


def parse(value: str | Decimal | int, currency: str) -> Money:
    """Read user input such as " 1,234.50 " into validated Money."""
    digits = exponent(currency)
    if isinstance(value, str):
        text = value.strip()
        if not _AMOUNT.fullmatch(text):
            raise MoneyError(f"Enter an amount like {Decimal('12.50'):.{digits}f}")
        amount = Decimal(text.replace(",", ""))
    elif isinstance(value, (Decimal, int)):
        amount = Decimal(value)
    else:
        # A float has already lost the exact value the user meant.
        raise TypeError(f"Expected str, Decimal or int, got {type(value).__name__}")
    return validate(Money(amount, currency))


def ceiling(currency: str) -> Money:
    """The largest amount one field accepts in `currency`: the gateway's largest charge."""
    return from_minor_units(settings.PAYDESK_MAX_AMOUNT_MINOR, currency)


def within_ceiling(money: Money) -> Money:
    """The validated amount, refused if its size (either sign) is above the ceiling.

    Every money entry point calls this, form and action alike, so an absurd amount is a field
    error and never a database overflow or a charge nobody meant."""
    valid = validate(money)
    if abs(to_minor_units(valid)) > settings.PAYDESK_MAX_AMOUNT_MINOR:
        limit = ceiling(valid.currency.code)
        raise AboveCeiling(f"Enter at most {limit.amount:,} {limit.currency.code}.")
    return valid


def to_minor_units(money: Money) -> int:
    """Whole minor units (cents, fils, yen) as payment APIs expect: 1.15 USD is 115."""
    valid = validate(money)
    return int(valid.amount.scaleb(exponent(valid.currency.code), context=_EXACT))


def from_minor_units(units: int, currency: str) -> Money:
    """Money from whole minor units: 115 USD cents is 1.15 USD."""
    # index() refuses floats, which would carry binary fractions into the Decimal.
    amount = Decimal(operator.index(units)).scaleb(-exponent(currency), context=_EXACT)
    return Money(amount, currency)


def zero(currency: str) -> Money:
    return from_minor_units(0, currency)


def _weight(weight: int | Decimal) -> Fraction:
    if not isinstance(weight, (int, Decimal)):
        # A float weight like 0.1 is not the number it looks like.
        raise TypeError(f"Weights must be int or Decimal, got {type(weight).__name__}")
    if isinstance(weight, Decimal) and not weight.is_finite():
        raise ValueError(f"Weights must be finite, got {weight}")
    if weight < 0:
        raise ValueError(f"Weights must not be negative, got {weight}")
    return Fraction(weight)


def allocate(money: Money, parts: int | Sequence[int | Decimal]) -> list[Money]:
    """Split exactly into `parts` equal shares, or in proportion to a sequence of weights.

    Every share is a whole number of minor units and the shares sum exactly to `money`
    (largest-remainder method). Leftover units go to the largest remainders, ties to the
    earliest parts, so 100.00 USD / 3 is 33.34, 33.33, 33.33. Negative amounts are split by
    absolute value and negated, so the pattern mirrors the positive case.
    """
    if isinstance(parts, int):
        if parts < 1:
            raise ValueError(f"Cannot split into {parts} parts")
        weights = [Fraction(1)] * parts
    else:
        weights = [_weight(w) for w in parts]
        if not any(weights):
            raise ValueError("Weights must not be empty or all zero")
    units = to_minor_units(money)
    whole = abs(units)
    total = sum(weights)
    # Fractions keep the shares exact, so remainders compare without rounding noise.
    shares = [whole * weight / total for weight in weights]
    floors = [math.floor(share) for share in shares]
    by_remainder = sorted(range(len(shares)), key=lambda i: (floors[i] - shares[i], i))
    for i in by_remainder[: whole - sum(floors)]:
        floors[i] += 1
    sign = -1 if units < 0 else 1
    return [from_minor_units(sign * part, money.currency.code) for part in floors]


def sum_money(items: Iterable[Money], currency: str) -> Money:
    """Sum amounts of one currency; the explicit currency makes an empty sum zero(currency)."""
    # Integer minor units: Decimal addition would round past 28 digits, int addition never does.
    total = 0
    for item in items:
        # Checked here because djmoney may auto-convert between currencies when configured to.
        if item.currency.code != currency:
            raise CurrencyMismatch(f"Cannot add {item.currency.code} to a {currency} total")
        total += to_minor_units(item)
    return from_minor_units(total, currency)


def format_money(money: Money, locale: str = "en_US") -> str:
    """Display text for a locale, with exactly the currency's ISO 4217 decimals.

    Babel's own currency digits are CLDR's (HUF 0), so the locale's pattern is used with its
    fraction digits forced to the exponent; a validated amount then never gets rounded.
    """
    valid = validate(money)
    return _formatted(valid.amount, valid.currency.code, locale)


@functools.lru_cache(maxsize=4096)
def _formatted(amount: Decimal, code: str, locale: str) -> str:
    """Kept per amount: babel's pattern machinery takes some 40 us an amount, and a page (the
    contact record: a hundred) mostly shows prices and totals it has shown before. The key is
    exact: `validate` has quantized the amount to its currency and made -0 zero."""
    parsed, pattern = _currency_pattern(locale, exponent(code))
    return format_currency(amount, code, format=pattern, locale=parsed, currency_digits=False)


@functools.lru_cache(maxsize=256)
def _currency_pattern(locale: str, digits: int) -> tuple[Locale, NumberPattern]:
    """Parsed once per locale and exponent: a page of amounts formats hundreds of them."""
    parsed = Locale.parse(locale)
    # Copied because babel shares one pattern object per locale across all callers.
    pattern = copy.copy(parsed.currency_formats["standard"])
    pattern.frac_prec = (digits, digits)
    return parsed, pattern


def prorate(money: Money, numerator: int, denominator: int) -> Money:
    """The fraction numerator/denominator of `money`, rounded half-even to a minor unit.

    This is the one place proration rounds, and it rounds once, on the exact fraction. Callers
    needing the rest take the complement as ``money - prorate(money, n, d)``, never a second
    prorate, so the two parts always sum exactly to `money`.
    """
    if denominator <= 0:
        raise ValueError(f"Denominator must be positive, got {denominator}")
    share = Fraction(to_minor_units(money) * numerator, denominator)
    return from_minor_units(round(share), money.currency.code)  # round() on Fraction: half-even


def percent_of(money: Money, percent: Decimal) -> Money:
    """`percent` % of `money` (a percent with at most two decimals), rounded like `prorate`."""
    basis_points = Decimal(percent).scaleb(2)
    if basis_points != basis_points.to_integral_value():
        raise ValueError(f"A percent has at most two decimals, not {percent}")
    return prorate(money, int(basis_points), 10000)
