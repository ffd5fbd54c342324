"""Specs for core.money: the one place money crosses boundaries. No database needed."""

import os
from decimal import Decimal

from django.conf import settings as django_settings

# djmoney reads Django settings on import; core.money needs none of the project's, so a bare
# configuration is enough when no settings module is in play (e.g. `pytest -p no:django`).
if not django_settings.configured and "DJANGO_SETTINGS_MODULE" not in os.environ:
    django_settings.configure()

import pytest
from djmoney.money import Money
from hypothesis import given
from hypothesis import strategies as st

from core.money import (
    MAX_EXPONENT,
    CurrencyMismatch,
    MoneyError,
    TooManyDecimals,
    UnknownCurrency,
    exponent,
    format_money,
    from_minor_units,
    parse,
    sum_money,
    to_minor_units,
    validate,
    zero,
)

CURRENCIES = ["JPY", "USD", "KWD"]  # one of each exponent: 0, 2, 3
MINOR_UNITS = st.integers(min_value=-(10**12), max_value=10**12)


def units_of(parts: list[Money]) -> list[int]:
    return [to_minor_units(part) for part in parts]


def assert_whole_minor_units(parts: list[Money], currency: str) -> None:
    for part in parts:
        assert part.currency.code == currency
        assert part.amount.as_tuple().exponent == -exponent(currency)


# --- exponents ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("currency", "expected"),
    [
        ("JPY", 0),
        ("CLP", 0),
        ("KRW", 0),
        ("ISK", 0),
        ("USD", 2),
        ("EUR", 2),
        ("KWD", 3),
        ("BHD", 3),
        ("JOD", 3),
        ("OMR", 3),
        ("TND", 3),
    ],
)
def test_it_knows_the_iso_4217_minor_unit_exponent(currency, expected):
    assert exponent(currency) == expected


@pytest.mark.parametrize("currency", ["HUF", "IDR"])
def test_it_follows_iso_4217_where_cldr_display_digits_say_zero(currency):
    assert exponent(currency) == 2


@pytest.mark.parametrize("code", ["ZZZ", "usd", "", "DOLLARS"])
def test_it_refuses_unknown_currency_codes(code):
    with pytest.raises(UnknownCurrency, match="Unknown currency code"):
        exponent(code)


def test_money_errors_are_value_errors_so_forms_and_callers_can_catch_them_as_such():
    for error in (MoneyError, UnknownCurrency, TooManyDecimals, CurrencyMismatch):
        assert issubclass(error, ValueError)
    assert issubclass(UnknownCurrency, MoneyError)


def test_it_refuses_currencies_with_more_decimals_than_the_db_columns_store():
    assert MAX_EXPONENT == 3
    with pytest.raises(UnknownCurrency, match="CLF has 4 decimals"):
        exponent("CLF")


# --- validate ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "currency", "expected"),
    [
        ("10.5", "USD", "10.50"),
        ("10.500", "USD", "10.50"),
        ("10", "USD", "10.00"),
        ("1.000", "JPY", "1"),
        ("1235", "JPY", "1235"),
        ("1.2", "KWD", "1.200"),
        ("-7.1", "USD", "-7.10"),
        ("-0.00", "USD", "0.00"),
    ],
)
def test_it_quantizes_to_exactly_the_currency_exponent(amount, currency, expected):
    valid = validate(Money(amount, currency))
    assert str(valid.amount) == expected
    assert valid.currency.code == currency


def test_it_refuses_a_third_significant_decimal_on_dollars():
    with pytest.raises(TooManyDecimals, match="USD amounts have at most 2 decimals"):
        validate(Money("10.005", "USD"))


def test_it_refuses_cents_on_yen():
    with pytest.raises(TooManyDecimals, match="JPY amounts cannot have decimals"):
        validate(Money("1.5", "JPY"))


def test_it_refuses_a_fourth_decimal_on_dinars():
    with pytest.raises(TooManyDecimals, match="KWD amounts have at most 3 decimals"):
        validate(Money("1.2345", "KWD"))


def test_it_never_rounds_silently_even_below_half_a_cent():
    with pytest.raises(TooManyDecimals):
        validate(Money("0.001", "USD"))


@pytest.mark.parametrize("amount", ["NaN", "Infinity", "-Infinity", "sNaN"])
def test_it_refuses_non_finite_amounts(amount):
    with pytest.raises(MoneyError, match="is not an amount"):
        validate(Money(Decimal(amount), "USD"))


# --- parse -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "currency", "expected"),
    [
        ("12.50", "USD", "12.50"),
        ("12.5", "USD", "12.50"),
        (" 1,234.50 ", "USD", "1234.50"),
        ("1,234,567.89", "USD", "1234567.89"),
        ("0", "USD", "0.00"),
        (".50", "USD", "0.50"),
        ("-5.25", "USD", "-5.25"),
        ("1,235", "JPY", "1235"),
        ("3.250", "KWD", "3.250"),
        (Decimal("10.5"), "USD", "10.50"),
        (7, "JPY", "7"),
    ],
)
def test_it_parses_user_input(value, currency, expected):
    money = parse(value, currency)
    assert str(money.amount) == expected
    assert money.currency.code == currency


@pytest.mark.parametrize(
    "text",
    [
        "",
        "  ",
        "abc",
        "12,50",  # a decimal comma is refused, never read as 1250
        "1,23.4",
        "1234,5",
        "1.2.3",
        "1.",
        "1e3",
        "NaN",
        "Infinity",
        "$12",
        "12 50",
        "+5",
        "--5",
        "\u0661\u0662",  # Arabic-Indic digits
        "12.50 USD",
    ],
)
def test_it_refuses_text_that_is_not_an_amount_with_a_form_friendly_message(text):
    with pytest.raises(MoneyError, match=r"^Enter an amount like 12\.50$"):
        parse(text, "USD")


def test_its_form_message_shows_an_example_in_the_currency_own_decimals():
    with pytest.raises(MoneyError, match=r"^Enter an amount like 12$"):
        parse("twelve", "JPY")


def test_it_refuses_parsed_input_with_too_many_decimals():
    with pytest.raises(TooManyDecimals, match="JPY amounts cannot have decimals"):
        parse("1,234.5", "JPY")


def test_it_refuses_floats_at_the_boundary():
    with pytest.raises(TypeError):
        parse(0.29, "USD")


def test_it_refuses_to_parse_into_an_unknown_currency():
    with pytest.raises(UnknownCurrency):
        parse("1.00", "ZZZ")


# --- minor units -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "currency", "units"),
    [
        ("0", "USD", 0),
        ("0.29", "USD", 29),  # float: int(0.29 * 100) == 28
        ("1.15", "USD", 115),  # float: int(1.15 * 100) == 114
        ("4.35", "USD", 435),
        ("-1.15", "USD", -115),
        ("12.5", "USD", 1250),
        ("99999999999999999999.99", "USD", 9999999999999999999999),
        ("1235", "JPY", 1235),
        ("0", "JPY", 0),
        ("12345678901234.567", "KWD", 12345678901234567),
        ("0.001", "KWD", 1),
    ],
)
def test_it_converts_to_and_from_exact_minor_units(amount, currency, units):
    assert to_minor_units(Money(amount, currency)) == units
    back = from_minor_units(units, currency)
    assert back == Money(amount, currency)
    assert back.amount.as_tuple().exponent == -exponent(currency)


def test_it_refuses_minor_units_for_an_amount_with_too_many_decimals():
    with pytest.raises(TooManyDecimals):
        to_minor_units(Money("10.005", "USD"))


def test_it_refuses_fractional_minor_units():
    with pytest.raises(TypeError):
        from_minor_units(29.0, "USD")


@given(
    units=st.integers(min_value=-(10**18), max_value=10**18), currency=st.sampled_from(CURRENCIES)
)
def test_minor_units_round_trip_exactly(units, currency):
    assert to_minor_units(from_minor_units(units, currency)) == units


@pytest.mark.parametrize(
    ("currency", "expected"), [("JPY", "0"), ("USD", "0.00"), ("KWD", "0.000")]
)
def test_zero_has_the_currency_decimals(currency, expected):
    assert str(zero(currency).amount) == expected


# --- sum_money ---------------------------------------------------------------------------


def test_it_sums_amounts_of_one_currency():
    total = sum_money([Money("0.10", "USD"), Money("0.20", "USD"), Money("0.3", "USD")], "USD")
    assert str(total.amount) == "0.60"


def test_it_sums_huge_amounts_without_decimal_context_rounding():
    huge = Money("9" * 30 + ".99", "USD")
    total = sum_money([huge, Money("0.01", "USD")], "USD")
    assert str(total.amount) == "1" + "0" * 30 + ".00"


def test_an_empty_sum_is_zero_in_the_given_currency():
    assert str(sum_money([], "KWD").amount) == "0.000"


def test_it_refuses_to_sum_mixed_currencies():
    with pytest.raises(CurrencyMismatch, match="Cannot add EUR to a USD total"):
        sum_money([Money("1.00", "USD"), Money("1.00", "EUR")], "USD")


def test_it_refuses_to_sum_amounts_with_too_many_decimals():
    with pytest.raises(TooManyDecimals):
        sum_money([Money("0.005", "USD"), Money("0.005", "USD")], "USD")


# --- format_money ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "currency", "locale", "expected"),
    [
        ("1234.5", "USD", "en_US", "$1,234.50"),
        ("-12.5", "USD", "en_US", "-$12.50"),
        ("-0.00", "USD", "en_US", "$0.00"),
        ("1235", "JPY", "ja_JP", "\uffe51,235"),
        ("1235", "JPY", "en_US", "\xa51,235"),
        ("1234.5", "KWD", "en", "KWD1,234.500"),
        ("12345678901234.567", "KWD", "en_US", "KWD12,345,678,901,234.567"),
        ("1234.5", "EUR", "de_DE", "1.234,50\xa0\u20ac"),
        ("1234.5", "HUF", "hu_HU", "1\xa0234,50\xa0Ft"),
    ],
)
def test_it_formats_for_the_locale_with_exactly_the_currency_decimals(
    amount, currency, locale, expected
):
    assert format_money(Money(amount, currency), locale) == expected


def test_it_formats_dinars_in_arabic_with_three_decimals():
    text = format_money(Money("1234.5", "KWD"), "ar")
    assert "1,234.500" in text
    assert "\u062f.\u0643." in text  # د.ك.


def test_it_formats_in_en_us_by_default():
    assert format_money(Money("0.29", "USD")) == "$0.29"


def test_it_refuses_to_format_an_amount_it_would_have_to_round():
    with pytest.raises(TooManyDecimals):
        format_money(Money("1234.567", "USD"))


def test_it_refuses_to_sum_into_an_unknown_currency():
    with pytest.raises(UnknownCurrency):
        sum_money([], "ZZZ")
