"""Card charges in three steps, so no gateway call happens inside a database transaction:

1. `start_charge` (inside the caller's transaction) records a pending Payment whose gateway
   idempotency key is fixed before the call: `payment:<pk>`, or `order:<id>:period:<n>`.
2. `call_gateway` (outside any transaction) asks the gateway with that key.
3. `settle_charge` (its own transaction) records the outcome under the invoice and payment locks.
A lost answer leaves the payment `unknown`; `reconcile_charge` asks the gateway by key later.
Asking again with the same key can never charge twice.

Money received outside the gateway (`receive_outside`) is posted by the same `apply_payment`.
"""

from django.contrib.auth.models import User
from django.db import transaction
from djmoney.money import Money

from billing import errors, events, followups, ledger
from billing.gateways import get_gateway
from billing.gateways.base import ChargeResult, GatewayError, GatewayTimeout
from billing.models import Account, Invoice, Order, Payment, PaymentMethod
from billing.selectors import amount_due
from billing.steps import cards, locks
from billing.transitions import move
from core import audit, clock, money
from core.txn import require_no_transaction


def usable_card(contact, payment_method: PaymentMethod | None) -> PaymentMethod:
    if payment_method is None:
        payment_method = contact.payment_methods.usable().filter(is_default=True).first()
        if payment_method is None:
            raise errors.InvalidRequest(errors.NO_CARD, field="payment_method")
    if payment_method.contact_id != contact.pk or not payment_method.usable:
        raise errors.InvalidRequest(errors.CARD_NOT_USABLE, field="payment_method")
    return payment_method


def refuse_if_charge_in_progress(invoice: Invoice) -> None:
    busy = (Payment.Status.PENDING, Payment.Status.UNKNOWN)
    if invoice.payments.filter(status__in=busy).exists():
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
    """The gateway's answer, or None when the outcome is unknown."""
    require_no_transaction("never call a gateway inside a transaction")
    card = payment.payment_method
    try:
        return get_gateway(payment.gateway).charge(
            customer=payment.contact.gateway_customer,
            card=card.token,
            amount_minor=money.to_minor_units(payment.amount),
            currency=str(payment.amount.currency),
            idempotency_key=payment.idempotency_key,
            description=f"{payment.invoice.number} for {payment.contact.name}",
        )
    except GatewayTimeout:
        return None
    except GatewayError as exc:
        return ChargeResult(status="failed", ref="", decline_code="gateway_error", message=str(exc))


def settle_charge(
    payment: Payment, result: ChargeResult | None, *, actor: User | None = None
) -> Payment:
    with transaction.atomic():
        orders = locks.lock_orders_of(payment.invoice_id)
        invoice = locks.lock_invoice(payment.invoice_id)
        payment = locks.lock_payment(payment.pk)
        if payment.status not in (Payment.Status.PENDING, Payment.Status.UNKNOWN):
            return payment  # settled by someone else (reconcile, a replayed request)
        if result is not None:
            follow_orders(orders, invoice, succeeded=result.status == "succeeded")
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
            return payment
        if result.status == "succeeded":
            _record_success(invoice, payment, result.ref, actor=actor)
        else:
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
    return payment


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
    if invoice.status == Invoice.Status.OPEN and amount_due(invoice).amount == 0:
        move(invoice, Invoice.Status.PAID, what="mark the invoice paid")
        invoice.closed_at = clock.now()
        invoice.save(update_fields=["status", "closed_at"])
        followups.invoice_paid(invoice)
        events.announce(events.invoice_paid, invoice=invoice)


def charge_now(payment: Payment, *, actor: User) -> Payment:
    return settle_charge(payment, call_gateway(payment), actor=actor)


def reconcile_charge(payment: Payment) -> Payment:
    """Settle a charge whose outcome was lost by asking the gateway what it did with the key."""
    try:
        result = get_gateway(payment.gateway).find_charge(payment.idempotency_key)
    except GatewayTimeout:
        return payment
    if result is None:
        # The gateway never saw the key, so no money moved: the attempt failed.
        result = ChargeResult(
            status="failed",
            ref="",
            decline_code="not_sent",
            message="The charge never reached the gateway.",
        )
    return settle_charge(payment, result)


def receive_outside(
    invoice: Invoice, *, amount, method: str, reference: str, paid_at, actor: User, reason: str = ""
) -> Payment:
    """Record money received outside the gateway against a locked invoice."""
    payment = Payment.objects.create(
        contact=invoice.contact,
        invoice=invoice,
        amount=amount,
        amount_refunded=money.zero(invoice.currency),
        status=Payment.Status.SUCCEEDED,
        method=method,
        reference=reference,
        paid_at=paid_at or clock.now(),
        created_at=clock.now(),
        actor=actor if getattr(actor, "pk", None) else None,
    )
    apply_payment(invoice, payment, Account.EXTERNAL, actor=actor, kind="payment_recorded")
    audit.record(
        "payment.recorded",
        payment,
        actor=actor,
        reason=reason,
        contact_id=invoice.contact_id,
        amount=amount,
        after={"method": method, "reference": reference},
    )
    return payment
