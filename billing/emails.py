"""Emails billing sends: invoices (HTML + text), run as django-q2 tasks after commit."""

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string

from billing.documents import invoice_context
from billing.models import Invoice


def send_invoice_email(invoice_id: int, to: str) -> None:
    invoice = Invoice.objects.select_related("contact").get(pk=invoice_id)
    context = invoice_context(invoice)
    message = EmailMultiAlternatives(
        subject=f"Invoice {invoice.number} from Paydesk",
        body=render_to_string("billing/email/invoice.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[to],
    )
    message.attach_alternative(render_to_string("billing/email/invoice.html", context), "text/html")
    message.send()
