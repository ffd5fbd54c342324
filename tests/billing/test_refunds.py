import pytest
from djmoney.money import Money

from billing import errors
from billing.actions import SaleLine, charge_sale, record_sale, refund_payment
from billing.invariants import breaches
from billing.models import Payment, Refund, SandboxTransaction
from billing.selectors import amount_due
from tests.helpers import race, usd


@pytest.fixture
def payment(contact, card, product, rep):
    return charge_sale(
        contact, lines=[SaleLine(product)], payment_method=card, actor=rep
    ).payments.get()


def test_it_refunds_part_of_a_payment_through_the_gateway(payment, rep):
    refund = refund_payment(payment, amount=usd("30"), actor=rep, reason="late delivery")
    assert refund.status == Refund.Status.SUCCEEDED
    payment.refresh_from_db()
    assert payment.refundable == usd("70.00")
    assert amount_due(payment.invoice) == usd("0")  # the customer does not owe it again
    assert SandboxTransaction.objects.filter(kind="refund").get().amount_minor == 3000
    assert breaches() == []


def test_a_refund_above_what_is_left_is_refused(payment, rep):
    refund_payment(payment, amount=usd("80"), actor=rep, reason="a")
    with pytest.raises(errors.InvalidAmount, match=r"\$20.00 left to refund"):
        refund_payment(payment, amount=usd("20.01"), actor=rep, reason="b")
    assert Refund.objects.count() == 1


def test_a_rep_refund_above_the_limit_needs_a_manager(contact, card, rep, manager):
    from tests.factories import ProductFactory

    big = ProductFactory(price=usd("900"))
    invoice = charge_sale(contact, lines=[SaleLine(big)], payment_method=card, actor=rep)
    with pytest.raises(errors.AboveRepLimit):
        refund_payment(invoice.payments.get(), actor=rep, reason="x")
    assert not Refund.objects.exists()
    refund_payment(invoice.payments.get(), actor=manager, reason="approved")


def test_a_refund_needs_a_reason_and_the_permission(payment, outsider, rep):
    with pytest.raises(errors.ReasonRequired):
        refund_payment(payment, actor=rep, reason="")
    with pytest.raises(errors.NotAllowed):
        refund_payment(payment, actor=outsider, reason="x")
    assert not Refund.objects.exists()


def test_a_refund_in_the_wrong_currency_or_precision_is_refused(payment, rep):
    with pytest.raises(errors.CurrencyMismatch):
        refund_payment(payment, amount=Money("5", "EUR"), actor=rep, reason="x")
    with pytest.raises(errors.InvalidAmount):
        refund_payment(payment, amount=Money("5.001", "USD"), actor=rep, reason="x")


def test_money_taken_outside_is_refunded_outside(contact, product, rep):
    invoice = record_sale(contact, lines=[SaleLine(product)], reference="PP-1", actor=rep)
    outside = invoice.payments.get()
    with pytest.raises(errors.InvalidRequest):
        refund_payment(outside, actor=rep, reason="x")
    refund = refund_payment(outside, settle="outside", actor=rep, reason="sent a check")
    assert refund.status == Refund.Status.SUCCEEDED
    assert not SandboxTransaction.objects.exists()
    assert breaches() == []


def test_the_same_key_refunds_once_and_another_amount_is_refused(payment, rep):
    first = refund_payment(payment, amount=usd("10"), actor=rep, reason="x", idempotency_key="r1")
    again = refund_payment(payment, amount=usd("10"), actor=rep, reason="x", idempotency_key="r1")
    assert first.pk == again.pk
    with pytest.raises(errors.IdempotencyConflict):
        refund_payment(payment, amount=usd("11"), actor=rep, reason="x", idempotency_key="r1")
    assert Refund.objects.count() == 1
    assert SandboxTransaction.objects.filter(kind="refund").count() == 1


@pytest.mark.django_db(transaction=True)
def test_sixteen_full_refunds_at_once_refund_exactly_once(contact, card, product, rep):
    payment = charge_sale(
        contact, lines=[SaleLine(product)], payment_method=card, actor=rep
    ).payments.get()
    results = race(
        16, lambda i: refund_payment(Payment.objects.get(pk=payment.pk), actor=rep, reason=f"t{i}")
    )

    succeeded = [r for r in results if isinstance(r, Refund)]
    refused = [r for r in results if isinstance(r, errors.BillingError)]
    assert len(succeeded) == 1 and len(refused) == 15, results
    assert all(r.code == "invalid_amount" for r in refused)
    assert SandboxTransaction.objects.filter(kind="refund").count() == 1
    assert breaches() == []


@pytest.mark.django_db(transaction=True)
def test_sixteen_thirty_percent_refunds_at_once_let_exactly_three_through(
    contact, card, product, rep
):
    payment = charge_sale(
        contact, lines=[SaleLine(product)], payment_method=card, actor=rep
    ).payments.get()
    results = race(
        16,
        lambda i: refund_payment(
            Payment.objects.get(pk=payment.pk), amount=usd("30"), actor=rep, reason=f"t{i}"
        ),
    )
    assert sum(isinstance(r, Refund) for r in results) == 3, results
    assert sum(isinstance(r, errors.InvalidAmount) for r in results) == 13
    payment.refresh_from_db()
    assert payment.amount_refunded == usd("90.00")
    assert breaches() == []


@pytest.mark.django_db(transaction=True)
def test_sixteen_double_clicks_with_one_key_sell_and_charge_once(contact, card, product, rep):
    results = race(
        16,
        lambda i: charge_sale(
            contact, lines=[SaleLine(product)], payment_method=card, actor=rep,
            idempotency_key="checkout-form-7f3a",
        ),
    )  # fmt: skip
    assert all(not isinstance(r, Exception) for r in results), results
    assert len({r.pk for r in results}) == 1
    assert SandboxTransaction.objects.filter(kind="charge").count() == 1
    assert breaches() == []


@pytest.mark.django_db(transaction=True)
def test_sixteen_submits_of_one_refund_form_all_get_its_refund(contact, card, product, rep):
    payment = charge_sale(
        contact, lines=[SaleLine(product)], payment_method=card, actor=rep
    ).payments.get()
    results = race(
        16,
        lambda i: refund_payment(
            Payment.objects.get(pk=payment.pk), actor=rep, reason="dup", idempotency_key="rf-1"
        ),
    )
    assert all(isinstance(r, Refund) for r in results), results
    assert len({r.pk for r in results}) == 1
    assert SandboxTransaction.objects.filter(kind="refund").count() == 1
    assert breaches() == []
