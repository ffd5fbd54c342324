"""The dunning sweep's batch, billing's half: charges started again on open invoices together,
and their declines recorded together.

One by one, a retried charge cost about 30 statements and 20 transactions (issue 13): the
action `retry_invoice` (its key, its locks, the pending payment, its audit event), then the
gateway call, then `settle_charge`. Here a batch costs a handful of statements whatever its
size: one lock pass and one INSERT per table to start the charges; once the gateway has
answered, one lock pass per table, one UPDATE and one INSERT to record the declines. Only the
claim before each call and the call stay per charge, outside any transaction, under the keys
the action would use (`payment:<pk>` at the gateway, the caller's key for the action).

The set-based path takes the common retry only; every other one goes the general way, row by
row, so its rules live in one place:
- started here: an open invoice with something due, no charge in flight and a usable card of
  its own contact, under a key never used before (the others go to `retry_invoice`, which
  refuses them or replays the first result);
- recorded here: a soft decline of a charge still in flight whose orders a decline leaves as
  they are (already past due). Captures, unknown outcomes, hard declines (which retire the
  card) and declines that make an order past due go to `charging.settle_charge`.
"""

from dataclasses import dataclass

from django.contrib.auth.models import User
from django.contrib.contenttypes.models import ContentType
from django.utils import timezone
from djmoney.money import Money

from billing import errors, events
from billing.gateways.base import ChargeResult
from billing.models import Invoice, Order, Payment, PaymentMethod
from billing.permissions import require
from billing.selectors import amounts_due
from billing.steps import locks
from billing.steps.charging import IN_FLIGHT
from billing.transitions import move
from core import audit, bulk, clock, idempotency, money
from core.models import IdempotencyKey
from core.txn import require_transaction

Sent = tuple[Payment, ChargeResult | None]


@dataclass(frozen=True)
class Retry:
    """One charge to start again: what `retry_invoice` is called with."""

    invoice: Invoice
    card: PaymentMethod
    key: str
    reason: str


def start_batch(retries: list[Retry], *, actor: User) -> list[Payment | None]:
    """Inside the caller's transaction: what `retry_invoice` does before its gateway call, for
    every retry this path takes. Returns, in the retries' order, the pending payment to send,
    or None for a retry the caller must make one by one with `retry_invoice`."""
    require_transaction("start charges inside the caller's transaction")
    if not retries:
        return []
    try:
        require(actor, "retry_charge", "charge invoices again")
    except errors.NotAllowed:
        return [None] * len(retries)  # refused one by one, each recorded where it is asked
    ids = sorted({r.invoice.pk for r in retries})
    locked = Invoice.objects.filter(pk__in=ids).select_related("contact").order_by("pk")
    invoices = {i.pk: i for i in locked.select_for_update(of=("self",))}
    busy = set(
        Payment.objects.filter(invoice_id__in=ids, status__in=IN_FLIGHT).values_list(
            "invoice_id", flat=True
        )
    )
    used = set(
        IdempotencyKey.objects.filter(key__in=[r.key for r in retries]).values_list(
            "key", flat=True
        )
    )
    due = amounts_due(ids)
    taken: list[tuple[int, Retry, Invoice]] = []
    for i, retry in enumerate(retries):
        invoice = invoices[retry.invoice.pk]
        if (
            invoice.status == Invoice.Status.OPEN
            and invoice.pk not in busy
            and retry.key not in used
            and due[invoice.pk] > 0
            and retry.card.contact_id == invoice.contact_id
            and retry.card.usable
        ):
            busy.add(invoice.pk)  # one charge in flight per invoice, as the action allows
            taken.append((i, retry, invoice))
    payments = _start(taken, due, actor)
    started: list[Payment | None] = [None] * len(retries)
    for (i, _, _), payment in zip(taken, payments, strict=True):
        started[i] = payment
    return started


def _start(taken: list[tuple[int, Retry, Invoice]], due: dict, actor: User) -> list[Payment]:
    if not taken:
        return []
    now = clock.now()
    amounts = [Money(due[invoice.pk], invoice.currency) for _, _, invoice in taken]
    zeros = [money.zero(invoice.currency) for _, _, invoice in taken]
    payment_ids = bulk.insert_rows(
        Payment,
        {
            "contact": [invoice.contact_id for _, _, invoice in taken],
            "invoice": [invoice.pk for _, _, invoice in taken],
            "amount": [amount.amount for amount in amounts],
            "amount_currency": [str(amount.currency) for amount in amounts],
            "amount_refunded": [zero.amount for zero in zeros],
            "amount_refunded_currency": [str(zero.currency) for zero in zeros],
            "method": Payment.Method.CARD,
            "payment_method": [retry.card.pk for _, retry, _ in taken],
            "gateway": [retry.card.gateway for _, retry, _ in taken],
            "created_at": now,
            "actor": actor.pk,
        },
    )
    # The gateway key is the row's own, as `start_charge` makes it: known once the rows exist.
    keys = [f"payment:{pk}" for pk in payment_ids]
    bulk.update_columns(Payment, payment_ids, {"idempotency_key": keys})
    payments = [
        Payment(
            pk=pk,
            contact=invoice.contact,
            invoice=invoice,
            amount=amount,
            amount_refunded=zero,
            method=Payment.Method.CARD,
            payment_method=retry.card,
            gateway=retry.card.gateway,
            idempotency_key=key,
            created_at=now,
            actor=actor,
        )
        for pk, key, amount, zero, (_, retry, invoice) in zip(
            payment_ids, keys, amounts, zeros, taken, strict=True
        )
    ]
    bulk.insert_rows(
        IdempotencyKey,
        {
            "key": [retry.key for _, retry, _ in taken],
            "action": "retry_invoice",
            "fingerprint": [
                idempotency.fingerprint(
                    "retry_invoice", {"invoice": invoice.pk, "card": retry.card.pk}
                )
                for _, retry, invoice in taken
            ],
            "result_type": ContentType.objects.get_for_model(Payment).pk,
            "result_id": payment_ids,
            "created_at": timezone.now(),  # auto_now_add, as Django stamps it
        },
    )
    audit.record_many(
        "invoice.charge_retried",
        [invoice for _, _, invoice in taken],
        amounts=[payment.amount for payment in payments],
        afters=[{"card": str(retry.card)} for _, retry, _ in taken],
        actor=actor,
        reasons=[retry.reason for _, retry, _ in taken],
    )
    return payments


def settle_declines(sent: list[Sent], *, actor: User) -> tuple[list[Payment], list[Sent]]:
    """Inside the caller's transaction: record the batch's plain declines. Returns the payments
    recorded declined, and the rest for the caller to settle one by one
    (`charging.settle_charge`) once this transaction has committed.

    Locks are taken as every action takes them (billing.steps.locks.lock_batch)."""
    require_transaction("record declines inside the caller's transaction")
    soft = {
        p.pk: (p, r)
        for p, r in sent
        if r is not None and r.status == "failed" and not r.hard_decline
    }
    rest = [(p, r) for p, r in sent if p.pk not in soft]
    if not soft:
        return [], rest
    batch = locks.lock_batch([p.invoice_id for p, _ in soft.values()], list(soft))
    moving = _invoices_whose_orders_a_decline_moves(batch)
    declined = []
    for pk in sorted(soft):
        payment, status = soft[pk][0], batch.payment_statuses[pk]
        if status in IN_FLIGHT and payment.invoice_id not in moving:
            payment.status = status  # the caller's row, brought up to what the lock read
            declined.append(payment)
        else:
            rest.append(soft[pk])
    for payment in declined:
        result = soft[payment.pk][1]
        move(payment, Payment.Status.FAILED, what="record the decline")
        payment.gateway_ref = result.ref
        payment.decline_code = result.decline_code
        payment.message = result.message[:300]
    if declined:
        bulk.update_rows(declined, ["status", "gateway_ref", "decline_code", "message"])
        audit.record_many(
            "payment.failed",
            declined,
            amounts=[p.amount for p in declined],
            afters=[{"decline_code": p.decline_code} for p in declined],
            actor=actor,
        )
        events.announce(events.payments_failed, payments=declined)
    return declined, rest


def _invoices_whose_orders_a_decline_moves(batch: locks.Batch) -> set[int]:
    """Invoices billing an active or trialing order, which a decline makes past due
    (charging.follow_orders, one by one, with its audit event)."""
    moving = set()
    for order in batch.orders:
        if order.status in (Order.Status.ACTIVE, Order.Status.TRIALING):
            moving.add(order.source_invoice_id)
            moving.update(pk for pk, i in batch.invoices.items() if i.order_id == order.pk)
    return moving
