"""Rep actions on an existing invoice: discount, mark paid, charge again, void, write off,
reverse a write-off, send."""

import datetime as dt
from decimal import Decimal, InvalidOperation

from django.contrib.auth.models import User
from django.db import transaction
from djmoney.money import Money

from billing import errors, events, followups, ledger, limits
from billing.actions.sales import RECORD_METHODS
from billing.models import Account, Invoice, InvoiceLine, Payment, PaymentMethod, Refund
from billing.permissions import optional_reason, require, require_reason
from billing.selectors import account_balance, amount_due, invoice_total
from billing.steps import charging, ending, invoicing, keys, locks, receiving
from billing.steps.amounts import checked_amount
from billing.steps.inputs import checked_text
from billing.transitions import check, move
from core import audit, clock, money


def _within_due(amount: Money, due: Money) -> None:
    if amount > due:
        raise errors.InvalidAmount(errors.AMOUNT_ABOVE_DUE.format(due=due))


DISCOUNT_TEXT = "Discount"  # what the customer reads when the rep writes nothing else


def discount_invoice(
    invoice: Invoice,
    *,
    amount: Money | None = None,
    percent: Decimal | None = None,
    description: str = DISCOUNT_TEXT,
    actor: User,
    reason: str,
    idempotency_key: str | None = None,
) -> InvoiceLine:
    """Take an amount, or a percent of the invoice total, off what is still due.

    `description` is the line the customer reads on the invoice; `reason` is internal and goes
    only to the audit trail and the ledger memo."""
    require(actor, "discount", "discount invoices")
    reason = require_reason(reason)
    description = " ".join((description or "").split()) or DISCOUNT_TEXT
    if (amount is None) == (percent is None):
        raise errors.InvalidRequest(errors.DISCOUNT_ONE_OF, field="amount")
    if percent is not None:
        try:
            percent = Decimal(percent)
        except InvalidOperation:
            raise errors.InvalidRequest(errors.PERCENT_RANGE, field="percent") from None
        if not (0 < percent <= 100) or percent.as_tuple().exponent < -2:
            raise errors.InvalidRequest(errors.PERCENT_RANGE, field="percent")
    else:
        amount = checked_amount(amount, invoice.currency)
    params = {"invoice": invoice.pk, "amount": str(amount), "percent": str(percent)}

    with transaction.atomic(durable=True):
        slot = keys.claim(idempotency_key, "discount_invoice", params)
        if slot.prior:
            return slot.prior
        locked = locks.lock_invoice(invoice.pk)
        off = plan_invoice_discount(locked, amount=amount, percent=percent)
        limits.require_invoice_discount_within_limit(
            actor, locked, off, field="amount" if percent is None else "percent"
        )
        line = InvoiceLine.objects.create(
            invoice=locked,
            kind=InvoiceLine.Kind.DISCOUNT,
            description=description,
            quantity=1,
            unit_price=-off,
            amount=-off,
        )
        ledger.post(
            "invoice_discounted",
            [ledger.debit(Account.DISCOUNTS, off), ledger.credit(Account.RECEIVABLE, off)],
            contact=locked.contact,
            invoice=locked,
            actor=actor,
            memo=reason,
        )
        audit.record(
            "invoice.discounted",
            locked,
            actor=actor,
            reason=reason,
            contact_id=locked.contact_id,
            amount=off,
            after={
                "percent": str(percent) if percent is not None else None,
                "description": description,
            },
        )
        charging.close_if_settled(locked)
        slot.fill(line)
    return line


def plan_invoice_discount(
    invoice: Invoice, *, amount: Money | None, percent: Decimal | None
) -> Money:
    """What a discount of `amount` or `percent` (of the total) takes off an invoice locked by
    the caller; refuses one the invoice cannot take. A request for a manager's approval shows
    this and checks it again before the manager's discount."""
    check(invoice, Invoice.Status.PAID, what="discount this invoice")
    charging.refuse_if_charge_in_progress(invoice)
    off = amount
    if percent is not None:
        off = money.percent_of(invoice_total(invoice), percent)
        if off.amount <= 0:
            raise errors.InvalidAmount("That percent is less than the smallest coin.")
    _within_due(off, amount_due(invoice))
    return off


def mark_invoice_paid(
    invoice: Invoice,
    *,
    amount: Money | None = None,
    method: str,
    reference: str = "",
    paid_at: dt.datetime | None = None,
    actor: User,
    reason: str,
    idempotency_key: str | None = None,
) -> Payment:
    """Record money received outside the gateway; partial amounts leave the invoice open."""
    require(actor, "mark_paid", "mark invoices paid")
    reason = require_reason(reason)
    if method not in RECORD_METHODS:
        raise errors.InvalidRequest(f"Choose how it was paid, not {method!r}.", field="method")
    if amount is not None:
        amount = checked_amount(amount, invoice.currency)
    if paid_at and paid_at > clock.now():
        raise errors.InvalidRequest("The payment date cannot be in the future.", field="paid_at")
    reference = checked_text(reference.strip(), field="reference", max_length=200)
    params = {"invoice": invoice.pk, "amount": str(amount), "method": method, "ref": reference}

    with transaction.atomic(durable=True):
        slot = keys.claim(idempotency_key, "mark_invoice_paid", params)
        if slot.prior:
            return slot.prior
        locked = locks.lock_invoice(invoice.pk)
        check(locked, Invoice.Status.PAID, what="mark this invoice paid")
        charging.refuse_if_charge_in_progress(locked)
        due = amount_due(locked)
        if due.amount <= 0:
            raise errors.InvalidTransition(errors.NOTHING_DUE)
        paying = amount or due
        _within_due(paying, due)
        payment = receiving.receive_outside(
            locked,
            amount=paying,
            method=method,
            reference=reference.strip(),
            paid_at=paid_at,
            actor=actor,
            reason=reason,
        )
        slot.fill(payment)
    return payment


def retry_invoice(
    invoice: Invoice,
    *,
    payment_method: PaymentMethod | None = None,
    actor: User,
    reason: str = "",
    idempotency_key: str | None = None,
) -> Payment:
    """Charge a card now for everything still due on an open invoice."""
    require(actor, "retry_charge", "charge invoices again")
    reason = optional_reason(reason)
    card = charging.usable_card(invoice.contact, payment_method or default_card_for(invoice))
    params = {"invoice": invoice.pk, "card": card.pk}

    with transaction.atomic(durable=True):
        slot = keys.claim(idempotency_key, "retry_invoice", params)
        if slot.prior:
            return slot.prior
        locked = locks.lock_invoice(invoice.pk)
        check(locked, Invoice.Status.PAID, what="charge this invoice")
        charging.refuse_if_charge_in_progress(locked)
        due = amount_due(locked)
        if due.amount <= 0:
            raise errors.InvalidTransition(errors.NOTHING_DUE)
        payment = charging.start_charge(locked, amount=due, card=card, actor=actor)
        audit.record(
            "invoice.charge_retried",
            locked,
            actor=actor,
            reason=reason,
            contact_id=locked.contact_id,
            amount=due,
            after={"card": str(card)},
        )
        slot.fill(payment)
    return charging.charge_now(payment, actor=actor)


def default_card_for(invoice: Invoice) -> PaymentMethod | None:
    """The card an invoice is charged with when the rep picks none: its order's, else default."""
    order = getattr(invoice, "order", None)
    if order is not None and order.payment_method_id and order.payment_method.usable:
        return order.payment_method
    return None


def void_invoice(
    invoice: Invoice,
    *,
    actor: User,
    reason: str,
    cancel_order: bool = False,
    idempotency_key: str | None = None,
) -> Invoice:
    """Cancel an invoice that should never have existed. Allowed only while no money is
    captured on it (refund first); what was still due is reversed out of revenue.

    With `cancel_order`, the live order the invoice bills (or its sale opened) is cancelled
    now in the same transaction; otherwise that order keeps billing its next periods."""
    require(actor, "void", "void invoices")
    if cancel_order:
        require(actor, "change_orders", "cancel orders")
    reason = require_reason(reason)

    with transaction.atomic(durable=True):
        params = {"invoice": invoice.pk, **({"cancel_order": True} if cancel_order else {})}
        slot = keys.claim(idempotency_key, "void_invoice", params)
        if slot.prior:
            return slot.prior
        order = ending.order_billed_by(invoice) if cancel_order else None
        if cancel_order and order is None:
            raise errors.InvalidTransition("This invoice has no live order to cancel.")
        if order is not None:
            order = locks.lock_order(order.pk)  # orders before invoices: locks.py
        locked = locks.lock_invoice(invoice.pk)
        payments = locks.lock_payments(locked)
        check(locked, Invoice.Status.VOID, what="void this invoice")
        charging.refuse_if_charge_in_progress(locked)
        if _money_kept(payments):
            raise errors.InvalidTransition(errors.VOID_WITH_MONEY)
        invoicing.void(locked, actor=actor, reason=reason)
        if order is not None:
            ending.cancel_with(order, locked, actor=actor, reason=reason)
        slot.fill(locked)
    return locked


def _money_kept(payments: list[Payment]) -> bool:
    """Whether we still hold money on these (locked) payments, or may still return some.

    `amount_refunded` counts pending refunds too, so a refund still in flight is checked
    separately: until it settles, the money may stay with us."""
    in_flight = Refund.objects.filter(
        payment__in=payments, status__in=[Refund.Status.PENDING, Refund.Status.UNKNOWN]
    )
    captured = [p for p in payments if p.status == Payment.Status.SUCCEEDED]
    return any(p.amount_refunded < p.amount for p in captured) or in_flight.exists()


def write_off_invoice(
    invoice: Invoice, *, actor: User, reason: str, idempotency_key: str | None = None
) -> Invoice:
    """Stop collecting what is due and book it as bad debt (reversible)."""
    require(actor, "write_off", "write off invoices")
    reason = require_reason(reason)

    with transaction.atomic(durable=True):
        slot = keys.claim(idempotency_key, "write_off_invoice", {"invoice": invoice.pk})
        if slot.prior:
            return slot.prior
        locked = locks.lock_invoice(invoice.pk)
        due = plan_write_off(locked)
        old = move(locked, Invoice.Status.WRITTEN_OFF, what="write off this invoice")
        locked.closed_at = clock.now()
        locked.save(update_fields=["status", "closed_at"])
        ledger.post(
            "invoice_written_off",
            [ledger.debit(Account.BAD_DEBT, due), ledger.credit(Account.RECEIVABLE, due)],
            contact=locked.contact,
            invoice=locked,
            actor=actor,
            memo=reason,
        )
        audit.record(
            "invoice.written_off",
            locked,
            actor=actor,
            reason=reason,
            contact_id=locked.contact_id,
            amount=due,
            before={"status": old},
            after={"status": locked.status},
        )
        followups.invoice_written_off(locked)
        events.announce(events.invoice_written_off, invoice=locked)
        slot.fill(locked)
    return locked


def plan_write_off(invoice: Invoice) -> Money:
    """What writing off an invoice locked by the caller books as bad debt: all it still asks
    for; refuses an invoice that cannot be written off. A rep's request for a manager's
    write-off shows this and checks it again before the manager's write-off."""
    check(invoice, Invoice.Status.WRITTEN_OFF, what="write off this invoice")
    charging.refuse_if_charge_in_progress(invoice)
    due = amount_due(invoice)
    if due.amount <= 0:
        raise errors.InvalidTransition(errors.NOTHING_DUE)
    return due


def reverse_write_off(
    invoice: Invoice, *, actor: User, reason: str, idempotency_key: str | None = None
) -> Invoice:
    """Put a written-off amount back in receivable; the invoice is open again (not back in
    automatic collection unless a rep charges it)."""
    require(actor, "write_off", "reverse write-offs")
    reason = require_reason(reason)

    with transaction.atomic(durable=True):
        slot = keys.claim(idempotency_key, "reverse_write_off", {"invoice": invoice.pk})
        if slot.prior:
            return slot.prior
        locked = locks.lock_invoice(invoice.pk)
        old = move(locked, Invoice.Status.OPEN, what="reverse the write-off")
        written = account_balance(locked, Account.BAD_DEBT)
        locked.closed_at = None
        locked.save(update_fields=["status", "closed_at"])
        ledger.post(
            "write_off_reversed",
            [
                ledger.debit(Account.RECEIVABLE, written),
                ledger.credit(Account.BAD_DEBT, written),
            ],
            contact=locked.contact,
            invoice=locked,
            actor=actor,
            memo=reason,
        )
        audit.record(
            "invoice.write_off_reversed",
            locked,
            actor=actor,
            reason=reason,
            contact_id=locked.contact_id,
            amount=written,
            before={"status": old},
            after={"status": locked.status},
        )
        events.announce(events.invoice_reopened, invoice=locked)
        slot.fill(locked)
    return locked
