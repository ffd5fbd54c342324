"""What an invoice document shows; the printable page and the email render the same context."""

from billing.models import Invoice
from billing.selectors import (
    amount_due,
    amount_paid,
    amount_refunded,
    credit_applied,
    invoice_total,
)


def invoice_context(invoice: Invoice) -> dict:
    return {
        "invoice": invoice,
        # Paydesk's invoices are payable on receipt: no payment terms in days exist yet.
        "due_on": invoice.issued_at.date(),
        "contact": invoice.contact,
        "lines": list(invoice.lines.select_related("product")),
        "total": invoice_total(invoice),
        "credit_applied": credit_applied(invoice),
        "paid": amount_paid(invoice),
        "refunded": amount_refunded(invoice),
        "due": amount_due(invoice),
        "payments": list(invoice.payments.filter(status="succeeded").order_by("created_at")),
    }
