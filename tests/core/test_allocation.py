"""Specs for core.money: the one place money crosses boundaries. No database needed."""

import os
from decimal import Decimal
from fractions import Fraction

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
    TooManyDecimals,
    allocate,
    exponent,
    from_minor_units,
    percent_of,
    prorate,
    sum_money,
    to_minor_units,
    validate,
)

CURRENCIES = ["JPY", "USD", "KWD"]  # one of each exponent: 0, 2, 3
MINOR_UNITS = st.integers(min_value=-(10**12), max_value=10**12)


def units_of(parts: list[Money]) -> list[int]:
    return [to_minor_units(part) for part in parts]


def assert_whole_minor_units(parts: list[Money], currency: str) -> None:
    for part in parts:
        assert part.currency.code == currency
        assert part.amount.as_tuple().exponent == -exponent(currency)


# --- allocate ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "currency", "k", "expected"),
    [
        ("100.00", "USD", 3, ["33.34", "33.33", "33.33"]),
        ("100.01", "USD", 3, ["33.34", "33.34", "33.33"]),
        ("-100.00", "USD", 3, ["-33.34", "-33.33", "-33.33"]),
        ("100", "JPY", 3, ["34", "33", "33"]),
        ("10.000", "KWD", 3, ["3.334", "3.333", "3.333"]),
        ("0.02", "USD", 5, ["0.01", "0.01", "0.00", "0.00", "0.00"]),
        ("5.00", "USD", 1, ["5.00"]),
    ],
)
def test_it_splits_equally_with_the_extra_minor_units_first(amount, currency, k, expected):
    parts = allocate(Money(amount, currency), k)
    assert [str(part.amount) for part in parts] == expected
    assert_whole_minor_units(parts, currency)


@pytest.mark.parametrize(
    ("amount", "currency", "weights", "expected"),
    [
        ("1.00", "USD", [1, 2], ["0.33", "0.67"]),  # leftover cent goes to the larger remainder
        ("1.00", "USD", [0, 1, 1], ["0.00", "0.50", "0.50"]),
        ("0.05", "USD", [Decimal("0.7"), Decimal("0.3")], ["0.04", "0.01"]),
        ("1000", "JPY", [1, 1, 1], ["334", "333", "333"]),
        ("1.000", "KWD", [Decimal("1.5"), 1, Decimal("0.5")], ["0.500", "0.333", "0.167"]),
        ("-1.00", "USD", [1, 2], ["-0.33", "-0.67"]),
    ],
)
def test_it_splits_by_weights_with_the_largest_remainder_method(
    amount, currency, weights, expected
):
    parts = allocate(Money(amount, currency), weights)
    assert [str(part.amount) for part in parts] == expected
    assert sum_money(parts, currency) == Money(amount, currency)


@pytest.mark.parametrize(
    ("parts", "message"),
    [
        (0, "Cannot split into 0 parts"),
        (-1, "Cannot split into -1 parts"),
        ([], "empty or all zero"),
        ([0, Decimal("0.00")], "empty or all zero"),
        ([1, -1], "must not be negative"),
        ([Decimal("NaN")], "must be finite"),
        ([Decimal("Infinity")], "must be finite"),
    ],
)
def test_it_refuses_impossible_splits(parts, message):
    with pytest.raises(ValueError, match=message):
        allocate(Money("1.00", "USD"), parts)


def test_it_refuses_float_weights():
    with pytest.raises(TypeError, match="Weights must be int or Decimal, got float"):
        allocate(Money("1.00", "USD"), [0.5, 0.5])


def test_it_refuses_to_split_an_amount_with_too_many_decimals():
    with pytest.raises(TooManyDecimals):
        allocate(Money("1.005", "USD"), 2)


@given(
    units=MINOR_UNITS,
    k=st.integers(min_value=1, max_value=60),
    currency=st.sampled_from(CURRENCIES),
)
def test_equal_splits_are_exact_whole_and_within_one_minor_unit(units, k, currency):
    money = from_minor_units(units, currency)
    parts = allocate(money, k)
    assert len(parts) == k
    assert_whole_minor_units(parts, currency)
    assert sum_money(parts, currency) == money
    split = units_of(parts)
    assert max(split) - min(split) <= 1
    assert [abs(u) for u in split] == sorted((abs(u) for u in split), reverse=True)


WEIGHT = st.one_of(
    st.integers(min_value=0, max_value=10**6),
    st.decimals(min_value=0, max_value=10**6, places=4, allow_nan=False, allow_infinity=False),
)


@given(
    units=MINOR_UNITS,
    weights=st.lists(WEIGHT, min_size=1, max_size=30).filter(any),
    currency=st.sampled_from(CURRENCIES),
)
def test_weighted_splits_are_exact_whole_and_within_one_minor_unit_of_the_share(
    units, weights, currency
):
    money = from_minor_units(units, currency)
    parts = allocate(money, weights)
    assert len(parts) == len(weights)
    assert_whole_minor_units(parts, currency)
    assert sum_money(parts, currency) == money
    total = sum(Fraction(w) for w in weights)
    for part, weight in zip(units_of(parts), weights, strict=True):
        assert abs(part - Fraction(units) * Fraction(weight) / total) < 1
        if weight == 0:
            assert part == 0


# --- prorate -----------------------------------------------------------------------------


def test_it_prorates_and_the_complement_makes_up_the_rest():
    money = Money("100.00", "USD")
    part = prorate(money, 1, 3)
    assert str(part.amount) == "33.33"
    assert str((money - part).amount) == "66.67"
    assert part + (money - part) == money


@pytest.mark.parametrize(
    ("amount", "currency", "numerator", "denominator", "expected"),
    [
        ("0.05", "USD", 1, 2, "0.02"),  # 2.5 cents: half to even
        ("0.15", "USD", 1, 2, "0.08"),  # 7.5 cents: half to even
        ("-0.05", "USD", 1, 2, "-0.02"),
        ("5", "JPY", 1, 2, "2"),
        ("7", "JPY", 1, 2, "4"),
        ("1.000", "KWD", 2, 3, "0.667"),
        ("30.00", "USD", 0, 30, "0.00"),
        ("30.00", "USD", 30, 30, "30.00"),
    ],
)
def test_it_prorates_rounding_half_to_even_once(amount, currency, numerator, denominator, expected):
    assert str(prorate(Money(amount, currency), numerator, denominator).amount) == expected


@pytest.mark.parametrize("denominator", [0, -3])
def test_it_refuses_a_non_positive_denominator(denominator):
    with pytest.raises(ValueError, match="Denominator must be positive"):
        prorate(Money("1.00", "USD"), 1, denominator)


@given(
    units=MINOR_UNITS,
    currency=st.sampled_from(CURRENCIES),
    data=st.data(),
)
def test_prorate_and_its_complement_always_sum_exactly(units, currency, data):
    denominator = data.draw(st.integers(min_value=1, max_value=366))
    numerator = data.draw(st.integers(min_value=0, max_value=denominator))
    money = from_minor_units(units, currency)
    part = prorate(money, numerator, denominator)
    rest = money - part
    assert_whole_minor_units([part, validate(rest)], currency)
    assert part + rest == money
    assert abs(to_minor_units(part) - Fraction(units * numerator, denominator)) <= Fraction(1, 2)


def test_it_takes_a_percent_with_two_decimals_exactly():
    assert percent_of(Money("100.00", "USD"), Decimal("12.5")) == Money("12.50", "USD")
    assert percent_of(Money("999", "JPY"), Decimal("33.33")) == Money("333", "JPY")
    with pytest.raises(ValueError):
        percent_of(Money("100.00", "USD"), Decimal("0.001"))
