"""The allowed status changes of each billing record, in one table per model."""

from billing import errors
from billing.models import Invoice, Payment, Refund

INVOICE = {
    Invoice.Status.OPEN: {Invoice.Status.PAID, Invoice.Status.VOID, Invoice.Status.WRITTEN_OFF},
    # A paid invoice may be voided only once its money is refunded (checked by the action).
    Invoice.Status.PAID: {Invoice.Status.VOID},
    Invoice.Status.WRITTEN_OFF: {Invoice.Status.OPEN},
    Invoice.Status.VOID: set(),
}
PAYMENT = {
    Payment.Status.PENDING: {
        Payment.Status.SUCCEEDED,
        Payment.Status.FAILED,
        Payment.Status.UNKNOWN,
    },
    Payment.Status.UNKNOWN: {Payment.Status.SUCCEEDED, Payment.Status.FAILED},
    Payment.Status.SUCCEEDED: set(),
    Payment.Status.FAILED: set(),
}
REFUND = {
    Refund.Status.PENDING: {Refund.Status.SUCCEEDED, Refund.Status.FAILED, Refund.Status.UNKNOWN},
    Refund.Status.UNKNOWN: {Refund.Status.SUCCEEDED, Refund.Status.FAILED},
    Refund.Status.SUCCEEDED: set(),
    Refund.Status.FAILED: set(),
}
_TABLES = {Invoice: INVOICE, Payment: PAYMENT, Refund: REFUND}


def check(obj: Invoice | Payment | Refund, new: str, *, what: str) -> None:
    allowed = _TABLES[type(obj)][obj.status]
    if new not in allowed:
        label = type(obj).Status(obj.status).label.lower()
        raise errors.InvalidTransition(
            f"Cannot {what}: the {type(obj).__name__.lower()} is {label}."
        )


def move(obj: Invoice | Payment | Refund, new: str, *, what: str) -> str:
    """Check and apply a transition in memory; returns the old status for the audit event."""
    check(obj, new, what=what)
    old, obj.status = obj.status, new
    return old
