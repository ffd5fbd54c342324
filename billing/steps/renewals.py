"""The renewal sweep's batch: the claimed orders' periods billed together, each charge sent on
its own, the captures recorded together.

Per row, a renewal cost about 25 statements and 9 transactions, nearly all of it Django's
per-row work (issue 13). Here a batch costs a handful of statements whatever its size: one
INSERT per table for the invoices, lines, journals, ledger entries, audit events and pending
payments, one UPDATE for the orders; and, once the gateway has answered, the locks, one
UPDATE per table and the capture journals. Only the claim (the compare-and-set before every
gateway call, billing.steps.charging.claim) and the gateway call stay per row, outside any
transaction, under the same keys `order:<id>:period:<n>`.

The set-based path takes the common renewal only; every other one goes the general way, row by
row (billing.steps.periods.bill_period to bill, billing.steps.charging.settle_charge to
settle), so its rules live in one place:
- billed here: a card order on a usable card, with no order discount left to apply and no
  credit to spend (credit takes the contact's credit lock and its own journal);
- settled here: a capture for a payment still in flight, on an open invoice, whose orders are
  active and stay so (no trial ends, no plan completes). Declines and unknown outcomes go the
  general way too: they are what dunning and reconcile follow up one by one.
"""

import datetime as dt
from decimal import Decimal

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from djmoney.money import Money

from billing import events, followups, ledger
from billing.gateways.base import ChargeResult
from billing.models import Account, Invoice, InvoiceLine, LedgerEntry, Order, Payment
from billing.schedule import period_start
from billing.selectors import amounts_due
from billing.steps import locks
from billing.steps.charging import IN_FLIGHT
from billing.steps.periods import bill_period, period_amount
from billing.transitions import move
from core import audit, bulk, clock, money
from core.txn import require_transaction

Sent = tuple[Payment, ChargeResult | None]


def bill_batch(orders: list[Order]) -> list[Payment]:
    """Inside the sweep's transaction, with the orders locked: bill each order's next period
    and start its charge. Returns the pending payments to send, in the orders' order."""
    require_transaction("bill inside the sweep's transaction")
    credit = _credit_holders(orders)
    plain = [order for order in orders if _plain(order, credit)]
    general = [order for order in orders if order not in plain]
    started = {payment.invoice.order_id: payment for payment in _bill_plain(plain)}
    for order in general:
        payment = bill_period(order)
        if payment is not None:
            started[order.pk] = payment
    return [started[order.pk] for order in orders if order.pk in started]


def _credit_holders(orders: list[Order]) -> set[tuple[int, str]]:
    """(contact, currency) pairs with credit on the books: their invoices spend it first."""
    rows = (
        LedgerEntry.objects.filter(
            account=Account.CREDIT, contact_id__in={order.contact_id for order in orders}
        )
        .values_list("contact_id", "amount_currency")
        .annotate(total=Sum("amount"))
        .exclude(total=0)
    )
    return {(contact_id, currency) for contact_id, currency, _ in rows}


def _plain(order: Order, credit: set[tuple[int, str]]) -> bool:
    card = order.payment_method
    return (
        order.collection_method == Order.CollectionMethod.CHARGE_AUTOMATICALLY
        and not order.discount_charges
        and card is not None
        and card.usable
        and (order.contact_id, order.currency) not in credit
        and period_amount(order, order.periods_billed).amount > 0
    )


def _bill_plain(orders: list[Order]) -> list[Payment]:
    """What bill_period does for a plain order, for the whole batch at once: the invoice, its
    line, the journal that makes it owed and its audit event; the order advanced; the charge
    started under its period key. Rows are written from plain values (core.bulk): only the
    invoices and payments the gateway calls need are built as models."""
    if not orders:
        return []
    now = clock.now()
    periods = [(order, order.periods_billed) for order in orders]
    amounts = [period_amount(order, n) for order, n in periods]
    lines = [_line(order, n, amount) for (order, n), amount in zip(periods, amounts, strict=True)]
    invoices = [
        Invoice(
            pk=pk,
            contact_id=order.contact_id,
            currency=order.currency,
            source=Invoice.Source.ORDER,
            issued_at=now,
            order_id=order.pk,
            period=n,
        )
        for (order, n), pk in zip(
            periods,
            bulk.insert_rows(
                Invoice,
                {
                    "contact": [order.contact_id for order in orders],
                    "currency": [order.currency for order in orders],
                    "source": Invoice.Source.ORDER,
                    "issued_at": now,
                    "order": [order.pk for order in orders],
                    "period": [n for _, n in periods],
                },
            ),
            strict=True,
        )
    ]
    bulk.insert_rows(
        InvoiceLine,
        {
            "invoice": [invoice.pk for invoice in invoices],
            "product": [order.product_id for order in orders],
            "offer": [order.offer_id for order in orders],
            "description": [name for name, _, _, _ in lines],
            "quantity": [quantity for _, quantity, _, _ in lines],
            "unit_price": [unit.amount for _, _, unit, _ in lines],
            "unit_price_currency": [str(unit.currency) for _, _, unit, _ in lines],
            "amount": [amount.amount for amount in amounts],
            "amount_currency": [str(amount.currency) for amount in amounts],
            "terms": [order.terms or {} for order in orders],
            "period_start": [order.next_charge_on for order in orders],
            "period_end": [end for _, _, _, end in lines],
            "created_at": timezone.now(),  # auto_now_add, as Django stamps it
        },
    )
    ledger.post_many(
        "invoice_issued",
        [
            ledger.Posting(
                [ledger.credit(Account.REVENUE, amount), ledger.debit(Account.RECEIVABLE, amount)],
                order.contact_id,
                invoice.pk,
            )
            for order, amount, invoice in zip(orders, amounts, invoices, strict=True)
        ],
    )
    audit.record_many(
        "order.period_billed",
        invoices,
        amounts=amounts,
        afters=[
            {"lines": [f"{quantity} x {name} = {amount}"]}
            for (name, quantity, _, _), amount in zip(lines, amounts, strict=True)
        ],
    )
    for (order, n), amount in zip(periods, amounts, strict=True):
        last = order.kind == Order.Kind.PAYMENT_PLAN and n >= len(order.installments)
        order.period_price = amount
        order.periods_billed = n + 1
        order.current_period_start = order.next_charge_on
        order.current_period_end = None if order.kind == Order.Kind.PAYMENT_PLAN else (
            period_start(order, n + 1)
        )  # fmt: skip
        order.next_charge_on = None if last else period_start(order, n + 1)
    bulk.update_rows(
        orders,
        [
            "period_price",
            "period_price_currency",
            "periods_billed",
            "current_period_start",
            "current_period_end",
            "next_charge_on",
        ],
    )
    keys = [f"order:{order.pk}:period:{n}" for order, n in periods]
    zeros = [money.zero(order.currency) for order in orders]
    payment_ids = bulk.insert_rows(
        Payment,
        {
            "contact": [order.contact_id for order in orders],
            "invoice": [invoice.pk for invoice in invoices],
            "amount": [amount.amount for amount in amounts],
            "amount_currency": [str(amount.currency) for amount in amounts],
            "amount_refunded": [zero.amount for zero in zeros],
            "amount_refunded_currency": [str(zero.currency) for zero in zeros],
            "method": Payment.Method.CARD,
            "payment_method": [order.payment_method_id for order in orders],
            "gateway": [order.payment_method.gateway for order in orders],
            "idempotency_key": keys,
            "created_at": now,
        },
    )
    return [
        Payment(
            pk=pk,
            contact=order.contact,
            invoice=invoice,
            amount=amount,
            amount_refunded=zero,
            method=Payment.Method.CARD,
            payment_method=order.payment_method,
            gateway=order.payment_method.gateway,
            idempotency_key=key,
            created_at=now,
        )
        for pk, order, invoice, amount, zero, key in zip(
            payment_ids, orders, invoices, amounts, zeros, keys, strict=True
        )
    ]


def _line(order: Order, n: int, amount: Money) -> tuple[str, int, Money, dt.date | None]:
    """Period n's invoice line, as bill_period writes it: description, quantity, unit price
    and the period's end."""
    if order.kind == Order.Kind.PAYMENT_PLAN:
        name = f"{order.product.name} (installment {n} of {len(order.installments)})"
        return name[:300], 1, amount, None
    return order.product.name[:300], order.quantity, order.unit_price, period_start(order, n + 1)


def settle_batch(sent: list[Sent]) -> list[Sent]:
    """Record the batch's plain captures in one transaction; returns the rest, for the caller
    to settle one by one (billing.steps.charging.settle_charge) once this has committed.

    Locks are taken as every action takes them (billing.steps.locks.lock_batch), so the sweep
    cannot deadlock with a rep's action."""
    captured = {p.pk: (p, r) for p, r in sent if r is not None and r.status == "succeeded"}
    rest = [(p, r) for p, r in sent if p.pk not in captured]
    if not captured:
        return rest
    with transaction.atomic():
        batch = locks.lock_batch([p.invoice_id for p, _ in captured.values()], list(captured))
        due = amounts_due(list(batch.invoices))
        steady = _steady_invoices(batch)
        taken = []
        for pk in sorted(captured):
            payment = captured[pk][0]
            status, invoice = batch.payment_statuses[pk], batch.invoices[payment.invoice_id]
            if (
                status in IN_FLIGHT
                and invoice.status == Invoice.Status.OPEN
                and invoice.pk in steady
            ):
                # The sweep's own rows, brought up to what the locks read.
                payment.status, payment.invoice.status = status, invoice.status
                payment.invoice.replaces_id = invoice.replaces_id
                taken.append(payment)
            else:
                rest.append(captured[pk])
        _record_captures(taken, due, {pk: r for pk, (_, r) in captured.items()})
    return rest


def _steady_invoices(batch: locks.Batch) -> set[int]:
    """Invoices whose capture leaves every order they bill as it is: active, and not a plan's
    last installment (which completes it). The others go through follow_orders."""
    unsteady = set()
    for order in batch.orders:
        ends = order.kind == Order.Kind.PAYMENT_PLAN and order.next_charge_on is None
        if order.status != Order.Status.ACTIVE or ends:
            unsteady.add(order.source_invoice_id)
            unsteady.update(pk for pk, i in batch.invoices.items() if i.order_id == order.pk)
    return set(batch.invoices) - unsteady


def _record_captures(
    payments: list[Payment], due: dict[int, Decimal], results: dict[int, ChargeResult]
) -> None:
    """What charging._record_success and close_if_settled do, for the whole batch."""
    if not payments:
        return
    now = clock.now()
    paid = []
    for payment in payments:
        move(payment, Payment.Status.SUCCEEDED, what="record the charge")
        payment.gateway_ref, payment.paid_at = results[payment.pk].ref, now
        if due[payment.invoice_id] - payment.amount.amount <= 0:
            invoice = payment.invoice
            move(invoice, Invoice.Status.PAID, what="mark the invoice paid")
            invoice.closed_at = now
            paid.append(invoice)
    bulk.update_rows(payments, ["status", "gateway_ref", "paid_at"])
    ledger.post_many(
        "payment_captured",
        [
            ledger.Posting(
                [
                    ledger.debit(Account.CASH, payment.amount),
                    ledger.credit(Account.RECEIVABLE, payment.amount),
                ],
                payment.contact_id,
                payment.invoice_id,
            )
            for payment in payments
        ],
    )
    audit.record_many("payment.succeeded", payments, amounts=[p.amount for p in payments])
    if paid:
        bulk.update_rows(paid, ["status", "closed_at"])
    for invoice in paid:
        if invoice.replaces_id:
            followups.invoice_paid(invoice)
    followups.payments_received(payments)
    events.announce(events.invoices_paid, invoices=paid)
