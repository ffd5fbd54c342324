"""What billing announces to dunning, the app above it, after a change commits. Billing never
imports dunning: dunning connects to these signals. Billing's own follow-ups (fulfilment,
commissions) are called, not signalled: billing.followups.

Every signal is sent from `transaction.on_commit`, so a rolled-back change announces nothing.
Receivers only enqueue work (dunning.tasks), and a receiver that raises is logged, never
propagated: the change has committed, so the rep must see it succeed, and the other receivers
and on-commit callbacks must still run. The sweeps find whatever a lost receiver left undone.
"""

import logging

from django.db import transaction
from django.dispatch import Signal

log = logging.getLogger(__name__)

payment_failed = Signal()  # payment, hard (a decline no retry can fix on that card)
payments_failed = Signal()  # payments: a batch of soft declines (billing.steps.retries)
charge_skipped = Signal()  # invoice, decline_code (an order period billed without a usable card)
invoice_paid = Signal()  # invoice
invoices_paid = Signal()  # invoices: a batch the renewal sweep paid (billing.steps.renewals)
invoice_voided = Signal()  # invoice
invoice_written_off = Signal()  # invoice
invoice_reopened = Signal()  # invoice (write-off reversed)
card_added = Signal()  # payment_method, actor, retry_collections (the rep's choice)


def announce(signal: Signal, **kwargs) -> None:
    transaction.on_commit(lambda: send(signal, **kwargs))


def send(signal: Signal, **kwargs) -> None:
    for receiver, outcome in signal.send_robust(sender=None, **kwargs):
        if isinstance(outcome, Exception):
            log.error(
                "receiver %r of a billing event failed",
                receiver,
                exc_info=(type(outcome), outcome, outcome.__traceback__),
            )
