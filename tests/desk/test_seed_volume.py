import contextlib
from collections import Counter
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db.models import Count, Sum

from billing.invariants import breaches
from billing.models import Account, Invoice, Journal, LedgerEntry, Payment, Refund
from billing.selectors import with_amounts
from contacts.models import Contact
from core import db_roles
from core.models import AuditEvent


# As the app role the ledger's row-by-row guards run; as the owner (a superuser) seed_volume
# turns them off and checks the same rules set-based per batch.
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("role", ["app", "owner"])
def test_volume_books_balance_and_pass_every_invariant(role, capsys):
    connected = db_roles.as_owner() if role == "owner" else contextlib.nullcontext()
    with connected:
        call_command("seed_volume", invoices=400, per_contact=40, contact_invoices=60, batch=150)
    out = capsys.readouterr().out
    assert "400 / 400 invoices" in out and "60 / 60 invoices" in out and "done in" in out

    assert Invoice.objects.count() == 460
    heavy = Contact.objects.get(email__startswith="volume-heavy-")
    assert heavy.invoices.count() == 60
    assert Contact.objects.filter(email__startswith="volume-").count() == 11
    statuses = Counter(Invoice.objects.values_list("status", flat=True))
    assert set(statuses) == {"paid", "open", "void", "written_off"}
    assert Refund.objects.count() > 0
    assert set(Invoice.objects.values_list("currency", flat=True)) == {
        "USD", "EUR", "GBP", "JPY", "KWD"
    }  # fmt: skip

    # Each journal balances per currency, summed here apart from billing.invariants.
    sums = LedgerEntry.objects.values("journal_id", "amount_currency").annotate(s=Sum("amount"))
    assert {row["s"] for row in sums} == {Decimal(0)}
    per_invoice = LedgerEntry.objects.count() / Invoice.objects.count()
    assert 5 <= per_invoice <= 6
    assert not Journal.objects.annotate(n=Count("entries")).filter(n=0).exists()

    # An open invoice owes its total; the others owe nothing.
    for invoice in with_amounts(Invoice.objects.all()):
        owed = invoice.total_amount if invoice.status == "open" else 0
        assert invoice.due_amount == owed, invoice.pk
    revenue = LedgerEntry.objects.filter(account=Account.REVENUE, amount_currency="JPY")
    assert revenue.aggregate(s=Sum("amount"))["s"] % 1 == 0  # whole yen
    assert Payment.objects.filter(status="succeeded").count() == statuses["paid"]
    assert AuditEvent.objects.filter(action="invoice.issued").count() == 460

    assert breaches() == []
