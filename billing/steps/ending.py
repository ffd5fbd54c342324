"""Ending an order together with the invoice that was its reason to exist."""

from django.contrib.auth.models import User

from billing import followups
from billing.models import Invoice, Order
from billing.steps.order_changes import record_change, require_live
from billing.transitions import move

# A paused order still has terms to end.
LIVE = (Order.Status.ACTIVE, Order.Status.TRIALING, Order.Status.PAST_DUE, Order.Status.PAUSED)


def order_billed_by(invoice: Invoice) -> Order | None:
    """The live order an invoice bills a period of, or the one its sale opened."""
    if invoice.order_id:
        order = invoice.order
    else:
        order = Order.objects.filter(source_invoice=invoice).order_by("pk").first()
    return order if order is not None and order.status in LIVE else None


def cancel_with(order: Order, invoice: Invoice, *, actor: User, reason: str) -> None:
    """Cancel a locked order now, in the transaction that voids its invoice: one versioned
    change and one audit row for the order, next to the invoice's own."""
    require_live(order, "cancel this order", statuses=LIVE)
    before = {"status": order.status, "next_charge_on": str(order.next_charge_on)}
    move(order, Order.Status.CANCELLED, what="cancel this order")
    order.next_charge_on = None
    order.save()
    after = {"at": "now", "with_void_of": invoice.number}
    record_change(order, "cancelled", before, after, actor=actor, reason=reason)
    followups.order_cancelled(order)
    followups.order_ended(order)
