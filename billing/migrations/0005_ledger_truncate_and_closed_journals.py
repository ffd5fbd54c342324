"""Close the holes left by 0002: TRUNCATE, and entries appended to an old journal.

TRUNCATE fires no row triggers, so the append-only rule needs a statement-level twin on the
ledger and audit tables.

A journal is closed when the transaction that created it commits. Each journal records the
transaction that created it in `created_txid`, a database-only column that the app never reads
(the SQLite demo has no guards, so the model does not declare it). A ledger entry may only go
into a journal created by the current transaction. `ledger.post` writes a journal and its
entries together, so the rule costs it nothing. A balanced pair appended later to an old
journal, even for another contact's invoice, is refused. `pg_current_xact_id()` is the 64-bit
id of the top-level transaction. It is the same inside savepoints, and it never wraps. The row's
`xmin` would not do: inside a savepoint (every nested `atomic`) it holds the subtransaction's id,
and it wraps at 2^32. A trigger stamps `created_txid` on insert, so no insert can forge it, and
0002 already refuses updates.

The trigger functions pin their search_path (pg_temp last), so a temporary table of the same
name cannot stand in for the real one.
"""

from django.db import migrations

GUARDS = """
CREATE FUNCTION paydesk_refuse_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION '% rows are append-only: TRUNCATE is refused', TG_TABLE_NAME;
END $$;

CREATE TRIGGER ledgerentry_no_truncate BEFORE TRUNCATE ON billing_ledgerentry
  FOR EACH STATEMENT EXECUTE FUNCTION paydesk_refuse_truncate();
CREATE TRIGGER journal_no_truncate BEFORE TRUNCATE ON billing_journal
  FOR EACH STATEMENT EXECUTE FUNCTION paydesk_refuse_truncate();
CREATE TRIGGER auditevent_no_truncate BEFORE TRUNCATE ON core_auditevent
  FOR EACH STATEMENT EXECUTE FUNCTION paydesk_refuse_truncate();

ALTER TABLE billing_journal ADD COLUMN created_txid xid8 NOT NULL DEFAULT pg_current_xact_id();

CREATE FUNCTION paydesk_stamp_journal() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.created_txid := pg_current_xact_id();
  RETURN NEW;
END $$;

CREATE TRIGGER journal_stamp_txid BEFORE INSERT ON billing_journal
  FOR EACH ROW EXECUTE FUNCTION paydesk_stamp_journal();

CREATE FUNCTION paydesk_journal_open() RETURNS trigger LANGUAGE plpgsql
  SET search_path = public, pg_temp AS $$
DECLARE
  created xid8;
BEGIN
  SELECT created_txid INTO created FROM billing_journal WHERE id = NEW.journal_id;
  -- A missing journal is the foreign key's to report.
  IF FOUND AND created <> pg_current_xact_id() THEN
    RAISE EXCEPTION 'journal % is closed: post a new journal instead', NEW.journal_id;
  END IF;
  RETURN NEW;
END $$;

CREATE TRIGGER ledgerentry_journal_open BEFORE INSERT ON billing_ledgerentry
  FOR EACH ROW EXECUTE FUNCTION paydesk_journal_open();

ALTER FUNCTION paydesk_journal_balances() SET search_path = public, pg_temp;
"""

DROP = """
ALTER FUNCTION paydesk_journal_balances() RESET search_path;
DROP TRIGGER ledgerentry_journal_open ON billing_ledgerentry;
DROP FUNCTION paydesk_journal_open();
DROP TRIGGER journal_stamp_txid ON billing_journal;
DROP FUNCTION paydesk_stamp_journal();
ALTER TABLE billing_journal DROP COLUMN created_txid;
DROP TRIGGER auditevent_no_truncate ON core_auditevent;
DROP TRIGGER journal_no_truncate ON billing_journal;
DROP TRIGGER ledgerentry_no_truncate ON billing_ledgerentry;
DROP FUNCTION paydesk_refuse_truncate();
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(GUARDS, params=None)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP, params=None)


class Migration(migrations.Migration):
    dependencies = [("billing", "0004_fulfilment_commissions"), ("core", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
