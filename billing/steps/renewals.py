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

from decimal import Decimal

from django.db import transaction
from django.db.models import Q, Sum

from billing import events, followups, ledger
from billing.gateways.base import ChargeResult
from billing.models import Account, Invoice, InvoiceLine, LedgerEntry, Order, Payment
from billing.schedule import period_start
from billing.selectors import amounts_due
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
    started under its period key."""
    if not orders:
        return []
    now = clock.now()
    lines, periods = [], []
    for order in orders:
        n = order.periods_billed
        amount = period_amount(order, n)
        if order.kind == Order.Kind.PAYMENT_PLAN:
            name = f"{order.product.name} (installment {n} of {len(order.installments)})"
            end, unit, quantity = None, amount, 1
        else:
            name, end = order.product.name, period_start(order, n + 1)
            unit, quantity = order.unit_price, order.quantity
        periods.append((order, n, amount))
        lines.append(
            InvoiceLine(
                product=order.product,
                offer_id=order.offer_id,
                description=name[:300],
                quantity=quantity,
                unit_price=unit,
                amount=amount,
                terms=order.terms or {},
                period_start=order.next_charge_on,
                period_end=end,
            )
        )
    invoices = Invoice.objects.bulk_create(
        Invoice(
            contact=order.contact,
            currency=order.currency,
            source=Invoice.Source.ORDER,
            issued_at=now,
            order=order,
            period=n,
        )
        for order, n, _ in periods
    )
    for line, invoice in zip(lines, invoices, strict=True):
        line.invoice = invoice
    InvoiceLine.objects.bulk_create(lines)
    ledger.post_many(
        "invoice_issued",
        [
            ledger.Posting(
                [ledger.credit(Account.REVENUE, amount), ledger.debit(Account.RECEIVABLE, amount)],
                order.contact_id,
                invoice,
            )
            for (order, _, amount), invoice in zip(periods, invoices, strict=True)
        ],
    )
    audit.record_many(
        "order.period_billed",
        invoices,
        amounts=[amount for _, _, amount in periods],
        afters=[
            {"lines": [f"{line.quantity} x {line.description} = {line.amount}"]} for line in lines
        ],
    )
    for order, n, amount in periods:
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
    return Payment.objects.bulk_create(
        Payment(
            contact=order.contact,
            invoice=invoice,
            amount=amount,
            amount_refunded=money.zero(order.currency),
            method=Payment.Method.CARD,
            payment_method=order.payment_method,
            gateway=order.payment_method.gateway,
            idempotency_key=f"order:{order.pk}:period:{n}",
            created_at=now,
        )
        for (order, n, amount), invoice in zip(periods, invoices, strict=True)
    )


def settle_batch(sent: list[Sent]) -> list[Sent]:
    """Record the batch's plain captures in one transaction; returns the rest, for the caller
    to settle one by one (billing.steps.charging.settle_charge) once this has committed.

    Locks are taken as every action takes them (billing.steps.locks): orders, then invoices,
    then payments, each table in pk order, so the sweep cannot deadlock with a rep's action."""
    captured = {p.pk: (p, r) for p, r in sent if r is not None and r.status == "succeeded"}
    rest = [(p, r) for p, r in sent if p.pk not in captured]
    if not captured:
        return rest
    with transaction.atomic():
        invoice_ids = sorted({p.invoice_id for p, _ in captured.values()})
        own = Invoice.objects.filter(pk__in=invoice_ids).values("order_id")
        orders = Order.objects.filter(Q(pk__in=own) | Q(source_invoice_id__in=invoice_ids))
        orders = list(orders.order_by("pk").select_for_update(of=("self",)))
        invoices = Invoice.objects.filter(pk__in=invoice_ids).order_by("pk")
        invoices = {i.pk: i for i in invoices.select_for_update(of=("self",))}
        payments = Payment.objects.filter(pk__in=sorted(captured)).order_by("pk")
        payments = list(payments.select_for_update(of=("self",)))
        due = amounts_due(invoice_ids)
        steady = _steady_invoices(orders, invoices)
        taken = []
        for payment in payments:
            invoice = invoices[payment.invoice_id]
            if (
                payment.status in IN_FLIGHT
                and invoice.status == Invoice.Status.OPEN
                and invoice.pk in steady
            ):
                taken.append(payment)
            else:
                rest.append(captured[payment.pk])
        _record_captures(taken, invoices, due, {pk: r for pk, (_, r) in captured.items()})
    return rest


def _steady_invoices(orders: list[Order], invoices: dict[int, Invoice]) -> set[int]:
    """Invoices whose capture leaves every order they bill as it is: active, and not a plan's
    last installment (which completes it). The others go through follow_orders."""
    unsteady = set()
    for order in orders:
        ends = order.kind == Order.Kind.PAYMENT_PLAN and order.next_charge_on is None
        if order.status != Order.Status.ACTIVE or ends:
            unsteady.add(order.source_invoice_id)
            unsteady.update(pk for pk, i in invoices.items() if i.order_id == order.pk)
    return set(invoices) - unsteady


def _record_captures(
    payments: list[Payment],
    invoices: dict[int, Invoice],
    due: dict[int, Decimal],
    results: dict[int, ChargeResult],
) -> None:
    """What charging._record_success and close_if_settled do, for the whole batch."""
    if not payments:
        return
    now = clock.now()
    paid = []
    for payment in payments:
        move(payment, Payment.Status.SUCCEEDED, what="record the charge")
        payment.gateway_ref, payment.paid_at = results[payment.pk].ref, now
        invoice = invoices[payment.invoice_id]
        if due[invoice.pk] - payment.amount.amount <= 0:
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
                invoices[payment.invoice_id],
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
