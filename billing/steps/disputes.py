"""Disputes (chargebacks) on our payments, as the gateway reports them, posted once each.

A report is the dispute's whole current state (a webhook's payload, or the event sync's).
`apply` does what the report shows has happened and was not done yet, under the invoice,
payment and dispute locks:
- the first report opens the case: an audit event on the contact's record and an email to the
  managers;
- each balance movement the gateway made is posted once, keyed by its id: the funds withdrawn
  (the disputed amount to `disputed`, the fee to `dispute_fees`, both out of the gateway
  clearing account) and, if the dispute is won, the funds reinstated (back the same way);
- a final status closes the case: lost turns the disputed money into a chargeback (`chargebacks`),
  won has nothing left to post once its funds are back.
The same report twice, or an older one after a newer one, posts nothing again: movements are
keyed and a closed case stays closed.

The invoice is not touched: as with a refund (DESIGN invariant 2), a chargeback does not make
the customer owe the money again, so its amount due stays what it was.
"""

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Literal

from django.contrib.auth.models import User
from django.db import transaction
from djmoney.money import Money

from billing import followups, ledger
from billing.models import Account, Dispute, Payment
from billing.steps import locks
from billing.transitions import move
from core import audit, clock, money

log = logging.getLogger(__name__)

Outcome = Literal["open", "won", "lost", "closed"]


@dataclass(frozen=True)
class Movement:
    """One balance transaction of the dispute: `amount` withdrawn (< 0) or reinstated (> 0),
    `fee` charged (> 0) or given back (< 0), in the charge's currency."""

    ref: str
    amount: Money
    fee: Money


@dataclass(frozen=True)
class ReportedDispute:
    gateway: str
    ref: str
    payment_ref: str  # the charge disputed, as Payment.gateway_ref holds it
    amount: Money
    reason: str
    gateway_status: str
    outcome: Outcome
    opened_at: dt.datetime
    evidence_due_by: dt.datetime | None
    movements: tuple[Movement, ...]


def apply(report: ReportedDispute, *, actor: User) -> Dispute | None:
    """Bring the case up to the gateway's report; None when the payment is not ours."""
    payment = Payment.objects.filter(
        gateway=report.gateway, gateway_ref=report.payment_ref, method=Payment.Method.CARD
    ).first()
    if payment is None:
        log.info("dispute %s is on no payment of ours (%s)", report.ref, report.payment_ref)
        return None
    with transaction.atomic():
        locks.lock_invoice(payment.invoice_id)
        payment = locks.lock_payment(payment.pk)
        # Under the payment's lock, so two reports of a new dispute open one case (and the
        # unique gateway_ref would refuse a second).
        dispute = Dispute.objects.filter(gateway_ref=report.ref).first()
        if dispute is None:
            dispute = _open(payment, report, actor=actor)
        dispute = locks.lock_dispute(dispute.pk)
        # Withdrawals before reinstatements, whatever order the report lists them in.
        for movement in sorted(report.movements, key=lambda m: m.amount.amount):
            _post(dispute, payment, movement, actor=actor)
        if (
            dispute.gateway_status != report.gateway_status
            and dispute.status == Dispute.Status.OPEN
        ):
            dispute.gateway_status = report.gateway_status
            dispute.evidence_due_by = report.evidence_due_by
            dispute.save(update_fields=["gateway_status", "evidence_due_by"])
        if report.outcome != "open" and dispute.status == Dispute.Status.OPEN:
            _close(dispute, payment, report, actor=actor)
    return dispute


def _open(payment: Payment, report: ReportedDispute, *, actor: User) -> Dispute:
    dispute = Dispute.objects.create(
        payment=payment,
        gateway_ref=report.ref,
        amount=report.amount,
        fee=money.zero(str(report.amount.currency)),
        reason=report.reason[:64],
        gateway_status=report.gateway_status[:32],
        evidence_due_by=report.evidence_due_by,
        opened_at=report.opened_at,
    )
    audit.record(
        "dispute.opened",
        dispute,
        actor=actor,
        reason=dispute.reason_label,
        contact_id=payment.contact_id,
        amount=dispute.amount,
        after={"gateway_ref": report.ref, "reason": dispute.reason},
    )
    followups.dispute_opened(dispute)
    return dispute


def _post(dispute: Dispute, payment: Payment, movement: Movement, *, actor: User) -> None:
    withdrawn = movement.amount.amount < 0
    field = "withdrawal_ref" if withdrawn else "reinstatement_ref"
    if getattr(dispute, field):
        return  # posted by an earlier report
    # What the gateway clearing account gained (negative: lost); balances by construction.
    net = movement.amount - movement.fee
    kind = "dispute_funds_withdrawn" if withdrawn else "dispute_funds_reinstated"
    ledger.post(
        kind,
        [
            ledger.debit(Account.CASH, net),
            ledger.credit(Account.DISPUTED, movement.amount),
            ledger.debit(Account.DISPUTE_FEES, movement.fee),
        ],
        contact=payment.contact,
        invoice=payment.invoice,
        actor=actor,
        memo=f"Dispute {dispute.gateway_ref}: {dispute.reason_label}",
    )
    setattr(dispute, field, movement.ref)
    dispute.fee += movement.fee
    dispute.save(update_fields=[field, "fee"])
    audit.record(
        f"dispute.{kind.removeprefix('dispute_')}",
        dispute,
        actor=actor,
        contact_id=payment.contact_id,
        amount=abs(movement.amount),
        after={"fee": str(movement.fee.amount), "balance_transaction": movement.ref},
    )


def _close(dispute: Dispute, payment: Payment, report: ReportedDispute, *, actor: User) -> None:
    old = move(dispute, Dispute.Status(report.outcome), what="close the dispute")
    dispute.gateway_status = report.gateway_status[:32]
    dispute.closed_at = clock.now()
    dispute.save(update_fields=["status", "gateway_status", "closed_at"])
    held = dispute.withdrawal_ref and not dispute.reinstatement_ref
    if dispute.status == Dispute.Status.LOST and held:
        ledger.post(
            "dispute_lost",
            [
                ledger.debit(Account.CHARGEBACKS, dispute.amount),
                ledger.credit(Account.DISPUTED, dispute.amount),
            ],
            contact=payment.contact,
            invoice=payment.invoice,
            actor=actor,
            memo=f"Dispute {dispute.gateway_ref} lost",
        )
    audit.record(
        f"dispute.{dispute.status}",
        dispute,
        actor=actor,
        contact_id=payment.contact_id,
        amount=dispute.amount,
        before={"status": old},
        after={"status": dispute.status, "gateway_status": dispute.gateway_status},
    )
