"""Thirteen months of open orders under a moving clock. Every charge must equal a schedule this
test computes on its own from the terms (dateutil's month arithmetic, its own allocation)."""

import datetime as dt
from collections import defaultdict
from decimal import Decimal

import pytest
from dateutil.relativedelta import relativedelta
from djmoney.money import Money

from billing import actions
from billing.actions import SaleLine
from billing.invariants import breaches
from billing.models import Order, Payment
from billing.tasks import charge_due_orders
from core import clock
from offers.terms import PaymentTerms
from tests import factories

START = dt.date(2027, 1, 31)
END = START + relativedelta(months=13)


def at(day: dt.date):
    return clock.frozen_at(dt.datetime.combine(day, dt.time(9), tzinfo=dt.UTC))


def step(anchor: dt.date, unit: str, k: int) -> dt.date:
    return anchor + {"month": relativedelta(months=k), "year": relativedelta(years=k),
                     "week": relativedelta(weeks=k), "day": relativedelta(days=k)}[unit]  # fmt: skip


def series(anchor: dt.date, unit: str, first: int, until: dt.date, stop: dt.date | None = None):
    k = first
    while (d := step(anchor, unit, k)) <= until and (stop is None or d < stop):
        yield d
        k += 1


def split(total_minor: int, parts: int) -> list[int]:
    base, extra = divmod(total_minor, parts)
    return [base + (1 if i < extra else 0) for i in range(parts)]


@pytest.mark.long
@pytest.mark.django_db
def test_thirteen_months_of_mixed_orders_charge_exactly_the_expected_schedule(manager):
    expected: dict[int, list[tuple[dt.date, Decimal]]] = defaultdict(list)
    later: list = []  # (day, callable) rep actions during the run
    day10, day40, day45, day50, day100 = (START + dt.timedelta(d) for d in (10, 40, 45, 50, 100))

    with at(START):
        cur = {}
        for code, price in (("USD", "49.99"), ("JPY", "12345"), ("KWD", "10.005")):
            product = factories.ProductFactory(price=Money(price, code))
            cur[code] = product

        def sell(code: str, terms: PaymentTerms, price: str | None = None) -> Order:
            contact = factories.ContactFactory(currency=code)
            card = actions.add_card(contact, token="pm_card_visa", actor=manager)
            unit = Money(price, code) if price else None
            invoice = actions.charge_sale(
                contact, lines=[SaleLine(cur[code], unit_price=unit, terms=terms)],
                payment_method=card, actor=manager,
            )  # fmt: skip
            return Order.objects.get(source_invoice=invoice)

        for _ in range(40):  # monthly, month-end anchor
            o = sell("USD", PaymentTerms.subscription())
            expected[o.pk] += [(d, Decimal("49.99")) for d in series(START, "month", 0, END)]
        for _ in range(20):  # yearly in KWD
            o = sell("KWD", PaymentTerms.subscription(unit="year"))
            expected[o.pk] += [(d, Decimal("10.005")) for d in series(START, "year", 0, END)]
        for _ in range(10):  # every 2 weeks in JPY
            o = sell("JPY", PaymentTerms.subscription(every=2, unit="week"))
            expected[o.pk] += [
                (START + dt.timedelta(weeks=2 * k), Decimal(12345))
                for k in range(0, 100) if START + dt.timedelta(weeks=2 * k) <= END
            ]  # fmt: skip
        for _ in range(30):  # 14-day trial, free, then monthly
            o = sell("USD", PaymentTerms.subscription(trial_days=14))
            anchor = START + dt.timedelta(days=14)
            expected[o.pk] += [(d, Decimal("49.99")) for d in series(anchor, "month", 0, END)]
        for i in range(25):  # JPY plan: 2,000 now, the rest in 3 to 7 uneven installments
            k = 3 + i % 5
            o = sell("JPY", PaymentTerms.payment_plan(Money(2000, "JPY"), k), price="10001")
            parts = split(10001 - 2000, k)
            expected[o.pk] += [(START, Decimal(2000))] + [
                (step(START, "month", n + 1), Decimal(p)) for n, p in enumerate(parts)
            ]
        for i in range(25):  # KWD plan, 3 decimals, every 2 weeks
            k = 2 + i % 4
            o = sell("KWD", PaymentTerms.payment_plan(Money("1.001", "KWD"), k, unit="week",
                                                      every=2), price="10.000")  # fmt: skip
            parts = split(10000 - 1001, k)
            expected[o.pk] += [(START, Decimal("1.001"))] + [
                (START + dt.timedelta(weeks=2 * (n + 1)), Decimal(p) / 1000)
                for n, p in enumerate(parts)
            ]
        for _ in range(15):  # paused on day 40 until day 100
            o = sell("USD", PaymentTerms.subscription())
            expected[o.pk] += [(d, Decimal("49.99")) for d in series(START, "month", 0, day40)]
            expected[o.pk] += [(d, Decimal("49.99")) for d in series(day100, "month", 0, END)]
            later.append((day40, lambda o=o: actions.pause_order(
                o, resume_on=day100, actor=manager, reason="travelling")))  # fmt: skip
        for _ in range(15):  # next charge moved on day 10 to day 45, anchor and all
            o = sell("USD", PaymentTerms.subscription())
            expected[o.pk] += [(START, Decimal("49.99"))]
            expected[o.pk] += [(d, Decimal("49.99")) for d in series(day45, "month", 0, END)]
            later.append((day10, lambda o=o: actions.reschedule_order(
                o, next_charge_on=day45, actor=manager, reason="payday")))  # fmt: skip
        for _ in range(10):  # re-priced on day 45 from the next charge
            o = sell("USD", PaymentTerms.subscription())
            for d in series(START, "month", 0, END):
                expected[o.pk].append((d, Decimal("49.99") if d <= day45 else Decimal("39.00")))
            later.append((day45, lambda o=o: actions.change_order_terms(
                o, unit_price=Money("39.00", "USD"), actor=manager, reason="downgrade")))  # fmt: skip
        for _ in range(10):  # cancelled on day 50 at the end of the term
            o = sell("USD", PaymentTerms.subscription())
            expected[o.pk] += [(d, Decimal("49.99")) for d in series(START, "month", 0, day50)]
            later.append((day50, lambda o=o: actions.cancel_order(
                o, at="end_of_term", actor=manager, reason="moving on")))  # fmt: skip

    assert len(expected) == 200
    day = START
    while day <= END:
        with at(day):
            for when, act in later:
                if when == day:
                    act()
            charge_due_orders()
        day += dt.timedelta(days=1)

    charged: dict[int, list] = defaultdict(list)
    payments = Payment.objects.filter(method="card").select_related("invoice")
    for p in payments.order_by("created_at", "pk"):
        order_id = p.invoice.order_id or Order.objects.get(source_invoice=p.invoice_id).pk
        assert p.status == Payment.Status.SUCCEEDED
        charged[order_id].append((p.created_at.date(), p.amount.amount))
    mismatched = {pk: (charged[pk], want) for pk, want in expected.items() if charged[pk] != want}
    assert mismatched == {}
    statuses = set(Order.objects.filter(kind="payment_plan").values_list("status", flat=True))
    assert statuses == {Order.Status.COMPLETED}
    assert breaches(include_card_scan=False) == []
