"""What billing announces to dunning, the app above it, after a change commits. Billing never
imports dunning: dunning connects to these signals. Billing's own follow-ups (fulfilment,
commissions) are called, not signalled: billing.followups.

Every signal is sent from `transaction.on_commit`, so a rolled-back change announces nothing.
"""

from django.db import transaction
from django.dispatch import Signal

payment_failed = Signal()  # payment, hard (a decline no retry can fix: dunning stops on it)
invoice_paid = Signal()  # invoice
invoice_voided = Signal()  # invoice
invoice_written_off = Signal()  # invoice
invoice_reopened = Signal()  # invoice (write-off reversed)
card_added = Signal()  # payment_method, actor


def announce(signal: Signal, **kwargs) -> None:
    transaction.on_commit(lambda: signal.send(sender=None, **kwargs), robust=False)
