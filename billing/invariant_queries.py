"""The set-based SQL behind billing.invariants' per-row checks.

Each query aggregates a table once (GROUP BY, hash joins) and returns only the rows that break
an invariant, so `verify_ledger` reads no healthy row into Python and stays at minutes at a
million invoices. Amounts are compared rounded to 3 places (the columns' scale): exact on
PostgreSQL's numeric, and it absorbs the float sums of the SQLite demo. Plain SQL both run.
"""

from collections.abc import Iterator
from decimal import Decimal

from django.db import connection

from billing.models import Account, Invoice, Payment, Refund

INVOICE_AMOUNTS = f"""
WITH lines AS (
  SELECT invoice_id, SUM(amount) AS total FROM billing_invoiceline GROUP BY invoice_id
), ledger AS (
  SELECT invoice_id,
         SUM(CASE WHEN account = '{Account.RECEIVABLE}' THEN amount ELSE 0 END) AS due,
         SUM(CASE WHEN account = '{Account.BAD_DEBT}' THEN amount ELSE 0 END) AS bad_debt,
         SUM(CASE WHEN account = '{Account.CREDIT}' THEN amount ELSE 0 END) AS credit
  FROM billing_ledgerentry WHERE invoice_id IS NOT NULL GROUP BY invoice_id
), journaled AS (
  SELECT e.invoice_id,
         SUM(CASE WHEN j.kind = 'invoice_voided' AND e.account = '{Account.REVENUE}'
             THEN e.amount ELSE 0 END) AS voided,
         SUM(CASE WHEN j.kind IN ('overpayment_refunded', 'refund_reversed')
                  AND e.account = '{Account.RECEIVABLE}'
             THEN e.amount ELSE 0 END) AS returned
  FROM billing_ledgerentry AS e JOIN billing_journal AS j ON j.id = e.journal_id
  WHERE j.kind IN ('invoice_voided', 'overpayment_refunded', 'refund_reversed')
  GROUP BY e.invoice_id
), paid AS (
  SELECT invoice_id, SUM(amount) AS paid FROM billing_payment
  WHERE status = '{Payment.Status.SUCCEEDED}' GROUP BY invoice_id
), amounts AS (
  SELECT i.id, i.status,
         ROUND(COALESCE(l.total, 0), 3) AS total,
         ROUND(COALESCE(g.due, 0), 3) AS due,
         ROUND(COALESCE(l.total, 0) - COALESCE(p.paid, 0) - COALESCE(g.bad_debt, 0)
               - COALESCE(j.voided, 0) - COALESCE(g.credit, 0) + COALESCE(j.returned, 0), 3)
           AS expected,
         ROUND(COALESCE(g.credit, 0), 3) AS credit
  FROM billing_invoice AS i
  LEFT JOIN lines AS l ON l.invoice_id = i.id
  LEFT JOIN ledger AS g ON g.invoice_id = i.id
  LEFT JOIN journaled AS j ON j.invoice_id = i.id
  LEFT JOIN paid AS p ON p.invoice_id = i.id
)
SELECT id, status, total, due, expected, credit FROM amounts
WHERE total < 0 OR credit < 0 OR due <> expected OR due < 0
   OR (status <> '{Invoice.Status.OPEN}' AND due <> 0)
   OR (status = '{Invoice.Status.OPEN}' AND due = 0 AND total > 0)
ORDER BY id
"""

REFUNDS_HELD = f"""
WITH held AS (
  SELECT payment_id, SUM(amount) AS held FROM billing_refund
  WHERE status <> '{Refund.Status.FAILED}' GROUP BY payment_id
), payments AS (
  SELECT p.id, p.status, p.amount_currency,
         ROUND(p.amount, 3) AS amount, ROUND(p.amount_refunded, 3) AS refunded,
         ROUND(COALESCE(h.held, 0), 3) AS held
  FROM billing_payment AS p LEFT JOIN held AS h ON h.payment_id = p.id
)
SELECT id, status, amount_currency, amount, refunded, held FROM payments
WHERE held > amount OR held <> refunded OR (held <> 0 AND status <> '{Payment.Status.SUCCEEDED}')
ORDER BY id
"""


def _decimal(value) -> Decimal:
    return value if isinstance(value, Decimal) else Decimal(str(value)).quantize(Decimal("0.001"))


def rows(sql: str) -> Iterator[tuple]:
    """The breaching rows of one query, amounts as Decimals."""
    with connection.cursor() as cursor:
        cursor.execute(sql)
        for row in cursor.fetchall():
            yield tuple(_decimal(v) if isinstance(v, float | Decimal) else v for v in row)
