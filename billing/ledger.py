"""Posting journals: the only way money moves in Paydesk's books.

Each money action posts exactly one journal whose entries sum to zero per currency. Debits are
positive, credits negative. Zero entries are dropped; a journal may be empty when an action moves
no money (voiding an invoice that nothing is due on) so the action still leaves its trace.
"""

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth.models import User
from djmoney.money import Money

from billing.models import Account, Invoice, Journal, LedgerEntry
from core import bulk, clock, money
from core.txn import require_transaction


class UnbalancedJournal(AssertionError):
    """A programming error: a journal must balance. Never shown to a rep."""


@dataclass(frozen=True)
class Entry:
    account: Account
    amount: Money
    invoice: Invoice | None = None


def debit(account: Account, amount: Money, invoice: Invoice | None = None) -> Entry:
    return Entry(account, amount, invoice)


def credit(account: Account, amount: Money, invoice: Invoice | None = None) -> Entry:
    return Entry(account, -amount, invoice)


def post(
    kind: str,
    entries: list[Entry],
    *,
    contact=None,
    invoice: Invoice | None = None,
    actor: User | None = None,
    memo: str = "",
) -> Journal:
    require_transaction("post inside the action's transaction")
    _check_balance(kind, entries)
    journal = Journal.objects.create(
        kind=kind,
        memo=memo[:300],
        created_at=clock.now(),
        contact=contact,
        invoice=invoice,
        actor=actor if getattr(actor, "pk", None) else None,
    )
    LedgerEntry.objects.bulk_create(
        LedgerEntry(
            journal=journal,
            account=entry.account,
            # Receivable is per contact: the contact's balance is the sum of these rows.
            contact=contact,
            invoice=entry.invoice or invoice,
            amount=entry.amount,
        )
        for entry in entries
        if entry.amount.amount != 0
    )
    return journal


@dataclass(frozen=True)
class Posting:
    """One journal of a batch (`post_many`): its entries, contact and invoice."""

    entries: list[Entry]
    contact_id: int
    invoice_id: int


def post_many(kind: str, postings: list[Posting]) -> None:
    """Post one journal per posting, by the automation (no actor): one INSERT for the journals
    and one for all their entries, whatever the batch's size (the sweeps' batches). Each
    journal is checked as `post` checks it, and the database trigger checks it again."""
    require_transaction("post inside the action's transaction")
    if not postings:
        return
    for posting in postings:
        _check_balance(kind, posting.entries)
    journal_ids = bulk.insert_rows(
        Journal,
        {
            "kind": kind,
            "created_at": clock.now(),
            "contact": [p.contact_id for p in postings],
            "invoice": [p.invoice_id for p in postings],
        },
    )
    entries = [
        (journal_id, posting, entry)
        for journal_id, posting in zip(journal_ids, postings, strict=True)
        for entry in posting.entries
        if entry.amount.amount != 0
    ]
    bulk.insert_rows(
        LedgerEntry,
        {
            "journal": [journal_id for journal_id, _, _ in entries],
            "account": [entry.account for _, _, entry in entries],
            "contact": [posting.contact_id for _, posting, _ in entries],
            "invoice": [
                entry.invoice.pk if entry.invoice else posting.invoice_id
                for _, posting, entry in entries
            ],
            "amount": [entry.amount.amount for _, _, entry in entries],
            "amount_currency": [str(entry.amount.currency) for _, _, entry in entries],
        },
    )


def _check_balance(kind: str, entries: list[Entry]) -> None:
    sums: dict[str, Decimal] = defaultdict(Decimal)
    for entry in entries:
        money.validate(entry.amount)
        sums[str(entry.amount.currency)] += entry.amount.amount
    unbalanced = {cur: total for cur, total in sums.items() if total != 0}
    if unbalanced:
        raise UnbalancedJournal(f"{kind} does not balance: {unbalanced}")
