import psycopg
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction
from djmoney.money import Money

from billing import ledger
from billing.actions import SaleLine, charge_sale
from billing.models import Account, Journal, LedgerEntry
from core import db_roles

# The app role has no UPDATE or DELETE on append-only tables; the triggers stop everyone else.
REFUSED = "permission denied|append-only"


def test_ledger_rows_cannot_be_updated_or_deleted(contact, card, product, rep):
    charge_sale(contact, lines=[SaleLine(product)], payment_method=card, actor=rep)
    entry = LedgerEntry.objects.first()
    with pytest.raises(DatabaseError, match=REFUSED), transaction.atomic():
        LedgerEntry.objects.filter(pk=entry.pk).update(amount=Money("1", "USD"))
    with pytest.raises(DatabaseError, match=REFUSED), transaction.atomic():
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


def _owner_connection() -> psycopg.Connection:
    owner = db_roles.owner_credentials()
    return psycopg.connect(
        dbname=connection.settings_dict["NAME"],
        user=owner["USER"],
        password=owner["PASSWORD"] or None,
        host=owner["HOST"],
        port=owner["PORT"] or None,
    )


@pytest.mark.parametrize("table", db_roles.APPEND_ONLY_TABLES)
def test_not_even_the_owner_can_truncate_the_ledger_or_the_audit_trail(table):
    with _owner_connection() as owner:
        owner.execute("SET lock_timeout = '10s'")
        try:
            with pytest.raises(psycopg.errors.RaiseException, match="append-only"):
                owner.execute(f"TRUNCATE {table} CASCADE")
        finally:
            owner.rollback()


@pytest.mark.django_db(transaction=True)
def test_a_journal_is_closed_once_its_transaction_commits(contact, card, product, rep):
    invoice = charge_sale(contact, lines=[SaleLine(product)], payment_method=card, actor=rep)
    old = Journal.objects.filter(invoice=invoice).earliest("pk")
    pair = [
        LedgerEntry(journal=old, account=Account.CASH, amount=Money("5", "USD")),
        LedgerEntry(journal=old, account=Account.REVENUE, amount=Money("-5", "USD")),
    ]

    with pytest.raises(DatabaseError, match="closed"), transaction.atomic():
        LedgerEntry.objects.bulk_create(pair)

    assert not LedgerEntry.objects.filter(journal=old, amount=Money("5", "USD")).exists()
    # A new journal is fine, also from inside a savepoint.
    with transaction.atomic(), transaction.atomic():
        ledger.post(
            "correction",
            [
                ledger.debit(Account.CASH, Money("5", "USD")),
                ledger.credit(Account.REVENUE, Money("5", "USD")),
            ],
            contact=contact,
        )


def test_the_app_connects_as_a_role_that_owns_nothing():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT current_user, rolsuper, rolcreaterole, rolcreatedb, rolbypassrls"
            " FROM pg_roles WHERE rolname = current_user"
        )
        user, *powers = cursor.fetchone()
        cursor.execute("SELECT count(*) FROM pg_class WHERE relowner = current_user::regrole")
        owned = cursor.fetchone()[0]
    assert user != db_roles.owner_credentials()["USER"]
    assert powers == [False, False, False, False]
    assert owned == 0


@pytest.mark.parametrize(
    "statement",
    [
        "SET session_replication_role = replica",
        "ALTER TABLE billing_ledgerentry DISABLE TRIGGER ALL",
        "ALTER TABLE core_auditevent DISABLE TRIGGER auditevent_append_only",
        "DROP TRIGGER journal_append_only ON billing_journal",
        "TRUNCATE billing_ledgerentry",
        "UPDATE billing_journal SET memo = ''",
        "DELETE FROM core_auditevent",
    ],
)
def test_the_app_role_cannot_switch_the_guards_off(statement):
    with (
        pytest.raises(DatabaseError, match="permission denied|must be owner"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(statement)


def test_create_app_role_refuses_to_make_the_owner_the_app_role(settings):
    settings.DATABASE_URL = settings.MIGRATION_DATABASE_URL
    with pytest.raises(CommandError, match="same role"):
        call_command("create_app_role")
