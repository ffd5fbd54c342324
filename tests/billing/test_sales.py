from decimal import Decimal

import pytest
from djmoney.money import Money

from billing import errors
from billing.actions import BillingError, SaleLine, charge_sale, record_sale
from billing.invariants import breaches
from billing.models import Invoice, Journal, Payment, SandboxTransaction
from billing.selectors import amount_due
from core.models import AuditEvent
from offers.terms import PaymentTerms
from tests.factories import ProductFactory
from tests.helpers import usd


def counts():
    return (
        Invoice.objects.count(),
        Payment.objects.count(),
        Journal.objects.count(),
        AuditEvent.objects.count(),
        SandboxTransaction.objects.count(),
    )


def test_it_charges_the_card_on_file_for_a_sale(contact, card, product, rep):
    invoice = charge_sale(
        contact, lines=[SaleLine(product, quantity=2)], payment_method=card, actor=rep
    )

    assert invoice.status == Invoice.Status.PAID
    payment = invoice.payments.get()
    assert payment.status == Payment.Status.SUCCEEDED
    assert payment.amount == usd("200.00")
    assert amount_due(invoice) == usd("0")
    assert SandboxTransaction.objects.get().amount_minor == 20000
    assert AuditEvent.objects.filter(action="sale.charged", actor=rep).count() == 1
    assert breaches() == []


def test_a_declined_card_leaves_the_invoice_open_with_the_reason(contact, product, rep, manager):
    from billing.actions import add_card

    declined = add_card(contact, token="pm_card_chargeDeclinedInsufficientFunds", actor=manager)
    invoice = charge_sale(contact, lines=[SaleLine(product)], payment_method=declined, actor=rep)

    assert invoice.status == Invoice.Status.OPEN
    payment = invoice.payments.get()
    assert payment.status == Payment.Status.FAILED
    assert payment.decline_code == "insufficient_funds"
    assert amount_due(invoice) == usd("100.00")
    assert breaches() == []


def test_line_discounts_are_lines_of_their_own(contact, card, product, manager):
    invoice = charge_sale(
        contact,
        lines=[SaleLine(product, unit_price=usd("80.00"), discount=usd("5.50"))],
        payment_method=card,
        actor=manager,
    )
    kinds = list(invoice.lines.values_list("kind", "amount"))
    assert kinds == [("item", Decimal("80.000")), ("discount", Decimal("-5.500"))]
    assert invoice.payments.get().amount == usd("74.50")


def test_it_records_a_sale_paid_in_another_system(contact, product, rep):
    invoice = record_sale(
        contact, lines=[SaleLine(product)], method="other_system", reference="PP-123", actor=rep
    )
    assert invoice.status == Invoice.Status.PAID
    payment = invoice.payments.get()
    assert (payment.method, payment.reference) == ("other_system", "PP-123")
    assert SandboxTransaction.objects.count() == 0
    assert breaches() == []


def test_it_records_an_event_sale(contact, product, rep):
    invoice = record_sale(
        contact,
        lines=[SaleLine(product)],
        method="event",
        reference="",
        event_name="Expo",
        actor=rep,
    )
    assert (invoice.source, invoice.event_name) == ("event", "Expo")


@pytest.mark.parametrize(
    "lines_kw, code",
    [
        ({"unit_price": Money("10.005", "USD")}, "invalid_amount"),
        ({"unit_price": Money("-1", "USD")}, "invalid_amount"),
        ({"quantity": 0}, "invalid_request"),
        ({"discount": Money("101", "USD")}, "invalid_amount"),
        ({"discount": Money("1", "EUR")}, "currency_mismatch"),
    ],
)
def test_bad_lines_are_refused_and_nothing_is_written(contact, card, product, rep, lines_kw, code):
    before = counts()
    with pytest.raises(BillingError) as exc:
        charge_sale(contact, lines=[SaleLine(product, **lines_kw)], payment_method=card, actor=rep)
    assert exc.value.code == code
    assert counts() == before


def test_lines_in_two_currencies_are_refused(contact, card, product, rep):
    yen = ProductFactory(price=Money("1500", "JPY"))
    with pytest.raises(errors.CurrencyMismatch):
        charge_sale(
            contact, lines=[SaleLine(product), SaleLine(yen)], payment_method=card, actor=rep
        )


def test_yen_amounts_with_decimals_are_refused(contact, card, rep):
    yen = ProductFactory(price=Money("1500", "JPY"))
    with pytest.raises(errors.InvalidAmount, match="JPY"):
        charge_sale(
            contact,
            lines=[SaleLine(yen, unit_price=Money("1500.5", "JPY"))],
            payment_method=card,
            actor=rep,
        )


def test_someone_without_the_role_cannot_sell(contact, card, product, outsider):
    before = counts()
    with pytest.raises(errors.NotAllowed):
        charge_sale(contact, lines=[SaleLine(product)], payment_method=card, actor=outsider)
    assert counts() == before


def test_another_contacts_card_is_refused(contact, card, product, rep):
    from tests.factories import ContactFactory

    other = ContactFactory()
    with pytest.raises(errors.InvalidRequest, match="not on file"):
        charge_sale(other, lines=[SaleLine(product)], payment_method=card, actor=rep)


def test_the_same_idempotency_key_charges_once(contact, card, product, rep):
    first = charge_sale(
        contact, lines=[SaleLine(product)], payment_method=card, actor=rep, idempotency_key="k1"
    )
    second = charge_sale(
        contact, lines=[SaleLine(product)], payment_method=card, actor=rep, idempotency_key="k1"
    )
    assert first.pk == second.pk
    assert SandboxTransaction.objects.count() == 1
    with pytest.raises(errors.IdempotencyConflict):
        charge_sale(
            contact,
            lines=[SaleLine(product, quantity=2)],
            payment_method=card,
            actor=rep,
            idempotency_key="k1",
        )
    assert Invoice.objects.count() == 1


def test_record_sale_needs_the_other_systems_reference(contact, product, rep):
    with pytest.raises(errors.InvalidRequest) as exc:
        record_sale(contact, lines=[SaleLine(product)], reference=" ", actor=rep)
    assert exc.value.field == "reference"


def test_a_fully_discounted_sale_is_paid_without_a_charge(contact, card, product, manager):
    invoice = charge_sale(
        contact, lines=[SaleLine(product, discount=usd("100"))], payment_method=card, actor=manager
    )
    assert invoice.status == Invoice.Status.PAID
    assert not invoice.payments.exists()


def test_a_subscription_sale_charges_the_first_period_and_opens_an_order(
    contact, card, product, rep
):
    from billing.models import Order

    line = SaleLine(product, quantity=2, terms=PaymentTerms.subscription(every=3, unit="month"))
    invoice = charge_sale(contact, lines=[line], payment_method=card, actor=rep)
    order = Order.objects.get(source_invoice=invoice)
    assert invoice.payments.get().amount == usd("200.00")
    assert (order.status, order.quantity, order.payment_method) == ("active", 2, card)
    assert order.periods_billed == 1


def test_a_trial_charges_nothing_now_and_bills_at_trial_end(contact, card, product, rep):
    from billing.models import Order

    line = SaleLine(product, terms=PaymentTerms.subscription(trial_days=14))
    invoice = charge_sale(contact, lines=[line], payment_method=card, actor=rep)
    order = Order.objects.get(source_invoice=invoice)
    assert invoice.status == Invoice.Status.PAID and not invoice.payments.exists()
    assert order.status == "trialing"
    assert (order.next_charge_on - invoice.issued_at.date()).days == 14
