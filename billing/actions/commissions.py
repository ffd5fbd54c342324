"""Referral commissions, the rep's side: re-run what an invoice owes its partners, approve
what they earned, record paying it.

What is owed, and posting the difference, is billing.steps.commissions. Lifecycle (the
COMMISSION table in billing.transitions): pending -> approved -> paid, or pending ->
cancelled (only a re-run cancels, when less is owed). Approving moves no money: the expense
and the payable were booked when the row was created. Paying posts Dr commissions payable,
Cr cash; a negative (clawback) row paid this way is money the partner gave back, or netted
from their next payout.
"""

from django.contrib.auth.models import User
from django.db import transaction

from billing import ledger
from billing.models import Account, Commission, Invoice
from billing.permissions import optional_reason, require
from billing.steps import keys
from billing.steps.commissions import recompute
from billing.steps.inputs import checked_text
from billing.transitions import move
from core import audit, clock


def rerun_commissions(invoice: Invoice, *, actor: User, reason: str = "") -> list[Commission]:
    """Bring the invoice's commissions to what is owed now; returns the rows it created or
    cancelled (none when nothing changed, so a second run posts nothing)."""
    require(actor, "rerun_commissions", "re-run commissions")
    return recompute(invoice.pk, actor=actor, reason=optional_reason(reason) or "re-run")


def _lock(pk: int) -> Commission:
    return (
        Commission.objects.select_related("invoice__contact")
        .select_for_update(of=("self",))
        .get(pk=pk)
    )


def approve_commission(commission: Commission, *, actor: User) -> Commission:
    require(actor, "manage_commissions", "approve commissions")
    with transaction.atomic(durable=True):
        locked = _lock(commission.pk)
        old = move(locked, Commission.Status.APPROVED, what="approve this commission")
        locked.approved_at = clock.now()
        locked.save(update_fields=["status", "approved_at"])
        audit.record(
            "commission.approved",
            locked,
            actor=actor,
            contact_id=locked.invoice.contact_id,
            amount=locked.amount,
            before={"status": old},
            after={"status": locked.status},
        )
    return locked


def pay_commission(
    commission: Commission, *, actor: User, reference: str = "", idempotency_key: str | None = None
) -> Commission:
    require(actor, "manage_commissions", "pay commissions")
    reference = checked_text((reference or "").strip(), field="reference", max_length=200)

    with transaction.atomic(durable=True):
        slot = keys.claim(idempotency_key, "pay_commission", {"commission": commission.pk})
        if slot.prior:
            return slot.prior
        locked = _lock(commission.pk)
        old = move(locked, Commission.Status.PAID, what="pay this commission")
        locked.paid_at = clock.now()
        locked.reference = reference[:200]
        locked.save(update_fields=["status", "paid_at", "reference"])
        ledger.post(
            "commission_paid",
            [
                ledger.debit(Account.COMMISSION_PAYABLE, locked.amount),
                ledger.credit(Account.CASH, locked.amount),
            ],
            contact=locked.invoice.contact,
            invoice=locked.invoice,
            actor=actor,
            memo=reference or f"Commission to {locked.partner}",
        )
        audit.record(
            "commission.paid",
            locked,
            actor=actor,
            contact_id=locked.invoice.contact_id,
            amount=locked.amount,
            before={"status": old},
            after={"status": locked.status, "reference": reference},
        )
        slot.fill(locked)
    return locked
