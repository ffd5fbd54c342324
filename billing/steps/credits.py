"""A contact's credit (Stripe's customer balance): money Paydesk owes the contact, per currency,
kept in the ledger's CREDIT account so it is never only a number on a row.

- granted by a downgrade's net credit, or by unused time that credit had paid for;
- applied to the contact's next invoices in that currency that Paydesk collects (a charged sale,
  a renewal, a proration) as they are issued, before charging: a journal moves it onto the
  invoice's receivable, so the amount due falls. A sale recorded as paid elsewhere is not: its
  money was already taken in full;
- released back when an invoice it was applied to is voided;
- refunded by `billing.actions.refund_credit`.
Credit entries that name an invoice are applications (and their releases); grants and refunds
name none, so an invoice's applied credit is its own credit entries. Every change that can spend
credit takes the contact's credit lock, after any row locks.
"""

from django.contrib.auth.models import User
from djmoney.money import Money

from billing import ledger
from billing.ledger import Entry
from billing.models import Account, Invoice
from billing.selectors import amount_due, credit_applied, credit_balance
from billing.steps import locks
from core import audit


def grant(
    contact, amount: Money, *, offset: list[Entry], actor: User | None, memo: str, kind: str
) -> None:
    """Owe the contact `amount` more; `offset` are the entries it balances (they sum to it)."""
    if amount.amount <= 0:
        return
    ledger.post(
        kind,
        [*offset, ledger.credit(Account.CREDIT, amount)],
        contact=contact,
        actor=actor,
        memo=memo,
    )


def apply_to(invoice: Invoice, *, actor: User | None) -> Money:
    """Spend the contact's credit on a just-issued invoice, up to its amount due."""
    locks.lock_credit(invoice.contact_id, invoice.currency)
    used = min(credit_balance(invoice.contact, invoice.currency), amount_due(invoice))
    if used.amount <= 0:
        return Money(0, invoice.currency)
    ledger.post(
        "credit_applied",
        [
            ledger.debit(Account.CREDIT, used, invoice=invoice),
            ledger.credit(Account.RECEIVABLE, used, invoice=invoice),
        ],
        contact=invoice.contact,
        invoice=invoice,
        actor=actor,
    )
    audit.record(
        "invoice.credit_applied", invoice, actor=actor, contact_id=invoice.contact_id, amount=used
    )
    return used


def release(invoice: Invoice, *, actor: User | None, reason: str) -> None:
    """Give back the credit applied to an invoice that is being voided: voiding never
    destroys credit. The invoice owes it again until the void reverses what is due."""
    applied = credit_applied(invoice)
    if applied.amount <= 0:
        return
    ledger.post(
        "credit_released",
        [
            ledger.credit(Account.CREDIT, applied, invoice=invoice),
            ledger.debit(Account.RECEIVABLE, applied, invoice=invoice),
        ],
        contact=invoice.contact,
        invoice=invoice,
        actor=actor,
        memo=reason,
    )
