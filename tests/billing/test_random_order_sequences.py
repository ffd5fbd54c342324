"""Random lives of open orders under a moving clock: sales (with free and paid trials and line
discounts), renewals, declines, dunning, rep changes, refunds, cancels with refunds, credit and
its refunds. The ledger invariants hold after every step, no period is billed twice, no invoice
totals below zero, and the credit the actions' plans granted is in the ledger."""

import datetime as dt

import pytest
from django.db.models import Count
from django.test import TestCase
from djmoney.money import Money
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from billing import actions
from billing.actions import BillingError, SaleLine
from billing.gateways.sandbox import SandboxGateway
from billing.invariants import breaches
from billing.models import Invoice, Order, Payment
from billing.selectors import credit_balance
from billing.tasks import charge_due_orders, reconcile_pending
from core import clock, money
from dunning.tasks import run_dunning
from offers.terms import PaymentTerms
from tests import factories
from tests.billing.credit_book import CreditBook
from tests.billing.proof import ORDER_EXAMPLES, ResetPerExample, proof_settings

CURRENCIES = ("USD", "JPY", "KWD")
PRICES = {"USD": "49.99", "JPY": "4999", "KWD": "12.345"}
TERMS = st.sampled_from(["monthly", "weekly", "yearly", "trial", "paid_trial", "plan"])


def terms_for(kind: str, currency: str) -> PaymentTerms:
    if kind == "plan":
        return PaymentTerms.payment_plan(money.from_minor_units(1, currency), 4)
    return {
        "monthly": PaymentTerms.subscription(),
        "weekly": PaymentTerms.subscription(unit="week"),
        "yearly": PaymentTerms.subscription(unit="year"),
        "trial": PaymentTerms.subscription(trial_days=10),
        "paid_trial": PaymentTerms.subscription(
            trial_days=14, trial_price=money.from_minor_units(100, currency)
        ),
    }[kind]


class OrderBooks(ResetPerExample, RuleBasedStateMachine):
    @initialize()
    def cast(self):
        self.now = dt.datetime(2027, 1, 31, 9, tzinfo=dt.UTC)
        self.manager = factories.manager()
        self.orders: list[int] = []
        self.customers = {}
        self.credit = CreditBook()
        for currency in CURRENCIES:
            contact = factories.ContactFactory(currency=currency)
            with self.at():
                card = actions.add_card(contact, token="pm_card_visa", actor=self.manager)
            product = factories.ProductFactory(price=Money(PRICES[currency], currency))
            self.customers[currency] = (contact, card, product)

    def at(self):
        return clock.frozen_at(self.now)

    def act(self, fn, *args, **kwargs):
        with self.at(), TestCase.captureOnCommitCallbacks(execute=True):
            try:
                return fn(*args, **kwargs)
            except BillingError:
                return None

    def pick(self, data) -> Order | None:
        if not self.orders:
            return None
        return Order.objects.get(
            pk=self.orders[data.draw(st.integers(0, 10**6)) % len(self.orders)]
        )

    @rule(
        currency=st.sampled_from(CURRENCIES),
        kind=TERMS,
        quantity=st.integers(1, 3),
        discount=st.sampled_from([0, 1, 500]),
    )
    def sell(self, currency, kind, quantity, discount):
        contact, card, product = self.customers[currency]
        off = money.from_minor_units(discount, currency) if discount else None
        line = SaleLine(product, quantity=quantity, discount=off, terms=terms_for(kind, currency))
        invoice = self.act(actions.charge_sale, contact, lines=[line], payment_method=card,
                           actor=self.manager)  # fmt: skip
        if invoice is not None:
            self.orders += Order.objects.filter(source_invoice=invoice).values_list("pk", flat=True)

    @rule(days=st.integers(1, 45))
    def time_passes(self, days):
        for _ in range(days):
            self.now += dt.timedelta(days=1)
            self.act(charge_due_orders)
            self.act(run_dunning)
        self.act(reconcile_pending)

    @rule()
    def a_month_passes(self):
        self.time_passes(31)

    @rule(currency=st.sampled_from(CURRENCIES), declining=st.booleans())
    def card_changes_behaviour(self, currency, declining):
        _, card, _ = self.customers[currency]
        SandboxGateway().set_card_behaviour(
            card.token, "pm_card_chargeDeclined" if declining else "pm_card_visa"
        )

    @rule(data=st.data(), days=st.integers(1, 60))
    def pause_and_maybe_resume_later(self, data, days):
        order = self.pick(data)
        if order:
            self.act(actions.pause_order, order, resume_on=(self.now + dt.timedelta(days)).date(),
                     actor=self.manager, reason="pause")  # fmt: skip

    @rule(data=st.data())
    def resume(self, data):
        order = self.pick(data)
        if order:
            self.act(actions.resume_order, order, actor=self.manager)

    @rule(data=st.data(), now=st.booleans(), refund=st.booleans())
    def cancel(self, data, now, refund):
        order = self.pick(data)
        if order:
            with self.at():
                back = self.credit.cancel_credit(order) if now and refund else None
            done = self.act(actions.cancel_order, order, at="now" if now else "end_of_term",
                            refund_unused=refund, actor=self.manager, reason="cancel")  # fmt: skip
            if done and back:
                self.credit.grant(order.contact_id, back)

    @rule(data=st.data())
    def cancel_now_with_refund(self, data):
        self.cancel(data, now=True, refund=True)

    @rule(currency=st.sampled_from(CURRENCIES), half=st.booleans())
    def refund_credit(self, currency, half):
        contact, _, _ = self.customers[currency]
        credit = credit_balance(contact, currency)
        if credit.amount > 0:
            amount = money.allocate(credit, 2)[0] if half else None
            self.act(actions.refund_credit, contact, currency=currency, amount=amount,
                     actor=self.manager, reason="pay back credit")  # fmt: skip

    @rule(data=st.data(), factor=st.sampled_from([0.5, 2, 3]), now=st.booleans())
    def reprice(self, data, factor, now):
        order = self.pick(data)
        if order:
            minor = max(1, int(money.to_minor_units(order.unit_price) * factor))
            price = money.from_minor_units(minor, order.currency)
            with self.at():
                credit = self.credit.downgrade_credit(order, price) if now else None
            done = self.act(actions.change_order_terms, order, unit_price=price,
                            effective="now" if now else "next_charge", prorate=now,
                            actor=self.manager, reason="reprice")  # fmt: skip
            if done and credit:
                self.credit.grant(order.contact_id, credit)

    @rule(data=st.data(), days=st.integers(0, 20))
    def reschedule(self, data, days):
        order = self.pick(data)
        if order:
            self.act(actions.reschedule_order, order,
                     next_charge_on=(self.now + dt.timedelta(days)).date(),
                     actor=self.manager, reason="move")  # fmt: skip

    @rule(data=st.data())
    def discount_next_charges(self, data):
        order = self.pick(data)
        if order:
            self.act(actions.discount_order, order, percent=10, charges=2, actor=self.manager,
                     reason="goodwill")  # fmt: skip

    @rule(data=st.data())
    def settle_an_open_invoice(self, data):
        open_ = list(Invoice.objects.filter(order__in=self.orders, status="open").order_by("pk"))
        if open_:
            invoice = open_[data.draw(st.integers(0, 10**6)) % len(open_)]
            self.act(actions.mark_invoice_paid, invoice, method="bank_transfer",
                     actor=self.manager, reason="wire")  # fmt: skip

    @rule(data=st.data())
    def refund_a_payment(self, data):
        paid = list(Payment.objects.filter(status="succeeded", method="card").order_by("pk"))
        if paid:
            payment = paid[data.draw(st.integers(0, 10**6)) % len(paid)]
            if payment.refundable.amount > 0:
                self.act(actions.refund_payment, payment,
                         amount=money.allocate(payment.refundable, 2)[0], actor=self.manager,
                         reason="partial")  # fmt: skip

    @invariant()
    def books_hold(self):
        if not hasattr(self, "orders"):
            return
        assert breaches(include_card_scan=False) == []
        contacts = [contact.pk for contact, _, _ in self.customers.values()]
        assert self.credit.breaches(contacts) == []
        twice = (
            Invoice.objects.exclude(period=None)
            .values("order", "period")
            .annotate(n=Count("pk"))
            .filter(n__gt=1)
        )
        assert not twice.exists()


@pytest.mark.long
@pytest.mark.django_db
def test_random_lives_of_open_orders_keep_the_books(_roles):
    OrderBooks.TestCase.settings = proof_settings(steps=6, examples=ORDER_EXAMPLES)
    OrderBooks.TestCase().runTest()
