import datetime as dt
import threading

import pytest
from django.db import connection
from djmoney.money import Money

from billing import actions, errors
from billing.actions import SaleLine
from billing.invariants import breaches
from billing.models import Invoice, Order, Payment, SandboxTransaction
from billing.selectors import credit_balance
from billing.tasks import charge_due_orders
from core import clock, money
from offers.terms import PaymentTerms
from tests.helpers import usd

JAN31 = dt.datetime(2027, 1, 31, 9, tzinfo=dt.UTC)


def monthly(contact, card, product, actor) -> Order:
    invoice = actions.charge_sale(
        contact, lines=[SaleLine(product, terms=PaymentTerms.subscription())],
        payment_method=card, actor=actor,
    )  # fmt: skip
    return Order.objects.get(source_invoice=invoice)


def test_a_plan_sale_charges_the_initial_amount_and_splits_the_rest_exactly(contact, card, rep):
    from tests.factories import ProductFactory

    product = ProductFactory(price=usd("1000.00"))
    terms = PaymentTerms.payment_plan(usd("100.00"), 7)
    invoice = actions.charge_sale(
        contact, lines=[SaleLine(product, terms=terms)], payment_method=card, actor=rep
    )
    order = Order.objects.get(source_invoice=invoice)
    assert invoice.payments.get().amount == usd("100.00")
    parts = [money.from_minor_units(p, "USD") for p in order.installments]
    assert sum(p.amount for p in parts) == 900
    assert parts[0] == usd("128.58") and parts[-1] == usd("128.57")
    assert order.remaining_installments == 7


def test_charge_due_orders_twice_charges_each_period_once(contact, card, product, rep):
    with clock.frozen_at(JAN31):
        order = monthly(contact, card, product, rep)
    with clock.frozen_at(JAN31 + dt.timedelta(days=30)):
        first = charge_due_orders()
        second = charge_due_orders()
    assert first == {"billed": 1, "charged": 1}
    assert second == {"billed": 0, "charged": 0}
    order.refresh_from_db()
    assert order.next_charge_on == dt.date(2027, 3, 31)
    keys = list(Payment.objects.values_list("idempotency_key", flat=True).order_by("pk"))
    assert keys[-1] == f"order:{order.pk}:period:1"


@pytest.mark.django_db(transaction=True)
def test_two_runners_at_once_charge_each_period_once(contact, card, product, rep):
    with clock.frozen_at(JAN31):
        for _ in range(30):
            monthly(contact, card, product, rep)
    barrier = threading.Barrier(2)
    results = []

    def run():
        barrier.wait()
        try:
            with clock.frozen_at(JAN31 + dt.timedelta(days=62)):
                results.append(charge_due_orders())
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert sum(r["charged"] for r in results) == 60  # 30 orders x periods 1 and 2
    assert SandboxTransaction.objects.count() == 30 + 60
    assert Invoice.objects.filter(period__isnull=False).count() == 60
    assert breaches(include_card_scan=False) == []


def test_a_declined_renewal_makes_the_order_past_due_and_leaves_the_invoice_open(
    contact, card, product, rep
):
    from billing.gateways.sandbox import SandboxGateway

    with clock.frozen_at(JAN31):
        order = monthly(contact, card, product, rep)
    SandboxGateway().set_card_behaviour(card.token, "pm_card_chargeDeclined")
    with clock.frozen_at(JAN31 + dt.timedelta(days=28)):
        charge_due_orders()
    order.refresh_from_db()
    assert order.status == Order.Status.PAST_DUE
    assert order.invoices.get(period=1).status == Invoice.Status.OPEN
    SandboxGateway().set_card_behaviour(card.token, "pm_card_visa")
    actions.retry_invoice(order.invoices.get(period=1), actor=rep)
    order.refresh_from_db()
    assert order.status == Order.Status.ACTIVE


def test_the_proration_preview_is_exactly_what_is_posted(contact, card, product, rep):
    with clock.frozen_at(JAN31):
        order = monthly(contact, card, product, rep)
    with clock.frozen_at(JAN31 + dt.timedelta(days=10)):  # 18 of 28 days left
        preview = actions.preview_proration(order, unit_price=usd("150.00"))
        assert [s.amount for s in preview] == [usd("-64.29"), usd("96.43")]
        actions.change_order_terms(
            order, unit_price=usd("150.00"), effective="now", prorate=True, actor=rep,
            reason="upgrade",
        )  # fmt: skip
    invoice = order.invoices.get(period=None)
    assert [line.amount for line in invoice.lines.all()] == [s.amount for s in preview]
    assert invoice.status == Invoice.Status.PAID
    assert invoice.payments.get().amount == usd("32.14")
    assert breaches() == []


def test_a_downgrade_now_credits_the_contacts_next_charge(contact, card, product, rep, manager):
    with clock.frozen_at(JAN31):
        order = monthly(contact, card, product, rep)
    with clock.frozen_at(JAN31 + dt.timedelta(days=14)):  # 14 of 28 days left
        actions.change_order_terms(order, unit_price=usd("50.00"), effective="now",
                                   prorate=True, actor=manager, reason="downgrade")  # fmt: skip
    assert credit_balance(contact, "USD") == usd("25.00")
    with clock.frozen_at(JAN31 + dt.timedelta(days=28)):
        charge_due_orders()
    assert order.invoices.get(period=1).payments.get().amount == usd("25.00")
    assert breaches() == []


def test_discount_next_two_charges(contact, card, product, rep):
    with clock.frozen_at(JAN31):
        order = monthly(contact, card, product, rep)
        actions.discount_order(order, percent=10, charges=2, actor=rep, reason="sorry")
    for days in (28, 59, 90):
        with clock.frozen_at(JAN31 + dt.timedelta(days=days)):
            charge_due_orders()
    amounts = [i.payments.get().amount for i in order.invoices.order_by("period")]
    assert amounts == [usd("90.00"), usd("90.00"), usd("100.00")]
    change = order.changes.get(kind="discounted")
    assert change.before == {"percent": None, "amount": None, "charges": 0}
    assert change.after == {"percent": "10", "amount": None, "charges": 2}


def test_cancel_now_refunds_the_unused_time(contact, card, product, rep):
    with clock.frozen_at(JAN31):
        order = monthly(contact, card, product, rep)
    with clock.frozen_at(JAN31 + dt.timedelta(days=7)):  # 21 of 28 days unused
        actions.cancel_order(order, refund_unused=True, actor=rep, reason="not for me")
    order.refresh_from_db()
    assert order.status == Order.Status.CANCELLED
    payment = order.source_invoice.payments.get()
    assert payment.amount_refunded == usd("75.00")
    with clock.frozen_at(JAN31 + dt.timedelta(days=60)):
        assert charge_due_orders() == {"billed": 0, "charged": 0}
    assert breaches() == []


def test_order_actions_need_a_reason_the_role_and_a_live_order(
    contact, card, product, rep, outsider
):
    order = monthly(contact, card, product, rep)
    with pytest.raises(errors.ReasonRequired):
        actions.pause_order(order, actor=rep, reason="")
    with pytest.raises(errors.NotAllowed):
        actions.pause_order(order, actor=outsider, reason="x")
    with pytest.raises(errors.InvalidAmount):
        actions.change_order_terms(order, unit_price=Money("1.001", "USD"), actor=rep, reason="x")
    actions.cancel_order(order, actor=rep, reason="x")
    with pytest.raises(errors.InvalidTransition):
        actions.pause_order(order, actor=rep, reason="x")


def test_a_new_card_on_the_order_charges_its_unpaid_invoice_at_once(
    contact, card, product, rep, manager
):
    from billing.gateways.sandbox import SandboxGateway

    with clock.frozen_at(JAN31):
        order = monthly(contact, card, product, rep)
    SandboxGateway().set_card_behaviour(card.token, "pm_card_chargeDeclined")
    with clock.frozen_at(JAN31 + dt.timedelta(days=28)):
        charge_due_orders()
    new = actions.add_card(contact, token="pm_card_mastercard", actor=manager)
    actions.set_order_card(order, payment_method=new, actor=rep)
    order.refresh_from_db()
    assert order.status == Order.Status.ACTIVE
    assert order.invoices.get(period=1).status == Invoice.Status.PAID


def test_a_paid_trial_price_keeps_the_order_trialing_until_the_first_period(
    contact, card, product, rep
):
    terms = PaymentTerms.subscription(trial_days=7, trial_price=usd("1.00"))
    with clock.frozen_at(JAN31):
        invoice = actions.charge_sale(
            contact, lines=[SaleLine(product, terms=terms)], payment_method=card, actor=rep
        )
    order = Order.objects.get(source_invoice=invoice)
    assert invoice.payments.get().amount == usd("1.00")
    assert order.status == Order.Status.TRIALING
    with clock.frozen_at(JAN31 + dt.timedelta(days=7)):
        charge_due_orders()
    order.refresh_from_db()
    assert order.status == Order.Status.ACTIVE
    assert order.invoices.get(period=0).payments.get().amount == usd("100.00")


def test_a_double_submitted_order_action_acts_once(subscription, rep):
    from billing.models import OrderChange

    calls = [
        lambda: actions.change_order_terms(
            subscription, unit_price=usd("110.00"), effective="now", prorate=True,
            actor=rep, reason="up", idempotency_key="terms-form-1",
        ),
        lambda: actions.cancel_order(
            subscription, at="end_of_term", actor=rep, reason="x", idempotency_key="cancel-form-1"
        ),
    ]  # fmt: skip
    invoices = Invoice.objects.count()
    for call in calls:
        first, again = call(), call()
        assert first.pk == again.pk == subscription.pk
    assert Invoice.objects.count() == invoices + 1  # one proration invoice
    assert OrderChange.objects.filter(order=subscription, kind="terms_changed").count() == 1
    assert OrderChange.objects.filter(order=subscription, kind="cancelled").count() == 1
    assert breaches() == []
