"""The emails the customer receives about their money: the invoice, a receipt for each
payment, the confirmation of each refund, and the cancellation of an order. HTML and text from
templates under billing/email/, each with the signed links to the customer's own pages
(billing.links).

Receipts, refunds and cancellations are sent once each (billing.models.CustomerEmail): the row
is written in the transaction that sends, so a repeated task sends nothing, and a mail server
that refuses leaves no row, so a retried task sends it.
"""

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string

from billing import links
from billing.documents import invoice_context
from billing.models import CustomerEmail, Invoice, Order, Payment, Refund
from core import clock

# Money a rep recorded as taken by another system: that system sends its own receipt.
NO_RECEIPT = (Payment.Method.OTHER_SYSTEM,)


def _seller() -> dict:
    return {"name": settings.PAYDESK_SELLER_NAME, "address": settings.PAYDESK_SELLER_ADDRESS}


def _send(template: str, subject: str, to: str, context: dict) -> None:
    context = {"seller": _seller(), "link_days": settings.PAYDESK_CUSTOMER_LINK_DAYS, **context}
    message = EmailMultiAlternatives(
        subject=subject,
        body=render_to_string(f"billing/email/{template}.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[to],
    )
    message.attach_alternative(
        render_to_string(f"billing/email/{template}.html", context), "text/html"
    )
    message.send()


def invoice_links(invoice: Invoice) -> dict:
    return {"invoice_url": links.invoice_url(invoice), "pdf_url": links.invoice_pdf_url(invoice)}


def send_invoice(invoice: Invoice, to: str) -> None:
    """The invoice a rep sent (send_invoice): every time they send it."""
    context = {**invoice_context(invoice), **invoice_links(invoice)}
    context["card_url"] = links.card_url(invoice.contact)
    _send("invoice", f"Invoice {invoice.number} from {settings.PAYDESK_SELLER_NAME}", to, context)


def _once(kind: str, subject_id: int, contact, render) -> bool:
    """Send `render()` (template, subject, context) to the contact unless sent already."""
    if not contact.email:
        return False
    try:
        with transaction.atomic():
            CustomerEmail.objects.create(
                kind=kind,
                subject_id=subject_id,
                contact=contact,
                sent_to=contact.email,
                sent_at=clock.now(),
            )
            template, subject, context = render()
            _send(template, subject, contact.email, context)
    except IntegrityError:
        return False
    return True


def send_receipt(payment: Payment) -> bool:
    if payment.method in NO_RECEIPT or payment.status != Payment.Status.SUCCEEDED:
        return False
    invoice = payment.invoice

    def render():
        context = {**invoice_context(invoice), **invoice_links(invoice), "payment": payment}
        return "receipt", f"Receipt for {invoice.number}", context

    return _once(CustomerEmail.Kind.RECEIPT, payment.pk, payment.contact, render)


def send_refund_confirmation(refund: Refund) -> bool:
    if refund.status != Refund.Status.SUCCEEDED:
        return False
    payment = refund.payment
    invoice = payment.invoice

    def render():
        context = {
            **invoice_context(invoice),
            **invoice_links(invoice),
            "refund": refund,
            "payment": payment,
        }
        return "refund", f"Refund on {invoice.number}", context

    return _once(CustomerEmail.Kind.REFUND, refund.pk, payment.contact, render)


def send_cancellation(order: Order) -> bool:
    if order.status != Order.Status.CANCELLED and not order.cancel_at:
        return False  # reinstated before the task ran: nothing was cancelled

    def render():
        context = {
            "contact": order.contact,
            "order": order,
            "ends_on": order.cancel_at,
        }
        return "cancellation", f"Your {order.product.name} is cancelled", context

    return _once(CustomerEmail.Kind.CANCELLATION, order.pk, order.contact, render)
