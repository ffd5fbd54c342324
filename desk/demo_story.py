"""The demo's year as a story: which contacts, and which rep actions fall on which day.

desk.demo_year lives it day by day, with the sweeps between the days. Every action carries an
idempotency key (KEY), so a second run after a crash replays the finished days without doing
them twice.
"""

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth.models import User
from djmoney.money import Money

from billing.actions import (
    SaleLine,
    add_card,
    approve_commission,
    cancel_order,
    charge_sale,
    discount_invoice,
    discount_order,
    pause_order,
    pay_commission,
    record_sale,
    refund_payment,
    set_order_card,
    write_off_invoice,
)
from billing.models import Commission, Invoice, Order, Payment
from billing.tasks import recompute_commissions
from contacts.models import Contact
from core import clock
from core.models import IdempotencyKey
from offers.models import Offer, Product
from offers.terms import PaymentTerms

KEY = "seed_demo:{}"


@dataclass
class Cast:
    contacts: dict[str, Contact]
    products: dict[str, Product]
    offers: dict[str, Offer]
    manager: User
    rep: User

    def c(self, first_name: str) -> Contact:
        return next(c for c in self.contacts.values() if c.first_name == first_name)


def _sale(name: str) -> Invoice:
    """The invoice an earlier day's keyed sale made."""
    return IdempotencyKey.objects.get(key=KEY.format(name)).result


def _order(name: str) -> Order:
    return Order.objects.get(source_invoice=_sale(name))


def _monthly(cast: Cast, sku: str, price: Money, trial_days: int = 0) -> SaleLine:
    terms = PaymentTerms.subscription(trial_days=trial_days)
    return SaleLine(cast.products[sku], unit_price=price, terms=terms)


def story(cast: Cast) -> dict[int, list[tuple[str, Callable[[], object]]]]:
    """Day (0 is a year ago) -> that day's rep actions, each named by its idempotency key."""
    rep, manager = cast.rep, cast.manager
    p = cast.products

    def charge(name, contact, lines, actor=None, **kw):
        key = KEY.format(name)
        # A price typed below the stored one is a discount a rep may give only up to 20%:
        # the story's local and monthly prices are a manager's.
        typed = any(line.unit_price is not None for line in lines)
        actor = actor or (manager if typed else rep)
        return lambda: charge_sale(
            cast.c(contact),
            lines=lines,
            payment_method=None,
            actor=actor,
            idempotency_key=key,
            **kw,
        )

    def card(name, contact, token):
        key = KEY.format(name)
        return lambda: add_card(cast.c(contact), token=token, actor=manager, idempotency_key=key)

    def commissions_paid():
        # The commission task runs on the cluster in `make run`; its body is run here so the
        # partner's commissions exist to approve and pay on this day.
        for payment in Payment.objects.filter(
            contact=cast.c("Grace"), status=Payment.Status.SUCCEEDED
        ):
            recompute_commissions(payment.invoice_id, payment.pk)
        for commission in Commission.objects.filter(status=Commission.Status.PENDING):
            approve_commission(commission, actor=manager)
        for commission in Commission.objects.filter(status=Commission.Status.APPROVED):
            pay_commission(
                commission,
                actor=manager,
                reference="Payout batch 1",
                idempotency_key=KEY.format(f"payout-{commission.pk}"),
            )

    return {
        3: [("ada-course", charge("ada-course", "Ada", [SaleLine(p["COURSE-COPY"])]))],
        6: [
            (
                "ada-refund",
                lambda: refund_payment(
                    _sale("ada-course").payments.get(status=Payment.Status.SUCCEEDED),
                    amount=Money("47.00", "USD"),
                    actor=manager,
                    reason="Goodwill credit: the download link arrived two days late",
                    idempotency_key=KEY.format("ada-refund"),
                ),
            )
        ],
        10: [
            (
                "grace-bundle",
                charge(
                    "grace-bundle",
                    "Grace",
                    cast.offers["Starter bundle"].lines_for_sale(),
                    actor=rep,
                    reason="Bundle price agreed on the discovery call",
                ),
            )
        ],
        14: [
            (
                "emilie-membership",
                charge(
                    "emilie-membership",
                    "Émilie",
                    cast.offers["Inner Circle (EU)"].lines_for_sale(),
                    actor=manager,
                ),
            )
        ],
        18: [
            (
                "hiroshi-course",
                charge(
                    "hiroshi-course",
                    "Hiroshi",
                    cast.offers["Copywriting course (Japan)"].lines_for_sale(),
                    actor=rep,
                ),
            )
        ],
        21: [
            (
                "lise-coaching",
                lambda: record_sale(
                    cast.c("Lise"),
                    lines=[SaleLine(p["COACH-60"], unit_price=Money("140.00", "EUR"))],
                    method=Payment.Method.OTHER_SYSTEM,
                    reference="PAYPAL-8TX41752",
                    paid_at=clock.now() - dt.timedelta(days=3),
                    actor=manager,
                    reason="Paid through PayPal before the move to Paydesk",
                    idempotency_key=KEY.format("lise-coaching"),
                ),
            )
        ],
        25: [
            (
                "alan-tickets",
                lambda: record_sale(
                    cast.c("Alan"),
                    lines=[SaleLine(p["EVENT-TICKET"], quantity=2)],
                    method=Payment.Method.EVENT,
                    event_name="Growth Summit",
                    reference="Badge 0042",
                    actor=rep,
                    idempotency_key=KEY.format("alan-tickets"),
                ),
            )
        ],
        # A declined card leaves the invoice open, with what is due on the contact's balance.
        30: [
            (
                "katherine-coaching",
                charge("katherine-coaching", "Katherine", [SaleLine(p["COACH-60"])]),
            )
        ],
        33: [
            (
                "katherine-discount",
                lambda: discount_invoice(
                    _sale("katherine-coaching"),
                    percent=Decimal("10"),
                    actor=rep,
                    reason="Goodwill after the declined card",
                    idempotency_key=KEY.format("katherine-discount"),
                ),
            )
        ],
        40: [("grace-commissions", commissions_paid)],
        45: [
            (
                "ada-subscription",
                charge(
                    "ada-subscription",
                    "Ada",
                    [_monthly(cast, "MEMBER-YEAR", Money("49.00", "USD"), trial_days=14)],
                ),
            )
        ],
        60: [
            (
                "hiroshi-subscription",
                charge(
                    "hiroshi-subscription",
                    "Hiroshi",
                    [_monthly(cast, "MEMBER-YEAR", Money("4980", "JPY"))],
                ),
            )
        ],
        75: [
            (
                "emilie-subscription",
                charge(
                    "emilie-subscription",
                    "Émilie",
                    [_monthly(cast, "MEMBER-YEAR", Money("39.00", "EUR"))],
                    actor=manager,
                ),
            )
        ],
        90: [
            (
                "grace-plan",
                charge(
                    "grace-plan",
                    "Grace",
                    [
                        SaleLine(
                            p["COURSE-COPY"],
                            unit_price=Money("297.00", "USD"),
                            terms=PaymentTerms.payment_plan(Money("99.00", "USD"), installments=3),
                        )
                    ],
                ),
            )
        ],
        # Declined (insufficient funds): a collections case, recovered by a new card.
        100: [
            (
                "katherine-subscription",
                charge(
                    "katherine-subscription",
                    "Katherine",
                    [_monthly(cast, "COACH-60", Money("150.00", "USD"))],
                ),
            )
        ],
        # The new card goes on the order and its unpaid invoice is charged at once: recovered.
        107: [
            ("katherine-new-card", card("katherine-new-card", "Katherine", "pm_card_visa")),
            (
                "katherine-order-card",
                lambda: set_order_card(
                    _order("katherine-subscription"),
                    payment_method=cast.c("Katherine").payment_methods.get(
                        active=True, is_default=True
                    ),
                    actor=rep,
                    idempotency_key=KEY.format("katherine-order-card"),
                ),
            ),
        ],
        # Declined for good: the case runs its 90 days and the invoice is written off.
        120: [
            (
                "yuki-subscription",
                charge(
                    "yuki-subscription",
                    "Yuki",
                    [_monthly(cast, "COACH-60", Money("9800", "JPY"))],
                    actor=manager,
                ),
            )
        ],
        130: [
            (
                "ada-order-discount",
                lambda: discount_order(
                    _order("ada-subscription"),
                    percent=Decimal("20"),
                    charges=2,
                    actor=rep,
                    reason="Two months at 20% off after the outage",
                    idempotency_key=KEY.format("ada-order-discount"),
                ),
            )
        ],
        140: [("grace-commissions-2", commissions_paid)],
        200: [
            (
                "hiroshi-pause",
                lambda: pause_order(
                    _order("hiroshi-subscription"),
                    actor=rep,
                    reason="Travelling for a few months; will call to resume",
                    idempotency_key=KEY.format("hiroshi-pause"),
                ),
            )
        ],
        250: [
            (
                "emilie-cancel",
                lambda: cancel_order(
                    _order("emilie-subscription"),
                    actor=manager,
                    reason="Moving to the yearly membership instead",
                    idempotency_key=KEY.format("emilie-cancel"),
                ),
            )
        ],
        300: [
            (
                "yuki-coaching",
                charge(
                    "yuki-coaching",
                    "Yuki",
                    [SaleLine(p["COACH-60"], unit_price=Money("15000", "JPY"))],
                    actor=manager,
                ),
            )
        ],
        305: [
            (
                "yuki-write-off",
                lambda: write_off_invoice(
                    _sale("yuki-coaching"),
                    actor=manager,
                    reason="Card declined and the customer cannot be reached",
                    idempotency_key=KEY.format("yuki-write-off"),
                ),
            )
        ],
        # Still being collected when the year ends.
        352: [
            (
                "olivia-subscription",
                charge(
                    "olivia-subscription",
                    "Olivia",
                    [_monthly(cast, "COACH-60", Money("120.00", "GBP"))],
                ),
            )
        ],
    }
