"""Sending an invoice by email. Money is untouched; the delivery is recorded."""

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django_q.tasks import async_task

from billing import errors
from billing.models import Invoice
from billing.permissions import require
from billing.steps import keys
from core import audit
from core.models import AuditEvent


def send_invoice(
    invoice: Invoice, *, actor: User, to: str | None = None, idempotency_key: str | None = None
) -> AuditEvent:
    """Email the invoice (HTML + text) after commit; the returned audit event records the
    delivery (recipient, actor, time). Money is untouched."""
    require(actor, "send_invoice", "send invoices")
    recipient = (to or invoice.contact.email or "").strip()
    if not recipient:
        raise errors.InvalidRequest("This contact has no email address; enter one.", field="to")
    try:
        validate_email(recipient)
    except ValidationError:
        raise errors.InvalidRequest("Enter a valid email address.", field="to") from None

    with transaction.atomic(durable=True):
        slot = keys.claim(idempotency_key, "send_invoice", {"invoice": invoice.pk, "to": recipient})
        if slot.prior:
            return slot.prior
        event = audit.record(
            "invoice.sent",
            invoice,
            actor=actor,
            contact_id=invoice.contact_id,
            after={"to": recipient},
        )
        transaction.on_commit(
            lambda: async_task("billing.tasks.send_invoice_email", invoice.pk, recipient)
        )
        slot.fill(event)
    return event
