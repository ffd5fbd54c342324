"""What the gateway reports on its own (webhooks and the event sync), applied once each.

Each function takes the gateway's current word on one object and does what has not been done
yet, under the same row locks as the rep's actions, so the same report twice, or an older one
after a newer one, changes nothing:
- a charge outcome for one of our keys settles a payment still in flight, or records a capture
  that arrives for a row settled otherwise (never dropped: `charging.settle_locked`);
- a refund made elsewhere (the Stripe dashboard) becomes a Refund under the key
  `<gateway>:<refund id>` (unique), by the gateway's actor, posted like any refund; a refund of
  ours is settled; one that fails after it succeeded gives its amount back and tells the rep;
- a card's new expiry or number follows onto the card on file; a card removed from the
  customer at the gateway becomes unusable.
They run inside the caller's transaction (the webhook's) and never call the gateway: what
must be sent (a late capture's overpayment) is sent by a task once that transaction commits.
"""

from dataclasses import dataclass

from django.contrib.auth.models import User
from django.db import transaction
from djmoney.money import Money

from billing import followups, ledger
from billing.gateways.base import CardDetails, ChargeResult, RefundResult
from billing.models import Account, Payment, PaymentMethod, Refund
from billing.steps import charging, locks, refunding
from billing.transitions import move
from core import audit, clock

REFUND_MADE_ELSEWHERE = "Refunded in {gateway}: {reason}"
CARD_REMOVED = "detached"


@dataclass(frozen=True)
class ReportedRefund:
    gateway: str
    ref: str
    payment_ref: str  # the charge it refunds, as Payment.gateway_ref holds it
    key: str  # our idempotency key, "" for a refund made elsewhere
    amount: Money
    status: str  # "succeeded", "pending", "failed" or "canceled"
    reason: str  # the gateway's reason ("requested_by_customer", ...), "" for none
    message: str = ""  # why it failed


def charge(key: str, result: ChargeResult, *, actor: User) -> Payment | None:
    """Settle the card payment sent under `key` by the outcome the gateway reported."""
    payment = Payment.objects.filter(idempotency_key=key, method=Payment.Method.CARD).first()
    if payment is None:
        return None  # not a charge of ours
    with transaction.atomic():
        payment, overpaid = charging.settle_locked(payment, result, actor=actor)
        if overpaid is not None:
            followups.send_refund(overpaid)
    return payment


def refund(report: ReportedRefund, *, actor: User) -> Refund | None:
    """Apply a refund the gateway reported: ours settled, one made elsewhere recorded, a
    succeeded one that failed later undone. None when it is no refund of our payments."""
    if report.key:
        # Sent by Paydesk, whose refund rows commit before the call: a key not found here is
        # another system's (DESIGN invariant 10 leaves those alone).
        found = Refund.objects.filter(idempotency_key=report.key).first()
        return _settle(found, report, actor=actor) if found is not None else None
    found = Refund.objects.filter(payment__gateway=report.gateway, gateway_ref=report.ref).first()
    if found is not None:
        return _settle(found, report, actor=actor)  # made elsewhere, recorded by an earlier event
    if report.status != "succeeded":
        # Nothing moved yet (pending) or ever (failed): its success is recorded when reported.
        return None
    payment = Payment.objects.filter(
        gateway=report.gateway, gateway_ref=report.payment_ref, method=Payment.Method.CARD
    ).first()
    if payment is None:
        return None
    with transaction.atomic():
        locks.lock_invoice(payment.invoice_id)
        payment = locks.lock_payment(payment.pk)
        key = f"{report.gateway}:{report.ref}"
        # Under the payment's lock, so two deliveries of one refund record it once.
        existing = Refund.objects.filter(idempotency_key=key).first()
        if existing is not None:
            return existing
        made = Refund.objects.create(
            payment=payment,
            amount=report.amount,
            settle=Refund.Settle.GATEWAY,
            idempotency_key=key,
            gateway_ref=report.ref,
            reason=REFUND_MADE_ELSEWHERE.format(
                gateway=report.gateway.title(),
                reason=(report.reason or "no reason given").replace("_", " "),
            ),
            created_at=clock.now(),
            actor=actor,
        )
        refunding.reserve(payment)
        audit.record(
            "refund.requested",
            made,
            actor=actor,
            reason=made.reason,
            contact_id=payment.contact_id,
            amount=made.amount,
            after={"settle": made.settle, "gateway_ref": report.ref},
        )
        refunding.succeed(made, payment, ref=report.ref, actor=actor)
    return made


def _settle(found: Refund, report: ReportedRefund, *, actor: User) -> Refund:
    if report.status in ("succeeded", "failed", "canceled") and found.status in (
        refunding.IN_FLIGHT
    ):
        failed = report.status != "succeeded"
        outcome = RefundResult(
            status="failed" if failed else "succeeded",
            ref=report.ref,
            message=f"{report.gateway.title()}: refund {report.message or report.status}"
            if failed
            else "",
        )
        return refunding.settle_refund(found, outcome, actor=actor)
    if report.status in ("failed", "canceled") and found.status == Refund.Status.SUCCEEDED:
        return fail_after_success(found, report.message or report.status, actor=actor)
    return found


def fail_after_success(refund: Refund, message: str, *, actor: User) -> Refund:
    """The gateway failed a refund it had reported done (the customer's card was closed): the
    money is back with us, so the refund's journal is reversed, its amount can be refunded
    again, and the rep who asked for it is told."""
    with transaction.atomic():
        payment = Payment.objects.get(pk=refund.payment_id)
        locks.lock_invoice(payment.invoice_id)
        payment = locks.lock_payment(payment.pk)
        refund = locks.lock_refund(refund.pk)
        if refund.status != Refund.Status.SUCCEEDED:
            return refund
        move(refund, Refund.Status.FAILED, what="record the refund failed")
        refund.message = f"Failed after it was made: {message}"[:300]
        refund.save(update_fields=["status", "message"])
        refunding.reserve(payment)
        # The reverse of refunding.succeed's journal.
        back_to = Account.RECEIVABLE if refund.overpayment else Account.REFUNDS
        ledger.post(
            "refund_reversed",
            [ledger.debit(Account.CASH, refund.amount), ledger.credit(back_to, refund.amount)],
            contact=payment.contact,
            invoice=payment.invoice,
            actor=actor,
            memo=refund.message,
        )
        refunding.restore_credit(refund, payment, actor=actor)
        audit.record(
            "refund.failed",
            refund,
            actor=actor,
            reason=refund.message,
            contact_id=payment.contact_id,
            amount=refund.amount,
            before={"status": Refund.Status.SUCCEEDED},
            after={"message": message},
        )
        followups.refund_failed_late(refund)
    return refund


def card_changed(gateway: str, card: CardDetails, *, actor: User) -> PaymentMethod | None:
    """The gateway's new details of a card on file (a new expiry, a reissued number)."""
    with transaction.atomic():
        found = (
            PaymentMethod.objects.select_for_update()
            .filter(gateway=gateway, token=card.token)
            .first()
        )
        if found is None:
            return None
        fields = {
            "brand": card.brand,
            "last4": card.last4,
            "exp_month": card.exp_month,
            "exp_year": card.exp_year,
        }
        before = {name: getattr(found, name) for name in fields}
        if before == fields:
            return found
        for name, value in fields.items():
            setattr(found, name, value)
        found.save(update_fields=list(fields))
        audit.record(
            "card.updated",
            found,
            actor=actor,
            contact_id=found.contact_id,
            before=before,
            after=fields,
        )
    return found


def card_removed(gateway: str, token: str, *, actor: User) -> PaymentMethod | None:
    """A card detached from the customer at the gateway can no longer be charged."""
    with transaction.atomic():
        changed = PaymentMethod.objects.filter(
            gateway=gateway, token=token, unusable_reason=""
        ).update(unusable_reason=CARD_REMOVED, is_default=False)
        found = PaymentMethod.objects.filter(gateway=gateway, token=token).first()
        if changed and found is not None:
            audit.record(
                "card.unusable",
                found,
                actor=actor,
                contact_id=found.contact_id,
                reason=CARD_REMOVED,
                after={"unusable_reason": CARD_REMOVED},
            )
    return found
