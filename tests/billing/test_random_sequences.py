"""Random sequences of rep actions in USD, JPY and KWD, with trials, credits and cancels with
refunds among them; the ledger invariants hold after every step, no invoice totals below zero,
and the credit the actions' plans granted is in the ledger (hypothesis stateful testing)."""

import pytest
from djmoney.money import Money
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from billing import actions
from billing.actions import BillingError, SaleLine
from billing.invariants import breaches
from billing.models import Invoice, Order, Payment
from billing.selectors import amount_due, credit_balance
from core import money
from offers.terms import PaymentTerms
from tests import factories
from tests.billing.credit_book import CreditBook
from tests.billing.proof import ResetPerExample, proof_settings

CURRENCIES = ("USD", "JPY", "KWD")
fractions = st.sampled_from([1, 2, 3, 7, 10])


class Books(ResetPerExample, RuleBasedStateMachine):
    @initialize()
    def cast(self):
        self.manager = factories.manager()
        self.contacts = {}
        self.invoices: list[int] = []
        self.orders: list[int] = []
        self.credit = CreditBook()
        for currency in CURRENCIES:
            contact = factories.ContactFactory(currency=currency)
            good = actions.add_card(contact, token="pm_card_visa", actor=self.manager)
            bad = actions.add_card(
                contact, token="pm_card_chargeDeclined", actor=self.manager, make_default=False
            )
            product = factories.ProductFactory(price=Money(0, currency))
            self.contacts[currency] = (contact, good, bad, product)

    # Draw an index, not a row: examples share the database, so the rows on offer differ
    # between runs while the draws must not. Only this example's invoices are picked.
    def _invoice(self, data) -> Invoice | None:
        pick = data.draw(st.integers(0, 10**6))
        return (
            Invoice.objects.get(pk=self.invoices[pick % len(self.invoices)])
            if self.invoices
            else None
        )

    def _payment(self, data) -> Payment | None:
        pick = data.draw(st.integers(0, 10**6))
        ids = list(
            Payment.objects.filter(status="succeeded", invoice__in=self.invoices)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        return Payment.objects.get(pk=ids[pick % len(ids)]) if ids else None

    def _track(self, invoice: Invoice | None) -> None:
        if invoice is not None:
            self.invoices.append(invoice.pk)

    def _part(self, whole: Money, parts: int) -> Money:
        return money.allocate(whole, parts)[0]

    def _act(self, fn, *args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except BillingError:
            return None  # a refusal is a valid outcome; the invariants still must hold

    @rule(
        currency=st.sampled_from(CURRENCIES),
        units=st.integers(1, 10**6),
        quantity=st.integers(1, 3),
        declined=st.booleans(),
        discount_parts=st.sampled_from([0, 3, 10]),
    )
    def sell(self, currency, units, quantity, declined, discount_parts):
        contact, good, bad, product = self.contacts[currency]
        price = money.from_minor_units(units, currency)
        discount = self._part(price, discount_parts) if discount_parts else None
        line = SaleLine(product, quantity=quantity, unit_price=price, discount=discount)
        card = bad if declined else good
        self._act(
            actions.charge_sale, contact, lines=[line], payment_method=card, actor=self.manager
        )

    @rule(
        currency=st.sampled_from(CURRENCIES),
        units=st.integers(2, 10**6),
        trial=st.sampled_from([None, 0, 1]),
        discount_parts=st.sampled_from([0, 2, 10]),
    )
    def subscribe(self, currency, units, trial, discount_parts):
        """A subscription, on a free or paid trial or none, maybe with a line discount."""
        contact, good, _, product = self.contacts[currency]
        price = money.from_minor_units(units, currency)
        terms = PaymentTerms.subscription(
            trial_days=14 if trial is not None else 0,
            trial_price=money.from_minor_units(trial, currency) if trial else None,
        )
        discount = self._part(price, discount_parts) if discount_parts else None
        line = SaleLine(product, unit_price=price, discount=discount, terms=terms)
        invoice = self._act(
            actions.charge_sale, contact, lines=[line], payment_method=good, actor=self.manager
        )
        self._track(invoice)
        if invoice is not None:
            self.orders += Order.objects.filter(source_invoice=invoice).values_list("pk", flat=True)

    def _order(self, data) -> Order | None:
        pick = data.draw(st.integers(0, 10**6))
        return Order.objects.get(pk=self.orders[pick % len(self.orders)]) if self.orders else None

    @rule(data=st.data())
    def downgrade_now(self, data):
        order = self._order(data)
        if order:
            price = self._part(order.unit_price, 3)
            credit = self.credit.downgrade_credit(order, price)
            done = self._act(actions.change_order_terms, order, unit_price=price,
                             effective="now", prorate=True, actor=self.manager,
                             reason="downgrade")  # fmt: skip
            if done and credit:
                self.credit.grant(order.contact_id, credit)

    @rule(data=st.data())
    def cancel_now_with_refund(self, data):
        order = self._order(data)
        if order:
            back = self.credit.cancel_credit(order)
            done = self._act(actions.cancel_order, order, refund_unused=True, actor=self.manager,
                             reason="cancel")  # fmt: skip
            if done and back:
                self.credit.grant(order.contact_id, back)

    @rule(currency=st.sampled_from(CURRENCIES), parts=fractions)
    def refund_credit(self, currency, parts):
        contact = self.contacts[currency][0]
        credit = credit_balance(contact, currency)
        if credit.amount > 0:
            self._act(actions.refund_credit, contact, currency=currency,
                      amount=self._part(credit, parts), actor=self.manager,
                      reason="pay back")  # fmt: skip

    @rule(currency=st.sampled_from(CURRENCIES), units=st.integers(1, 10**6))
    def record(self, currency, units):
        contact, _, _, product = self.contacts[currency]
        line = SaleLine(product, unit_price=money.from_minor_units(units, currency))
        self._track(
            self._act(
                actions.record_sale, contact, lines=[line], reference="X-1", actor=self.manager
            )
        )

    @rule(data=st.data(), parts=fractions)
    def mark_paid(self, data, parts):
        invoice = self._invoice(data)
        if invoice:
            due = amount_due(invoice)
            amount = self._part(due, parts) if due.amount > 0 else None
            self._act(actions.mark_invoice_paid, invoice, amount=amount, method="cash",
                      actor=self.manager, reason="paid at desk")  # fmt: skip

    @rule(data=st.data(), parts=fractions)
    def discount(self, data, parts):
        invoice = self._invoice(data)
        if invoice:
            due = amount_due(invoice)
            if due.amount > 0:
                self._act(actions.discount_invoice, invoice, amount=self._part(due, parts),
                          actor=self.manager, reason="goodwill")  # fmt: skip

    @rule(data=st.data(), parts=fractions, outside=st.booleans())
    def refund(self, data, parts, outside):
        payment = self._payment(data)
        if payment and payment.refundable.amount > 0:
            settle = "outside" if outside or payment.method != "card" else "gateway"
            self._act(actions.refund_payment, payment, amount=self._part(payment.refundable, parts),
                      settle=settle, actor=self.manager, reason="returned")  # fmt: skip

    @rule(data=st.data())
    def retry(self, data):
        invoice = self._invoice(data)
        if invoice:
            _, good, _, _ = self.contacts[invoice.currency]
            self._act(actions.retry_invoice, invoice, payment_method=good, actor=self.manager)

    @rule(data=st.data())
    def void(self, data):
        invoice = self._invoice(data)
        if invoice:
            self._act(actions.void_invoice, invoice, actor=self.manager, reason="mistake")

    @rule(data=st.data())
    def write_off(self, data):
        invoice = self._invoice(data)
        if invoice:
            self._act(actions.write_off_invoice, invoice, actor=self.manager, reason="lost")

    @rule(data=st.data())
    def reverse_write_off(self, data):
        invoice = self._invoice(data)
        if invoice:
            self._act(actions.reverse_write_off, invoice, actor=self.manager, reason="found")

    @rule(data=st.data(), units=st.integers(1, 10**6))
    def replace(self, data, units):
        invoice = self._invoice(data)
        if invoice:
            _, _, _, product = self.contacts[invoice.currency]
            line = SaleLine(product, unit_price=money.from_minor_units(units, invoice.currency))
            self._track(
                self._act(
                    actions.replace_voided_invoice,
                    invoice,
                    lines=[line],
                    actor=self.manager,
                    reason="corrected",
                )  # fmt: skip
            )

    @invariant()
    def books_hold(self):
        if hasattr(self, "contacts"):
            assert breaches(include_card_scan=False) == []
            contacts = [contact.pk for contact, _, _, _ in self.contacts.values()]
            assert self.credit.breaches(contacts) == []


@pytest.mark.long
@pytest.mark.django_db
def test_random_sequences_of_actions_keep_the_books(_roles):
    Books.TestCase.settings = proof_settings(steps=8)
    Books.TestCase().runTest()
