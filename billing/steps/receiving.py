"""Money received outside the gateway (another system, cash, a check, a transfer, an event):
recorded as a succeeded payment and posted by the same `apply_payment` as a capture, with no
gateway call, so nothing here waits on the network."""

from django.contrib.auth.models import User

from billing.models import Account, Invoice, Payment
from billing.steps.charging import apply_payment
from core import audit, clock, money


def receive_outside(
    invoice: Invoice, *, amount, method: str, reference: str, paid_at, actor: User, reason: str = ""
) -> Payment:
    """Record money received outside the gateway against a locked invoice."""
    payment = Payment.objects.create(
        contact=invoice.contact,
        invoice=invoice,
        amount=amount,
        amount_refunded=money.zero(invoice.currency),
        status=Payment.Status.SUCCEEDED,
        method=method,
        reference=reference,
        paid_at=paid_at or clock.now(),
        created_at=clock.now(),
        actor=actor if getattr(actor, "pk", None) else None,
    )
    apply_payment(invoice, payment, Account.EXTERNAL, actor=actor, kind="payment_recorded")
    audit.record(
        "payment.recorded",
        payment,
        actor=actor,
        reason=reason,
        contact_id=invoice.contact_id,
        amount=amount,
        after={"method": method, "reference": reference},
    )
    return payment
