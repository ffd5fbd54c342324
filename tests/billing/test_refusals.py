"""Every refusal is a clear BillingError and writes nothing at all."""

from decimal import Decimal

import pytest
from djmoney.money import Money

from billing import actions, errors
from billing.actions import SaleLine
from billing.models import Invoice, InvoiceLine, Journal, LedgerEntry, Payment, Refund
from core.models import AuditEvent, IdempotencyKey
from tests.helpers import usd

TABLES = (Invoice, InvoiceLine, Journal, LedgerEntry, Payment, Refund, AuditEvent, IdempotencyKey)


def rows() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in TABLES}


@pytest.fixture
def books(contact, card, product, rep, manager):
    declined = actions.add_card(contact, token="pm_card_chargeDeclined", actor=manager,
                                make_default=False)  # fmt: skip
    paid = actions.charge_sale(contact, lines=[SaleLine(product)], payment_method=card, actor=rep)
    unpaid = actions.charge_sale(
        contact, lines=[SaleLine(product)], payment_method=declined, actor=rep
    )
    return {"paid": paid, "unpaid": unpaid, "payment": paid.payments.get(), "card": card}


CASES = {
    "refund more than is left": (
        lambda b, rep, mgr: actions.refund_payment(b["payment"], amount=usd("100.01"), actor=rep,
                                                   reason="x"), errors.InvalidAmount),
    "refund in euros": (
        lambda b, rep, mgr: actions.refund_payment(b["payment"], amount=Money("1", "EUR"),
                                                   actor=rep, reason="x"), errors.CurrencyMismatch),
    "refund with a tenth of a cent": (
        lambda b, rep, mgr: actions.refund_payment(b["payment"], amount=usd("1.001"), actor=rep,
                                                   reason="x"), errors.InvalidAmount),
    "refund without a reason": (
        lambda b, rep, mgr: actions.refund_payment(b["payment"], actor=rep, reason=" "),
        errors.ReasonRequired),
    "void a paid invoice": (
        lambda b, rep, mgr: actions.void_invoice(b["paid"], actor=rep, reason="x"),
        errors.InvalidTransition),
    "write off a paid invoice": (
        lambda b, rep, mgr: actions.write_off_invoice(b["paid"], actor=mgr, reason="x"),
        errors.InvalidTransition),
    "rep writes off": (
        lambda b, rep, mgr: actions.write_off_invoice(b["unpaid"], actor=rep, reason="x"),
        errors.NotAllowed),
    "reverse a write-off that never happened": (
        lambda b, rep, mgr: actions.reverse_write_off(b["unpaid"], actor=mgr, reason="x"),
        errors.InvalidTransition),
    "mark paid above what is due": (
        lambda b, rep, mgr: actions.mark_invoice_paid(b["unpaid"], amount=usd("101"),
                                                      method="cash", actor=rep, reason="x"),
        errors.InvalidAmount),
    "mark a paid invoice paid": (
        lambda b, rep, mgr: actions.mark_invoice_paid(b["paid"], method="cash", actor=rep,
                                                      reason="x"), errors.InvalidTransition),
    "discount a paid invoice": (
        lambda b, rep, mgr: actions.discount_invoice(b["paid"], amount=usd("1"), actor=rep,
                                                     reason="x"), errors.InvalidTransition),
    "rep discounts above the limit": (
        lambda b, rep, mgr: actions.discount_invoice(b["unpaid"], percent=Decimal("21"),
                                                     actor=rep, reason="x"), errors.AboveRepLimit),
    "discount with a bad percent": (
        lambda b, rep, mgr: actions.discount_invoice(b["unpaid"], percent=Decimal("0.001"),
                                                     actor=mgr, reason="x"), errors.InvalidRequest),
    "charge a paid invoice again": (
        lambda b, rep, mgr: actions.retry_invoice(b["paid"], payment_method=b["card"], actor=rep),
        errors.InvalidTransition),
    "rep replaces an invoice": (
        lambda b, rep, mgr: actions.replace_voided_invoice(
            b["paid"], lines=[SaleLine(b["paid"].lines.first().product)], actor=rep, reason="x"),
        errors.NotAllowed),
    "send to a bad address": (
        lambda b, rep, mgr: actions.send_invoice(b["paid"], actor=rep, to="nobody"),
        errors.InvalidRequest),
}  # fmt: skip


@pytest.mark.parametrize("case", CASES, ids=list(CASES))
def test_a_refused_action_writes_nothing(books, rep, manager, case):
    call, error = CASES[case]
    before = rows()
    with pytest.raises(error) as exc:
        call(books, rep, manager)
    assert exc.value.message and exc.value.code == error.code
    assert rows() == before
