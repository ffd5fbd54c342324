"""What billing announces after a change commits. Listeners (fulfilment, commissions, dunning)
must not be imported by billing: they connect to these signals.

Every signal is sent from `transaction.on_commit`, so a rolled-back change announces nothing.
"""

from django.db import transaction
from django.dispatch import Signal

payment_succeeded = Signal()  # payment
payment_failed = Signal()  # payment, hard (a decline no retry can fix: dunning stops on it)
invoice_paid = Signal()  # invoice
invoice_voided = Signal()  # invoice
invoice_written_off = Signal()  # invoice
invoice_reopened = Signal()  # invoice (write-off reversed)
refund_succeeded = Signal()  # refund
card_added = Signal()  # payment_method, actor


def announce(signal: Signal, **kwargs) -> None:
    transaction.on_commit(lambda: signal.send(sender=None, **kwargs), robust=False)


order_ended = Signal()  # order (cancelled and its paid term is over, or a plan completed)
