"""The allowed status changes of each billing record, in one table per model.

Every status write goes through `move`, which refuses a change its table does not list, so a
new code path cannot invent a transition (django-oscar's order pipeline). A record is created
in its first status; only changes after that are listed here.
"""

from django.db import models

from billing import errors
from billing.models import ApprovalRequest, Commission, Dispute, Invoice, Order, Payment, Refund

Table = dict[str, set[str]]

INVOICE: Table = {
    Invoice.Status.OPEN: {Invoice.Status.PAID, Invoice.Status.VOID, Invoice.Status.WRITTEN_OFF},
    # A paid invoice may be voided only once its money is refunded (checked by the action).
    Invoice.Status.PAID: {Invoice.Status.VOID},
    Invoice.Status.WRITTEN_OFF: {Invoice.Status.OPEN},
    Invoice.Status.VOID: set(),
}
PAYMENT: Table = {
    Payment.Status.PENDING: {
        Payment.Status.SUCCEEDED,
        Payment.Status.FAILED,
        Payment.Status.UNKNOWN,
        Payment.Status.NOT_SENT,
    },
    Payment.Status.UNKNOWN: {
        Payment.Status.SUCCEEDED,
        Payment.Status.FAILED,
        Payment.Status.NOT_SENT,
    },
    Payment.Status.SUCCEEDED: set(),
    # A capture the gateway reports is never dropped (DESIGN invariant 10): a stalled sender
    # whose lease ran out may still get its charge through after the row was given up, and
    # Stripe may report a success for a PaymentIntent whose earlier attempt failed (webhooks).
    Payment.Status.FAILED: {Payment.Status.SUCCEEDED},
    Payment.Status.NOT_SENT: {Payment.Status.SUCCEEDED},
}
REFUND: Table = {
    Refund.Status.PENDING: {Refund.Status.SUCCEEDED, Refund.Status.FAILED, Refund.Status.UNKNOWN},
    Refund.Status.UNKNOWN: {Refund.Status.SUCCEEDED, Refund.Status.FAILED},
    # Stripe can fail a refund days after reporting it succeeded (the card was closed): the
    # money comes back and the refund is failed (billing.steps.refunding.fail_after_success).
    Refund.Status.SUCCEEDED: {Refund.Status.FAILED},
    Refund.Status.FAILED: set(),
}
# Open until the gateway closes it; the outcome is final.
DISPUTE: Table = {
    Dispute.Status.OPEN: {Dispute.Status.WON, Dispute.Status.LOST, Dispute.Status.CLOSED},
    Dispute.Status.WON: set(),
    Dispute.Status.LOST: set(),
    Dispute.Status.CLOSED: set(),
}
ORDER: Table = {
    # A trial ends when its first period is paid (active) or declined (past due).
    Order.Status.TRIALING: {
        Order.Status.ACTIVE,
        Order.Status.PAST_DUE,
        Order.Status.PAUSED,
        Order.Status.CANCELLED,
    },
    # Completed: a payment plan whose last open invoice is paid.
    Order.Status.ACTIVE: {
        Order.Status.PAST_DUE,
        Order.Status.PAUSED,
        Order.Status.CANCELLED,
        Order.Status.COMPLETED,
    },
    Order.Status.PAST_DUE: {
        Order.Status.ACTIVE,
        Order.Status.PAUSED,
        Order.Status.CANCELLED,
        Order.Status.COMPLETED,
    },
    Order.Status.PAUSED: {Order.Status.ACTIVE, Order.Status.CANCELLED, Order.Status.COMPLETED},
    # A cancelled plan's invoices stay open and collectable; paying the last one completes it.
    Order.Status.CANCELLED: {Order.Status.COMPLETED},
    Order.Status.COMPLETED: set(),
}
# Only `rerun_commissions` cancels (a pending row, when less is owed).
COMMISSION: Table = {
    Commission.Status.PENDING: {Commission.Status.APPROVED, Commission.Status.CANCELLED},
    Commission.Status.APPROVED: {Commission.Status.PAID},
    Commission.Status.PAID: set(),
    Commission.Status.CANCELLED: set(),
}
# A request is decided once: approved (and carried out), declined, or refused because what
# the rep was shown no longer holds.
APPROVAL: Table = {
    ApprovalRequest.Status.PENDING: {
        ApprovalRequest.Status.APPROVED,
        ApprovalRequest.Status.DECLINED,
        ApprovalRequest.Status.REFUSED,
    },
    ApprovalRequest.Status.APPROVED: set(),
    ApprovalRequest.Status.DECLINED: set(),
    ApprovalRequest.Status.REFUSED: set(),
}
TABLES: dict[type[models.Model], Table] = {
    Invoice: INVOICE,
    Payment: PAYMENT,
    Refund: REFUND,
    Order: ORDER,
    Commission: COMMISSION,
    Dispute: DISPUTE,
    ApprovalRequest: APPROVAL,
}


def check_in(table: Table, obj: models.Model, new: str, *, what: str, noun: str = "") -> None:
    """Refuse `new` unless `table` allows it from the record's current status."""
    if new not in table[obj.status]:
        label = type(obj).Status(obj.status).label.lower()
        noun = noun or type(obj).__name__.lower()
        raise errors.InvalidTransition(f"Cannot {what}: the {noun} is {label}.")


def move_in(table: Table, obj: models.Model, new: str, *, what: str, noun: str = "") -> str:
    """Check and apply a transition in memory; returns the old status for the audit event."""
    check_in(table, obj, new, what=what, noun=noun)
    old, obj.status = obj.status, new
    return old


def check(
    obj: Invoice | Payment | Refund | Order | Commission | Dispute, new: str, *, what: str
) -> None:
    check_in(TABLES[type(obj)], obj, new, what=what)


def move(
    obj: Invoice | Payment | Refund | Order | Commission | Dispute, new: str, *, what: str
) -> str:
    """Check and apply a transition in memory; returns the old status for the audit event."""
    return move_in(TABLES[type(obj)], obj, new, what=what)
