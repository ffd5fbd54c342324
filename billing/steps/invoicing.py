"""Issuing an invoice from sale lines (the lines, and the journal that makes them owed), and
voiding one (the journal that reverses what was still owed)."""

from dataclasses import dataclass

from django.contrib.auth.models import User
from djmoney.money import Money

from billing import errors, events, followups, ledger
from billing.models import Account, Invoice, InvoiceLine
from billing.selectors import amount_due
from billing.steps import credits
from billing.transitions import move
from core import audit, clock, money
from offers.models import Product


@dataclass(frozen=True)
class LineSpec:
    """One invoice line to issue. `amount` is signed: discounts and credits are negative."""

    description: str
    unit_price: Money
    quantity: int
    amount: Money
    kind: str = InvoiceLine.Kind.ITEM
    product: Product | None = None
    # The stored offer the line was sold from (by id: an order's renewal knows only the id).
    offer_id: int | None = None
    terms: dict | None = None
    period_start: object = None
    period_end: object = None


NEGATIVE_TOTAL = "An invoice cannot total below zero: {total}."


def issue_invoice(
    contact,
    specs: list[LineSpec],
    *,
    currency: str,
    source: str,
    actor: User,
    reason: str = "",
    event_name: str = "",
    order=None,
    period: int | None = None,
    action: str = "invoice.issued",
) -> Invoice:
    total = money.sum_money((s.amount for s in specs), currency)
    if total.amount < 0:
        # A plan that would ask for less than nothing is a planning bug or an input the
        # action should have refused; never post it (DESIGN invariant 2).
        raise errors.InvalidAmount(NEGATIVE_TOTAL.format(total=total), field="lines")
    invoice = Invoice.objects.create(
        contact=contact,
        currency=currency,
        source=source,
        event_name=event_name,
        issued_at=clock.now(),
        created_by=actor if getattr(actor, "pk", None) else None,
        order=order,
        period=period,
    )
    InvoiceLine.objects.bulk_create(
        InvoiceLine(
            invoice=invoice,
            kind=spec.kind,
            product=spec.product,
            offer_id=spec.offer_id,
            description=spec.description[:300],
            quantity=spec.quantity,
            unit_price=spec.unit_price,
            amount=spec.amount,
            terms=spec.terms or {},
            period_start=spec.period_start,
            period_end=spec.period_end,
        )
        for spec in specs
    )
    entries = []
    for spec in specs:
        if spec.amount.amount >= 0:
            entries.append(ledger.credit(Account.REVENUE, spec.amount))
        else:
            entries.append(ledger.debit(Account.DISCOUNTS, -spec.amount))
    entries.append(ledger.debit(Account.RECEIVABLE, total))
    ledger.post("invoice_issued", entries, contact=contact, invoice=invoice, actor=actor)
    audit.record(
        action,
        invoice,
        actor=actor,
        reason=reason,
        contact_id=contact.pk,
        amount=total,
        after={"lines": [f"{s.quantity} x {s.description} = {s.amount}" for s in specs]},
    )
    return invoice


def void(invoice: Invoice, *, actor: User, reason: str) -> None:
    """Void a locked invoice the caller has checked may be voided."""
    credits.release(invoice, actor=actor, reason=reason)
    due = amount_due(invoice)
    old = move(invoice, Invoice.Status.VOID, what="void this invoice")
    invoice.closed_at = clock.now()
    invoice.save(update_fields=["status", "closed_at"])
    ledger.post(
        "invoice_voided",
        [ledger.debit(Account.REVENUE, due), ledger.credit(Account.RECEIVABLE, due)],
        contact=invoice.contact,
        invoice=invoice,
        actor=actor,
        memo=reason,
    )
    audit.record(
        "invoice.voided",
        invoice,
        actor=actor,
        reason=reason,
        contact_id=invoice.contact_id,
        amount=due,
        before={"status": old},
        after={"status": invoice.status},
    )
    followups.invoice_voided(invoice)
    events.announce(events.invoice_voided, invoice=invoice)
