import datetime as dt

import pytest
from django.core import mail

from billing import followups, fulfilment, tasks
from billing.actions import (
    SaleLine,
    cancel_order,
    charge_sale,
    record_sale,
    refund_payment,
    void_invoice,
)
from billing.invariants import breaches
from billing.models import AccessGrant, Delivery, Order, Payment
from core import clock
from offers.models import Product
from offers.terms import PaymentTerms
from tests.factories import ProductFactory
from tests.helpers import race, usd

NOW = dt.datetime(2025, 3, 10, 15, 0, tzinfo=dt.UTC)
URL = "https://files.example.com/masterclass.zip"


@pytest.fixture(autouse=True)
def _frozen():
    with clock.frozen_at(NOW):
        yield


@pytest.fixture
def course(db):
    return ProductFactory(
        name="Course",
        price=usd("100.00"),
        delivery_email=True,
        download_url=URL,
        access=Product.Access.DAYS,
        access_days=30,
    )


@pytest.fixture
def sell(contact, card, rep, django_capture_on_commit_callbacks):
    def sell(*products, terms=None):
        with django_capture_on_commit_callbacks(execute=True):
            lines = [SaleLine(p, terms=terms) for p in products]
            invoice = charge_sale(contact, lines=lines, payment_method=card, actor=rep)
        return invoice.payments.get()

    return sell


@pytest.fixture
def refund(rep, django_capture_on_commit_callbacks):
    def refund(payment, amount=None):
        with django_capture_on_commit_callbacks(execute=True):
            return refund_payment(payment, amount=amount, actor=rep, reason="asked")

    return refund


def delivered() -> list:
    """Delivery emails only: the customer's receipt goes out with each payment too."""
    return [m for m in mail.outbox if m.subject.endswith(" is ready")]


def test_a_paid_product_is_delivered_by_email_with_its_link(sell, course, contact):
    payment = sell(course)
    assert len(delivered()) == 1
    email = delivered()[0]
    assert email.to == [contact.email]
    assert URL in email.body
    assert URL in email.alternatives[0][0]
    delivery = Delivery.objects.get()
    assert (delivery.payment, delivery.product, delivery.sent_to) == (
        payment,
        course,
        contact.email,
    )


def test_automations_run_once_however_often_the_event_or_task_repeats(
    sell, course, django_capture_on_commit_callbacks
):
    payment = sell(course)
    with django_capture_on_commit_callbacks(execute=True):
        followups.payment_received(payment)
    tasks.deliver(payment.pk, course.pk)
    tasks.grant_access(payment.pk, course.pk)
    assert len(delivered()) == 1
    assert Delivery.objects.count() == 1
    assert AccessGrant.objects.count() == 1


def test_products_without_automation_do_nothing(sell, product):
    sell(product)
    assert delivered() == []
    assert not AccessGrant.objects.exists()


def test_a_sale_whose_card_is_declined_delivers_nothing(
    contact, manager, course, rep, django_capture_on_commit_callbacks
):
    from billing.actions import add_card

    declined = add_card(contact, token="pm_card_chargeDeclined", actor=manager)
    with django_capture_on_commit_callbacks(execute=True):
        charge_sale(contact, lines=[SaleLine(course)], payment_method=declined, actor=rep)
    assert mail.outbox == []
    assert not AccessGrant.objects.exists()


def test_access_is_granted_for_the_days_bought_and_extended_by_another_purchase(
    sell, course, contact
):
    sell(course)
    first = AccessGrant.objects.get()
    assert (first.starts_at, first.ends_at) == (NOW, NOW + dt.timedelta(days=30))
    assert fulfilment.has_access(contact, course)
    assert not fulfilment.has_access(contact, course, at=NOW + dt.timedelta(days=30))
    sell(course)
    second = AccessGrant.objects.exclude(pk=first.pk).get()
    assert second.ends_at == NOW + dt.timedelta(days=60)


def test_lifetime_access_has_no_end(sell, contact):
    forever = ProductFactory(access=Product.Access.LIFETIME)
    sell(forever)
    assert AccessGrant.objects.get().ends_at is None
    assert fulfilment.has_access(contact, forever, at=NOW + dt.timedelta(days=9999))


def test_a_full_refund_revokes_access(sell, refund, course, contact):
    payment = sell(course)
    refund(payment, usd("40"))
    assert fulfilment.has_access(contact, course)  # a partial refund keeps access
    refund(payment)
    grant = AccessGrant.objects.get()
    assert (grant.revoked_at, grant.revoke_reason) == (NOW, "refunded")
    assert not fulfilment.has_access(contact, course)
    tasks.revoke_access_for_refund(payment.pk)  # a repeated task changes nothing
    assert AccessGrant.objects.get().revoked_at == NOW
    assert breaches() == []


def test_a_product_that_keeps_access_on_refund_loses_it_when_voided(
    sell, refund, course, contact, rep, django_capture_on_commit_callbacks
):
    course.revoke_on_refund = False
    course.save()
    payment = sell(course)
    refund(payment)
    assert fulfilment.has_access(contact, course)
    with django_capture_on_commit_callbacks(execute=True):
        void_invoice(payment.invoice, actor=rep, reason="sold by mistake")
    assert AccessGrant.objects.get().revoke_reason == "voided"
    assert not fulfilment.has_access(contact, course)
    assert breaches() == []


def test_a_sale_recorded_elsewhere_also_grants_and_delivers(
    contact, course, rep, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        record_sale(contact, lines=[SaleLine(course)], reference="PP-9", actor=rep)
    assert Delivery.objects.count() == 1
    assert fulfilment.has_access(contact, course)


def test_term_access_follows_the_paid_period_and_ends_with_the_order(
    sell, contact, rep, django_capture_on_commit_callbacks
):
    club = ProductFactory(name="Club", price=usd("20.00"), access=Product.Access.TERM)
    sell(club, terms=PaymentTerms.subscription(every=1, unit="month"))
    period_end = dt.datetime(2025, 4, 10, tzinfo=dt.UTC)
    grant = AccessGrant.objects.get()
    assert grant.ends_at == period_end + fulfilment.TERM_GRACE
    order = Order.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        cancel_order(order, at="now", actor=rep, reason="moving away")
    grant.refresh_from_db()
    assert (grant.ends_at, grant.revoked_at) == (period_end, None)
    assert fulfilment.has_access(contact, club, at=period_end - dt.timedelta(seconds=1))
    assert not fulfilment.has_access(contact, club, at=period_end)
    assert tasks.end_access_for_order(order.pk) == 0  # once


def test_an_ended_order_leaves_a_separate_lifetime_purchase_alone(
    sell, contact, rep, django_capture_on_commit_callbacks
):
    club = ProductFactory(name="Club", price=usd("20.00"), access=Product.Access.TERM)
    sell(club, terms=PaymentTerms.subscription(every=1, unit="month"))
    club.access = Product.Access.LIFETIME
    club.save()
    sell(club)
    lifetime = AccessGrant.objects.get(ends_at__isnull=True)
    with django_capture_on_commit_callbacks(execute=True):
        cancel_order(Order.objects.get(), at="now", actor=rep, reason="moving away")
    lifetime.refresh_from_db()
    assert (lifetime.ends_at, lifetime.revoked_at) == (None, None)
    assert fulfilment.has_access(contact, club, at=dt.datetime(2030, 1, 1, tzinfo=dt.UTC))


@pytest.mark.django_db(transaction=True)
def test_tasks_racing_for_one_payment_deliver_and_grant_once(contact, card, rep):

    book = ProductFactory(price=usd("10.00"))
    payment = charge_sale(contact, lines=[SaleLine(book)], payment_method=card, actor=rep)
    payment = payment.payments.get()
    # Switched on after the sale, so only the racing tasks below can deliver or grant.
    Product.objects.filter(pk=book.pk).update(
        delivery_email=True, download_url=URL, access=Product.Access.LIFETIME
    )
    results = race(
        8,
        lambda i: (tasks.deliver if i % 2 else tasks.grant_access)(payment.pk, book.pk),
    )
    assert not [r for r in results if isinstance(r, Exception)], results
    assert (Delivery.objects.count(), AccessGrant.objects.count(), len(delivered())) == (1, 1, 1)


def test_a_payment_plan_is_delivered_once_not_with_every_installment(
    contact, card, course, rep, django_capture_on_commit_callbacks
):
    terms = PaymentTerms.payment_plan(usd("40.00"), 2)
    with django_capture_on_commit_callbacks(execute=True):
        charge_sale(contact, lines=[SaleLine(course, terms=terms)], payment_method=card, actor=rep)
    for months in (1, 2):
        later = clock.frozen_at(NOW + dt.timedelta(days=31 * months))
        with later, django_capture_on_commit_callbacks(execute=True):
            tasks.charge_due_orders()
    assert Payment.objects.filter(status="succeeded").count() == 3
    assert Delivery.objects.count() == 1
    assert [m.subject for m in mail.outbox].count("Your Course is ready") == 1
