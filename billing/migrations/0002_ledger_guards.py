"""PostgreSQL guards under the ledger: rows are append-only, and every journal balances per
currency at commit (a deferred constraint trigger), whatever code wrote them."""

from django.db import migrations

GUARDS = """
CREATE FUNCTION paydesk_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION '% rows are append-only: post a reversing journal instead', TG_TABLE_NAME;
END $$;

CREATE TRIGGER ledgerentry_append_only BEFORE UPDATE OR DELETE ON billing_ledgerentry
  FOR EACH ROW EXECUTE FUNCTION paydesk_refuse_change();
CREATE TRIGGER journal_append_only BEFORE UPDATE OR DELETE ON billing_journal
  FOR EACH ROW EXECUTE FUNCTION paydesk_refuse_change();
CREATE TRIGGER auditevent_append_only BEFORE UPDATE OR DELETE ON core_auditevent
  FOR EACH ROW EXECUTE FUNCTION paydesk_refuse_change();

CREATE FUNCTION paydesk_journal_balances() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  bad record;
BEGIN
  SELECT amount_currency, sum(amount) AS total INTO bad
    FROM billing_ledgerentry WHERE journal_id = NEW.journal_id
    GROUP BY amount_currency HAVING sum(amount) <> 0 LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'journal % does not balance: % %', NEW.journal_id, bad.total, bad.amount_currency;
  END IF;
  RETURN NULL;
END $$;

CREATE CONSTRAINT TRIGGER ledgerentry_journal_balances AFTER INSERT ON billing_ledgerentry
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION paydesk_journal_balances();
"""

DROP = """
DROP TRIGGER ledgerentry_journal_balances ON billing_ledgerentry;
DROP FUNCTION paydesk_journal_balances();
DROP TRIGGER auditevent_append_only ON core_auditevent;
DROP TRIGGER journal_append_only ON billing_journal;
DROP TRIGGER ledgerentry_append_only ON billing_ledgerentry;
DROP FUNCTION paydesk_refuse_change();
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(GUARDS, params=None)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP, params=None)


class Migration(migrations.Migration):
    dependencies = [("billing", "0001_initial"), ("core", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
