"""Benchmark volume: a million invoices in minutes, written set-based by PostgreSQL itself.

This is NOT how money is made in Paydesk: the rep actions (billing.actions) take row locks,
check limits, call the gateway and post one journal per action, at a few hundred a second.
Benchmarks need the books such use would leave after years, so each batch computes every
invoice's facts once in a temporary table (`volume`, one row per invoice, ids drawn from the
tables' own sequences) and then fills each table with one INSERT ... SELECT: invoices, lines,
payments and refunds (money received and paid back outside the gateway, so no gateway holds a
record of them), journals, ledger entries and audit events. The journals are the ones the
actions post (invoice_issued, payment_recorded, refund, invoice_voided, invoice_written_off)
with the same entries, so they balance per currency and `verify_ledger` passes.

The ledger's PostgreSQL guards check each journal row by row at commit, as do the foreign keys:
at a million invoices that is most of the time. Connected as a superuser, a batch turns them
off for its own transaction (`session_replication_role = replica`) and checks the same rules
set-based before it commits instead: every journal of the batch balances per currency and
every row it wrote points at rows that exist. Any other role keeps the row-by-row guards.
"""

import datetime as dt

from django.db import connection, transaction

from core import money

CURRENCIES = ["USD", "EUR", "GBP", "JPY", "KWD"]
METHODS = ["bank_transfer", "cash", "check", "other_system", "event"]

# One row per invoice. Shares by n % 100: 85 paid (every 50th of those refunded in full),
# 10 open, 3 void, 2 written off. Every other invoice has a 10% discount line.
FACTS = """
CREATE TEMP TABLE volume AS
WITH base AS (
  SELECT g AS n,
         who.contact_id, who.currency,
         (SELECT e FROM unnest(%(currencies)s::text[], %(exponents)s::int[]) AS x(c, e)
           WHERE c = who.currency) AS exp,
         %(newest)s::timestamptz - (%(total_last)s - g) * %(step)s::interval AS issued_at,
         500 + (g * 7919) %% 20000 AS p1,
         100 + (g * 104729) %% 5000 AS p2,
         CASE WHEN g %% 2 = 0 THEN (500 + (g * 7919) %% 20000) / 10 ELSE 0 END AS d,
         CASE WHEN g %% 100 < 85 THEN 'paid' WHEN g %% 100 < 95 THEN 'open'
              WHEN g %% 100 < 98 THEN 'void' ELSE 'written_off' END AS status,
         (%(actors)s::bigint[])[1 + g %% greatest(cardinality(%(actors)s::bigint[]), 1)] AS actor_id
  FROM generate_series(%(first)s::bigint, %(last)s::bigint) AS g
  JOIN unnest(%(contacts)s::bigint[], %(contact_currencies)s::text[])
       WITH ORDINALITY AS who(contact_id, currency, slot)
    ON who.slot = 1 + g %% cardinality(%(contacts)s::bigint[])
)
SELECT b.*, p1 + p2 - d AS total,
       b.status = 'paid' AND b.n %% 50 = 1 AS refunded,
       nextval(pg_get_serial_sequence('billing_invoice', 'id')) AS invoice_id,
       nextval(pg_get_serial_sequence('billing_journal', 'id')) AS issue_journal,
       CASE WHEN b.status = 'paid'
            THEN nextval(pg_get_serial_sequence('billing_journal', 'id')) END AS pay_journal,
       CASE WHEN b.status = 'paid'
            THEN nextval(pg_get_serial_sequence('billing_payment', 'id')) END AS payment_id,
       CASE WHEN b.status IN ('void', 'written_off')
            THEN nextval(pg_get_serial_sequence('billing_journal', 'id')) END AS close_journal,
       CASE WHEN b.status = 'paid' AND b.n %% 50 = 1
            THEN nextval(pg_get_serial_sequence('billing_journal', 'id')) END AS refund_journal,
       CASE WHEN b.status = 'paid' AND b.n %% 50 = 1
            THEN nextval(pg_get_serial_sequence('billing_refund', 'id')) END AS refund_id
FROM base AS b;
"""

# Minor units to the stored amount (numeric(19,3)) of the row's currency.
_M = "(({x})::numeric / 10 ^ v.exp)::numeric(19, 3)"
_CLOSED = "v.issued_at + interval '1 hour'"

FILL = [
    f"""
INSERT INTO billing_invoice (id, contact_id, currency, status, source, event_name, issued_at,
                             closed_at, created_by_id)
SELECT v.invoice_id, v.contact_id, v.currency, v.status,
       (ARRAY['phone', 'event', 'other_system'])[1 + v.n %% 3],
       CASE WHEN v.n %% 3 = 1 THEN 'Volume fair' ELSE '' END,
       v.issued_at, CASE WHEN v.status = 'open' THEN NULL ELSE {_CLOSED} END, v.actor_id
FROM volume AS v""",
    f"""
INSERT INTO billing_invoiceline (invoice_id, kind, product_id, description, quantity,
                                 unit_price, unit_price_currency, amount, amount_currency,
                                 terms, created_at)
SELECT v.invoice_id, l.kind, l.product_id, l.description, 1,
       {_M.format(x="l.minor")}, v.currency, {_M.format(x="l.minor")}, v.currency,
       '{{}}'::jsonb, v.issued_at
FROM volume AS v
CROSS JOIN LATERAL (VALUES
  (1, 'item', %(course)s::bigint, 'Volume course', v.p1),
  (2, 'item', %(membership)s::bigint, 'Volume membership', v.p2),
  (3, 'discount', NULL::bigint, 'Discount 10%%', -v.d)
) AS l(pos, kind, product_id, description, minor)
WHERE l.minor <> 0
ORDER BY v.invoice_id, l.pos""",
    """
INSERT INTO billing_payment (id, contact_id, invoice_id, amount, amount_currency,
                             amount_refunded, amount_refunded_currency, status, method, gateway,
                             gateway_ref, decline_code, message, reference, paid_at, created_at,
                             actor_id)
SELECT v.payment_id, v.contact_id, v.invoice_id, {total}, v.currency,
       CASE WHEN v.refunded THEN {total} ELSE 0 END, v.currency, 'succeeded',
       (%(methods)s::text[])[1 + v.n %% cardinality(%(methods)s::text[])], '', '', '', '',
       'VOL-' || v.n, {closed}, {closed}, v.actor_id
FROM volume AS v WHERE v.payment_id IS NOT NULL""".format(
        total=_M.format(x="v.total"), closed=_CLOSED
    ),
    f"""
INSERT INTO billing_refund (id, payment_id, amount, amount_currency, status, settle,
                            gateway_ref, message, reason, from_credit, overpayment, created_at,
                            actor_id)
SELECT v.refund_id, v.payment_id, {_M.format(x="v.total")}, v.currency, 'succeeded', 'outside',
       '', '', 'Customer changed their mind', false, false, v.issued_at + interval '2 hours',
       v.actor_id
FROM volume AS v WHERE v.refund_id IS NOT NULL""",
    f"""
INSERT INTO billing_journal (id, kind, memo, created_at, contact_id, invoice_id, actor_id)
SELECT j.id, j.kind, j.memo, j.at, v.contact_id, v.invoice_id, v.actor_id
FROM volume AS v
CROSS JOIN LATERAL (VALUES
  (v.issue_journal, 'invoice_issued', '', v.issued_at),
  (v.pay_journal, 'payment_recorded', '', {_CLOSED}),
  (v.close_journal, CASE WHEN v.status = 'void' THEN 'invoice_voided'
                         ELSE 'invoice_written_off' END, 'Volume data', {_CLOSED}),
  (v.refund_journal, 'refund', 'Customer changed their mind', v.issued_at + interval '2 hours')
) AS j(id, kind, memo, at)
WHERE j.id IS NOT NULL
ORDER BY j.id""",
    # Each journal's entries as billing.ledger.post writes them: debits positive.
    f"""
INSERT INTO billing_ledgerentry (journal_id, account, contact_id, invoice_id, amount,
                                 amount_currency)
SELECT e.journal_id, e.account, v.contact_id, v.invoice_id, {_M.format(x="e.minor")}, v.currency
FROM volume AS v
CROSS JOIN LATERAL (VALUES
  (v.issue_journal, 'revenue', -v.p1),
  (v.issue_journal, 'revenue', -v.p2),
  (v.issue_journal, 'discounts', v.d),
  (v.issue_journal, 'receivable', v.total),
  (v.pay_journal, 'external', v.total),
  (v.pay_journal, 'receivable', -v.total),
  (v.close_journal, CASE WHEN v.status = 'void' THEN 'revenue' ELSE 'bad_debt' END, v.total),
  (v.close_journal, 'receivable', -v.total),
  (v.refund_journal, 'refunds', v.total),
  (v.refund_journal, 'external', -v.total)
) AS e(journal_id, account, minor)
WHERE e.journal_id IS NOT NULL AND e.minor <> 0
ORDER BY e.journal_id""",
    f"""
INSERT INTO core_auditevent (created_at, actor_id, action, reason, contact_id, subject_type_id,
                             subject_id, amount, amount_currency, before, after)
SELECT a.at, v.actor_id, a.action, a.reason, v.contact_id, a.type_id, a.subject_id,
       {_M.format(x="v.total")}, v.currency, '{{}}'::jsonb, '{{}}'::jsonb
FROM volume AS v
CROSS JOIN LATERAL (VALUES
  (v.invoice_id, %(invoice_type)s::int, 'invoice.issued', '', v.issued_at),
  (v.payment_id, %(payment_type)s::int, 'payment.recorded', '', {_CLOSED}),
  (CASE WHEN v.close_journal IS NOT NULL THEN v.invoice_id END, %(invoice_type)s::int,
   'invoice.' || v.status, 'Volume data', {_CLOSED}),
  (v.refund_id, %(refund_type)s::int, 'refund.succeeded', 'Customer changed their mind',
   v.issued_at + interval '2 hours')
) AS a(subject_id, type_id, action, reason, at)
WHERE a.subject_id IS NOT NULL""",
]


# Run before commit when the row-by-row guards are off; each names what it found.
CHECKS = [
    (
        "unbalanced journals",
        """SELECT count(*) FROM (
             SELECT 1 FROM billing_ledgerentry AS e JOIN volume AS v ON e.invoice_id = v.invoice_id
             GROUP BY e.journal_id, e.amount_currency HAVING sum(e.amount) <> 0) AS bad""",
    ),
    (
        "ledger entries of a missing journal",
        """SELECT count(*) FROM billing_ledgerentry AS e JOIN volume AS v USING (invoice_id)
           WHERE NOT EXISTS (SELECT 1 FROM billing_journal AS j WHERE j.id = e.journal_id)""",
    ),
    (
        "invoices of a missing contact",
        """SELECT count(*) FROM volume AS v
           WHERE NOT EXISTS (SELECT 1 FROM contacts_contact AS c WHERE c.id = v.contact_id)""",
    ),
]


def exponents() -> list[int]:
    return [money.exponent(c) for c in CURRENCIES]


def insert_batch(
    *,
    first: int,
    last: int,
    total_last: int,
    newest: dt.datetime,
    step: dt.timedelta,
    contacts: list[tuple[int, str]],
    actors: list[int],
    products: dict[str, int],
    types: dict[str, int],
) -> None:
    """Invoices number `first`..`last` of a run whose newest (`total_last`) is issued at
    `newest`, each `step` after the one before, spread over `contacts` in turn."""
    params = {
        "first": first,
        "last": last,
        "total_last": total_last,
        "newest": newest,
        "step": step,
        "currencies": CURRENCIES,
        "exponents": exponents(),
        "contacts": [c for c, _ in contacts],
        "contact_currencies": [cur for _, cur in contacts],
        "actors": actors,
        "methods": METHODS,
        **products,
        **types,
    }
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
        guards_off = cursor.fetchone()[0]
        if guards_off:
            cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute(FACTS, params)
        for statement in FILL:
            cursor.execute(statement, params)
        if guards_off:
            for name, sql in CHECKS:
                cursor.execute(sql)
                if found := cursor.fetchone()[0]:
                    raise AssertionError(f"seed_volume wrote {found} {name}")
        # Dropped here, not ON COMMIT: inside an outer transaction (a test) the next batch
        # would find it still there.
        cursor.execute("DROP TABLE volume")
