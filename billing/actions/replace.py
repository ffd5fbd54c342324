"""Replace a wrong invoice with a corrected one, carrying its payments (no second charge)."""

from django.contrib.auth.models import User
from django.db import transaction

from billing import errors, ledger, limits
from billing.lines import validate_lines
from billing.models import Account, Invoice, Payment
from billing.permissions import require, require_reason
from billing.selectors import amount_due
from billing.steps import charging, invoicing, keys, locks
from billing.steps.opening import plan_sale
from core import audit, clock, money
from offers.lines import SaleLine


def replace_voided_invoice(
    invoice: Invoice,
    *,
    lines: list[SaleLine],
    actor: User,
    reason: str,
    idempotency_key: str | None = None,
) -> Invoice:
    """Issue a corrected invoice in place of `invoice` and move its captured payments onto it.

    `invoice` may already be void, or still open/paid: then it is voided in the same
    transaction (Ontraport's "replace a paid transaction that had to be voided"). Voiding and
    replacing at once is why the money can stay captured: the payments never sit on a void
    invoice. The replacement must cost at least what was paid; refund the rest first.
    """
    require(actor, "replace_invoice", "replace invoices")
    reason = require_reason(reason)
    currency = validate_lines(lines)
    limits.require_sale_within_limit(actor, lines)
    if currency != invoice.currency:
        raise errors.CurrencyMismatch(
            errors.WRONG_CURRENCY.format(
                subject="invoice", expected=invoice.currency, got=currency
            ),
            field="lines",
        )
    params = {"invoice": invoice.pk, "lines": [line.fingerprint() for line in lines]}

    specs, plans = plan_sale(lines, clock.today())
    if plans:
        raise errors.InvalidRequest(
            "A replacement holds one-time lines; change the open order instead.",
            field="lines",
        )
    with transaction.atomic(durable=True):
        slot = keys.claim(idempotency_key, "replace_voided_invoice", params)
        if slot.prior:
            return slot.prior
        old = locks.lock_invoice(invoice.pk)
        payments = locks.lock_payments(old)
        if hasattr(old, "replaced_by"):
            raise errors.InvalidTransition("This invoice has already been replaced.")
        if old.status == Invoice.Status.WRITTEN_OFF:
            raise errors.InvalidTransition("Reverse the write-off before replacing it.")
        charging.refuse_if_charge_in_progress(old)
        carried = [p for p in payments if p.status == Payment.Status.SUCCEEDED]
        paid = money.sum_money((p.amount for p in carried), currency)
        new = invoicing.issue_invoice(
            old.contact,
            specs,
            currency=currency,
            source=Invoice.Source.REPLACEMENT,
            actor=actor,
            reason=reason,
            action="invoice.replaced",
        )
        new.replaces = old
        new.save(update_fields=["replaces"])
        if paid > amount_due(new):
            raise errors.InvalidAmount(
                f"The replacement is less than the {paid} already paid; refund the "
                "difference first.",
                field="lines",
            )
        if paid.amount:
            # Unapply the payments from the old invoice and apply them to the new one.
            ledger.post(
                "payments_moved",
                [
                    ledger.debit(Account.RECEIVABLE, paid, invoice=old),
                    ledger.credit(Account.RECEIVABLE, paid, invoice=new),
                ],
                contact=old.contact,
                invoice=new,
                actor=actor,
                memo=reason,
            )
            Payment.objects.filter(pk__in=[p.pk for p in carried]).update(invoice=new)
        if old.status != Invoice.Status.VOID:
            invoicing.void(old, actor=actor, reason=f"Replaced by {new.number}: {reason}")
        audit.record(
            "invoice.payments_moved",
            new,
            actor=actor,
            reason=reason,
            contact_id=new.contact_id,
            amount=paid,
            after={"from": old.number, "payments": [p.pk for p in carried]},
        )
        charging.close_if_settled(new)
        slot.fill(new)
    return new
