import pytest
from django.db import DatabaseError, transaction
from djmoney.money import Money

from billing import ledger
from billing.actions import SaleLine, charge_sale
from billing.models import Account, LedgerEntry


def test_ledger_rows_cannot_be_updated_or_deleted(contact, card, product, rep):
    charge_sale(contact, lines=[SaleLine(product)], payment_method=card, actor=rep)
    entry = LedgerEntry.objects.first()
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        LedgerEntry.objects.filter(pk=entry.pk).update(amount=Money("1", "USD"))
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        LedgerEntry.objects.filter(pk=entry.pk).delete()


def test_the_posting_function_refuses_an_unbalanced_journal(contact):
    with pytest.raises(ledger.UnbalancedJournal), transaction.atomic():
        ledger.post("broken", [ledger.debit(Account.CASH, Money("1", "USD"))], contact=contact)


def test_the_database_refuses_an_unbalanced_journal_at_commit(contact):
    """Even code that bypasses ledger.post cannot commit an unbalanced journal."""
    from billing.models import Journal
    from core import clock

    with pytest.raises(DatabaseError, match="does not balance"), transaction.atomic():
        journal = Journal.objects.create(kind="raw", created_at=clock.now())
        LedgerEntry.objects.create(journal=journal, account=Account.CASH, amount=Money("1", "USD"))
        # Deferred constraint triggers fire at commit; force the check inside the test's txn.
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
