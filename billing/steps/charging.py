"""Card charges in three steps, so no gateway call happens inside a database transaction:

1. `start_charge` (inside the caller's transaction) records a pending Payment whose gateway
   idempotency key is fixed before the call: `payment:<pk>`, or `order:<id>:period:<n>`.
2. `call_gateway` (outside any transaction) asks the gateway with that key, but only after
   `claim` took the row with a compare-and-set: a row settled meanwhile (by reconcile, by a
   replayed request) is never sent, and of two senders only one sends.
3. `settle_charge` (its own transaction) records the outcome under the invoice and payment locks.

A lost answer leaves the payment `unknown`; a sender that stalled or died leaves it pending
with a lease (`claimed_at`) that runs out. `stranded.send_stranded` (reconcile and the sweeps)
asks the gateway by key and, if the gateway never saw it, sends it again under the same key: asking
again with the same key can never charge twice, so a charge that may not have been sent is
sent, never reported as a decline. Only when its invoice no longer asks for the money is it
given up, as `not_sent` (no decline, no dunning, no notice). Should the stalled sender still
get through after that, `settle_charge` records the capture anyway and refunds what the
invoice did not ask for (`record_late_capture`): money the gateway took is never dropped.

Money received outside the gateway (billing.steps.receiving) is posted by the same `apply_payment`.
"""

import datetime as dt
import random
import time

from django.contrib.auth.models import User
from django.db import connection, transaction
from djmoney.money import Money

from billing import errors, events, followups, ledger
from billing.gateways import get_gateway
from billing.gateways.base import ChargeResult, GatewayBusy, GatewayError, GatewayTimeout
from billing.models import Account, Invoice, Order, Payment, PaymentMethod, Refund
from billing.selectors import amount_due
from billing.steps import cards, locks, refunding
from billing.transitions import move
from core import audit, clock, money
from core.txn import require_no_transaction

# How long a sender owns a claimed row. Longer than any one gateway call (Stripe: 30 s with
# two retries); a sender stalled beyond it is overtaken, which the shared key makes harmless.
LEASE = dt.timedelta(minutes=2)
IN_FLIGHT = (Payment.Status.PENDING, Payment.Status.UNKNOWN)
# Seconds between tries of a charge the gateway was too busy to take: about 7 s at most in all,
# well inside a claim's lease.
BUSY_PAUSES = (0.5, 1.0, 2.0)


def usable_card(contact, payment_method: PaymentMethod | None) -> PaymentMethod:
    if payment_method is None:
        payment_method = contact.payment_methods.usable().filter(is_default=True).first()
        if payment_method is None:
            raise errors.InvalidRequest(errors.NO_CARD, field="payment_method")
    if payment_method.contact_id != contact.pk or not payment_method.usable:
        raise errors.InvalidRequest(errors.CARD_NOT_USABLE, field="payment_method")
    return payment_method


def refuse_if_charge_in_progress(invoice: Invoice) -> None:
    if invoice.payments.filter(status__in=IN_FLIGHT).exists():
        raise errors.ChargeInProgress(errors.CHARGE_IN_PROGRESS)


def start_charge(
    invoice: Invoice, *, amount: Money, card: PaymentMethod, actor: User, key: str | None = None
) -> Payment:
    payment = Payment.objects.create(
        contact=invoice.contact,
        invoice=invoice,
        amount=amount,
        amount_refunded=money.zero(invoice.currency),
        method=Payment.Method.CARD,
        payment_method=card,
        gateway=card.gateway,
        idempotency_key=key,
        created_at=clock.now(),
        actor=actor if getattr(actor, "pk", None) else None,
    )
    if key is None:
        # The default key is the row's own: known only once the row exists.
        payment.idempotency_key = f"payment:{payment.pk}"
        payment.save(update_fields=["idempotency_key"])
    return payment


def call_gateway(payment: Payment) -> ChargeResult | None:
    """The gateway's answer, or None when the outcome is unknown.

    A gateway busy with other requests (Stripe's rate limit, which a sweep's lanes and several
    workers can reach together) did nothing: the same request is sent again after each of
    BUSY_PAUSES, stretched at random so lanes turned away together do not return together.
    Still busy after that, the outcome is left unknown for reconcile, never taken for a decline.
    """
    require_no_transaction("never call a gateway inside a transaction")
    for pause in BUSY_PAUSES:
        try:
            return _ask(payment)
        except GatewayBusy:
            time.sleep(pause * random.uniform(1, 2))
    try:
        return _ask(payment)
    except GatewayBusy:
        return None


def _ask(payment: Payment) -> ChargeResult | None:
    """One request to the gateway; GatewayBusy is the caller's."""
    try:
        return get_gateway(payment.gateway).charge(
            customer=payment.contact.gateway_customer,
            card=payment.payment_method.token,
            amount_minor=money.to_minor_units(payment.amount),
            currency=str(payment.amount.currency),
            idempotency_key=payment.idempotency_key,
            description=f"{payment.invoice.number} for {payment.contact.name}",
        )
    except GatewayBusy:
        raise
    except GatewayTimeout:
        return None
    except GatewayError as exc:
        return ChargeResult(status="failed", ref="", decline_code="gateway_error", message=str(exc))


def claim(payment: Payment, *, now: dt.datetime | None = None) -> bool:
    """Take the row for one gateway call: compare-and-set, just before the call.

    True for exactly one caller while the row is unsettled and nobody holds a live lease on it;
    `now` (reconcile's clock) decides whose lease ran out, the real time stamps the new one."""
    expired = (now or clock.now()) - LEASE
    with connection.cursor() as cursor:
        cursor.execute(_CLAIM, [clock.now(), payment.pk, *(s.value for s in IN_FLIGHT), expired])
        return cursor.rowcount == 1


# Written out because the renewal sweep runs it once per charge: the ORM's query building cost
# four times the statement's own client time (1.1 ms against 0.28 ms a claim, issue 13).
_CLAIM = f"""
    UPDATE {Payment._meta.db_table} SET claimed_at = %s
    WHERE id = %s AND status IN ({", ".join(["%s"] * len(IN_FLIGHT))})
    AND (claimed_at IS NULL OR claimed_at <= %s)
"""


def settle_charge(
    payment: Payment, result: ChargeResult | None, *, actor: User | None = None
) -> Payment:
    with transaction.atomic():
        payment, overpaid = settle_locked(payment, result, actor=actor)
    if overpaid is not None:
        refunding.send(overpaid, payment)
    return payment


def settle_locked(
    payment: Payment, result: ChargeResult | None, *, actor: User | None
) -> tuple[Payment, Refund | None]:
    """Record the outcome under the locks, inside the caller's transaction. Returns the
    payment and the overpayment refund of a late capture, for the caller to send once its
    transaction has committed (a gateway call never runs inside one)."""
    orders = locks.lock_orders_of(payment.invoice_id)
    invoice = locks.lock_invoice(payment.invoice_id)
    payment = locks.lock_payment(payment.pk)
    if payment.status in IN_FLIGHT:
        _settle_in_flight(orders, invoice, payment, result, actor=actor)
        return payment, None
    # Settled by someone else (reconcile, a replayed request). One key gets one answer, so a
    # capture meets only a row given up as not sent or, reported by a webhook, a PaymentIntent
    # whose earlier attempt failed: record it, never drop it.
    late = result is not None and result.status == "succeeded"
    if not (late and payment.status in (Payment.Status.NOT_SENT, Payment.Status.FAILED)):
        return payment, None
    if payment.status == Payment.Status.FAILED:
        follow_orders(orders, invoice, succeeded=True)  # its decline made the order past due
    return payment, record_late_capture(invoice, payment, result.ref, actor=actor)


def _settle_in_flight(
    orders: list[Order],
    invoice: Invoice,
    payment: Payment,
    result: ChargeResult | None,
    *,
    actor: User | None,
) -> None:
    if result is None:
        if payment.status == Payment.Status.PENDING:
            move(payment, Payment.Status.UNKNOWN, what="mark the charge unknown")
            payment.save(update_fields=["status"])
            audit.record(
                "payment.unknown",
                payment,
                actor=actor,
                contact_id=payment.contact_id,
                amount=payment.amount,
            )
        return
    follow_orders(orders, invoice, succeeded=result.status == "succeeded")
    if result.status == "succeeded":
        _record_success(invoice, payment, result.ref, actor=actor)
        return
    move(payment, Payment.Status.FAILED, what="record the decline")
    payment.gateway_ref = result.ref
    payment.decline_code = result.decline_code
    payment.message = result.message[:300]
    payment.save(update_fields=["status", "gateway_ref", "decline_code", "message"])
    audit.record(
        "payment.failed",
        payment,
        actor=actor,
        contact_id=payment.contact_id,
        amount=payment.amount,
        after={"decline_code": result.decline_code},
    )
    if result.hard_decline:
        cards.retire_after_hard_decline(payment, result.decline_code)
    events.announce(events.payment_failed, payment=payment, hard=result.hard_decline)


def record_late_capture(
    invoice: Invoice, payment: Payment, ref: str, *, actor: User | None
) -> Refund | None:
    """Money the gateway took for a charge given up as not sent (its sender stalled past its
    lease and got through after the invoice was settled otherwise), or recorded as declined.

    The capture is posted like any other; what the invoice no longer asked for is an
    overpayment, refunded through the gateway under a key derived from the payment (so a rerun
    refunds once), with an audit event and an email to the managers. Returns that refund, for
    the caller to send once this transaction commits."""
    due = amount_due(invoice)
    before = move(payment, Payment.Status.SUCCEEDED, what="record the late capture")
    payment.gateway_ref, payment.paid_at = ref, clock.now()
    payment.save(update_fields=["status", "gateway_ref", "paid_at"])
    apply_payment(invoice, payment, Account.CASH, actor=actor, kind="payment_captured")
    audit.record(
        "payment.succeeded",
        payment,
        actor=actor,
        contact_id=payment.contact_id,
        amount=payment.amount,
        before={"status": before},
    )
    over = payment.amount - max(due, money.zero(invoice.currency))
    if over.amount <= 0:
        return None
    refund = Refund.objects.create(
        payment=payment,
        amount=over,
        settle=Refund.Settle.GATEWAY,
        overpayment=True,
        idempotency_key=f"payment:{payment.pk}:overpaid",
        reason=f"Overpayment of {invoice.number}: captured after it was settled otherwise",
        created_at=clock.now(),
    )
    refunding.reserve(payment)
    audit.record(
        "payment.overpaid",
        payment,
        actor=actor,
        reason=refund.reason,
        contact_id=payment.contact_id,
        amount=over,
        after={"refund": refund.pk},
    )
    followups.overpaid(payment, refund)
    return refund


def follow_orders(orders: list[Order], invoice: Invoice, *, succeeded: bool) -> None:
    """A paid period makes its order current again; a declined one makes it past due."""
    for order in orders:
        old = new = order.status
        # A paid trial price (on the sale's invoice) does not end the trial; a paid period does.
        if succeeded and (
            old == Order.Status.PAST_DUE
            or (old == Order.Status.TRIALING and invoice.order_id == order.pk)
        ):
            new = Order.Status.ACTIVE
        if succeeded and order.kind == Order.Kind.PAYMENT_PLAN and order.next_charge_on is None:
            if (
                not order.invoices.filter(status=Invoice.Status.OPEN)
                .exclude(pk=invoice.pk)
                .exists()
            ):
                new = Order.Status.COMPLETED
                followups.order_ended(order)
        if not succeeded and old in (Order.Status.ACTIVE, Order.Status.TRIALING):
            new = Order.Status.PAST_DUE
        if new != old:
            move(order, new, what="record the charge on this order")
            order.save(update_fields=["status"])
            audit.record(
                f"order.{order.status}",
                order,
                actor=None,
                contact_id=order.contact_id,
                before={"status": old},
                after={"status": order.status, "invoice": invoice.pk},
            )


def _record_success(invoice: Invoice, payment: Payment, ref: str, *, actor: User) -> None:
    move(payment, Payment.Status.SUCCEEDED, what="record the charge")
    payment.gateway_ref = ref
    payment.paid_at = clock.now()
    payment.save(update_fields=["status", "gateway_ref", "paid_at"])
    apply_payment(invoice, payment, Account.CASH, actor=actor, kind="payment_captured")
    audit.record(
        "payment.succeeded",
        payment,
        actor=actor,
        contact_id=payment.contact_id,
        amount=payment.amount,
    )


def apply_payment(
    invoice: Invoice, payment: Payment, account: Account, *, actor: User, kind: str
) -> None:
    """Post money received against an invoice and close it once nothing is due."""
    ledger.post(
        kind,
        [ledger.debit(account, payment.amount), ledger.credit(Account.RECEIVABLE, payment.amount)],
        contact=invoice.contact,
        invoice=invoice,
        actor=actor,
    )
    followups.payment_received(payment)
    close_if_settled(invoice)


def close_if_settled(invoice: Invoice) -> None:
    # Below zero: overpaid by a late capture whose overpayment is on its way back.
    if invoice.status == Invoice.Status.OPEN and amount_due(invoice).amount <= 0:
        move(invoice, Invoice.Status.PAID, what="mark the invoice paid")
        invoice.closed_at = clock.now()
        invoice.save(update_fields=["status", "closed_at"])
        followups.invoice_paid(invoice)
        events.announce(events.invoice_paid, invoice=invoice)


def charge_now(payment: Payment, *, actor: User) -> Payment:
    """Send a charge just started, unless someone else has taken or settled it meanwhile."""
    if not claim(payment):
        return Payment.objects.get(pk=payment.pk)
    return settle_charge(payment, call_gateway(payment), actor=actor)
