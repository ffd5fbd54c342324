"""Issue #9 sections 1-4: the unused part of a period is what was paid for it, a contact's
credit lives in the ledger, previews are the actions' plans, and a refused action writes
nothing."""

import datetime as dt

import pytest
from djmoney.money import Money

from billing import actions, errors
from billing.actions import SaleLine
from billing.invariants import breaches
from billing.models import Invoice, Journal, Order, Payment
from billing.selectors import amount_due, contact_credits, credit_balance, invoice_total
from billing.tasks import charge_due_orders
from core import clock
from core.models import AuditEvent
from offers.terms import PaymentTerms
from tests.factories import ProductFactory
from tests.helpers import usd

DAY0 = dt.datetime(2027, 3, 1, 9, tzinfo=dt.UTC)


def on(days: int, base: dt.datetime = DAY0):
    return clock.frozen_at(base + dt.timedelta(days=days))


def sell(contact, card, actor, *lines) -> Invoice:
    return actions.charge_sale(contact, lines=list(lines), payment_method=card, actor=actor)


def trial_line(price: str, trial_price: str | None = None, **kw) -> SaleLine:
    terms = PaymentTerms.subscription(
        trial_days=14, trial_price=usd(trial_price) if trial_price else None
    )
    return SaleLine(ProductFactory(price=usd(price)), terms=terms, **kw)


def reprice(order: Order, price: str, actor) -> None:
    # Re-pricing down beyond 20% is above a rep's limit (billing.limits): managers do those.
    actions.change_order_terms(
        order, unit_price=usd(price), effective="now", prorate=True, actor=actor, reason="re-price"
    )


def first_paid_charge(order: Order) -> Money:
    with on(14):
        charge_due_orders()
    return order.invoices.get(period=0).payments.get().amount


# 1. Trials and proration


def test_a_free_trial_repriced_down_charges_the_new_price_first(contact, card, rep, manager):
    with on(0):
        order = Order.objects.get(source_invoice=sell(contact, card, rep, trial_line("50.00")))
    with on(7):
        assert actions.preview_proration(order, unit_price=usd("20.00")) == []
        reprice(order, "20.00", manager)
    assert first_paid_charge(order) == usd("20.00")
    assert contact_credits(contact) == {}
    assert breaches() == []


def test_a_free_trial_repriced_up_charges_nothing_now(contact, card, rep):
    with on(0):
        order = Order.objects.get(source_invoice=sell(contact, card, rep, trial_line("20.00")))
    with on(7):
        reprice(order, "50.00", rep)
    assert Payment.objects.filter(contact=contact).count() == 0
    assert not order.invoices.exists()
    assert first_paid_charge(order) == usd("50.00")


def test_a_paid_trial_repriced_charges_the_new_price_first(contact, card, rep, manager):
    with on(0):
        invoice = sell(contact, card, rep, trial_line("100.00", "5.00"))
        order = Order.objects.get(source_invoice=invoice)
    with on(7):
        reprice(order, "40.00", manager)
    assert first_paid_charge(order) == usd("40.00")
    assert invoice.payments.get().amount_refunded == usd("0")
    assert breaches() == []


def test_cancelling_a_paid_trial_refunds_the_unused_part_of_the_trial_price(contact, card, rep):
    with on(0):
        invoice = sell(contact, card, rep, trial_line("100.00", "10.00"))
        order = Order.objects.get(source_invoice=invoice)
    with on(7):
        plan = actions.plan_cancel(order, at="now", refund_unused=True)
        actions.cancel_order(order, refund_unused=True, actor=rep, reason="not for me")
    assert plan.refunded == usd("5.00")
    assert invoice.payments.get().amount_refunded == usd("5.00")
    assert breaches() == []


def test_a_cancel_refund_never_takes_another_lines_money(contact, card, rep):
    plan_line = SaleLine(
        ProductFactory(price=usd("400.00")),
        terms=PaymentTerms.payment_plan(usd("100.00"), 3),
    )
    with on(0):
        invoice = sell(contact, card, rep, trial_line("49.00", "1.00"), plan_line)
        sub = Order.objects.get(source_invoice=invoice, kind="subscription")
    payment = invoice.payments.get()
    assert payment.amount == usd("101.00")
    with on(7):
        actions.cancel_order(sub, refund_unused=True, actor=rep, reason="changed mind")
    payment.refresh_from_db()
    assert payment.amount_refunded == usd("0.50")
    assert breaches() == []


# 2. Credit is money, so it lives in the ledger

JAN31 = dt.datetime(2028, 1, 31, 9, tzinfo=dt.UTC)


def test_a_downgrades_credit_is_in_the_ledger_and_cancelling_never_destroys_it(
    contact, card, rep, manager
):
    product = ProductFactory(price=usd("100.00"))
    with clock.frozen_at(JAN31):
        invoice = sell(contact, card, rep, SaleLine(product, terms=PaymentTerms.subscription()))
        order = Order.objects.get(source_invoice=invoice)
    with clock.frozen_at(dt.datetime(2028, 2, 10, 9, tzinfo=dt.UTC)):
        reprice(order, "10.00", manager)
    assert credit_balance(contact, "USD") == usd("58.97")
    with clock.frozen_at(dt.datetime(2028, 2, 29, 9, tzinfo=dt.UTC)):
        charge_due_orders()
    renewal = order.invoices.get(period=1)
    assert renewal.status == Invoice.Status.PAID
    assert invoice_total(renewal) == usd("10.00") and not renewal.payments.exists()
    assert credit_balance(contact, "USD") == usd("48.97")
    with clock.frozen_at(dt.datetime(2028, 3, 5, 9, tzinfo=dt.UTC)):
        actions.cancel_order(order, refund_unused=True, actor=rep, reason="leaving")
    # The period credit paid for goes back to credit: 10.00 x 26/31 = 8.39.
    assert credit_balance(contact, "USD") == usd("57.36")
    assert breaches() == []

    with clock.frozen_at(dt.datetime(2028, 3, 6, 9, tzinfo=dt.UTC)):
        refunds = actions.refund_credit(contact, currency="USD", actor=manager, reason="closing")
    assert [r.amount for r in refunds] == [usd("57.36")]
    assert refunds[0].status == "succeeded" and refunds[0].payment == invoice.payments.get()
    assert credit_balance(contact, "USD") == usd("0")
    assert breaches() == []


def test_credit_comes_off_the_next_sale_and_a_void_gives_it_back(
    contact, card, rep, manager, product
):
    with on(0):
        order = Order.objects.get(
            source_invoice=sell(
                contact, card, rep, SaleLine(product, terms=PaymentTerms.subscription())
            )
        )
    with on(15):  # 16 of 31 days left at 100.00 -> 51.61 credit, 25.81 charge
        reprice(order, "50.00", manager)
        assert credit_balance(contact, "USD") == usd("25.80")
        bad = actions.add_card(contact, token="pm_card_chargeDeclined", actor=manager,
                               make_default=False)  # fmt: skip
        sale = sell(contact, bad, rep, SaleLine(ProductFactory(price=usd("30.00"))))
    assert amount_due(sale) == usd("4.20")
    assert credit_balance(contact, "USD") == usd("0")
    with on(16):
        actions.void_invoice(sale, actor=manager, reason="wrong product")
    assert credit_balance(contact, "USD") == usd("25.80")
    assert breaches() == []


def test_refund_credit_needs_credit_and_the_refund_permission(contact, card, rep, outsider):
    with pytest.raises(errors.InvalidAmount):
        actions.refund_credit(contact, currency="USD", actor=rep, reason="x")
    with pytest.raises(errors.NotAllowed):
        actions.refund_credit(contact, currency="USD", actor=outsider, reason="x")


# 3. One plan per action


def test_a_line_discount_on_a_trial_comes_off_the_first_paid_period(contact, card, rep):
    with on(0):
        paid = sell(contact, card, rep, trial_line("49.00", "1.00", discount=usd("5.00")))
        free = sell(contact, card, rep, trial_line("49.00", discount=usd("5.00")))
    assert invoice_total(paid) == usd("1.00") and invoice_total(free) == usd("0")
    for invoice in (paid, free):
        order = Order.objects.get(source_invoice=invoice)
        assert first_paid_charge(order) == usd("44.00")
    assert breaches() == []


def test_the_sale_plan_is_what_the_sale_posts(contact, card, rep):
    lines = [trial_line("49.00", "1.00", discount=usd("5.00")), SaleLine(ProductFactory())]
    specs, _ = actions.plan_sale(lines, clock.today())
    invoice = sell(contact, card, rep, *lines)
    assert [line.amount for line in invoice.lines.all()] == [s.amount for s in specs]


# 4. Every check before the first commit


def test_a_refused_cancel_with_refund_leaves_everything_as_it_was(contact, card, rep):
    product = ProductFactory(price=usd("900.00"))
    with on(0):
        order = Order.objects.get(
            source_invoice=sell(
                contact, card, rep, SaleLine(product, terms=PaymentTerms.subscription())
            )
        )
    audits, journals = AuditEvent.objects.count(), Journal.objects.count()
    with on(3), pytest.raises(errors.AboveRepLimit):
        actions.cancel_order(order, refund_unused=True, actor=rep, reason="too expensive")
    order.refresh_from_db()
    assert order.status == Order.Status.ACTIVE and order.next_charge_on
    assert (AuditEvent.objects.count(), Journal.objects.count()) == (audits, journals)
