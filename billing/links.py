"""Signed, expiring links to the customer's own pages: an invoice (to read, download and pay)
and a contact's card (to update). No login: the link is the customer's only credential.

A link signs what it opens and when it was issued (django.core.signing, salted per kind), so
changing one character, or pointing an invoice link at another invoice, breaks the signature.
Expiry is checked against core.clock when the link is opened, not stored in it, so shortening
PAYDESK_CUSTOMER_LINK_DAYS also retires older links, and tests travel in time with the clock.
"""

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.core import signing
from django.urls import reverse

from billing.models import Invoice
from contacts.models import Contact
from core import clock

INVOICE = "invoice"
CARD = "card"
_SALT = "paydesk.customer-link."


class LinkRefused(Exception):
    """The link is not one we issued for this page, or it has expired."""

    def __init__(self, *, expired: bool) -> None:
        super().__init__("expired" if expired else "invalid")
        self.expired = expired


@dataclass(frozen=True)
class Opened:
    pk: int
    issued_at: dt.datetime


def token_for(kind: str, pk: int) -> str:
    issued = int(clock.now().timestamp())
    return signing.dumps({"id": pk, "at": issued}, salt=_SALT + kind)


def read(kind: str, token: str) -> Opened:
    """What a link opens, or LinkRefused when it was altered, is for another kind of page, or
    is older than PAYDESK_CUSTOMER_LINK_DAYS."""
    try:
        value = signing.loads(token, salt=_SALT + kind)
        pk, issued = int(value["id"]), int(value["at"])
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        raise LinkRefused(expired=False) from None
    issued_at = dt.datetime.fromtimestamp(issued, dt.UTC)
    if clock.now() - issued_at > dt.timedelta(days=settings.PAYDESK_CUSTOMER_LINK_DAYS):
        raise LinkRefused(expired=True)
    return Opened(pk=pk, issued_at=issued_at)


def open_invoice(token: str) -> Invoice:
    opened = read(INVOICE, token)
    try:
        return Invoice.objects.select_related("contact").get(pk=opened.pk)
    except Invoice.DoesNotExist:
        raise LinkRefused(expired=False) from None


def open_contact(token: str) -> Contact:
    opened = read(CARD, token)
    try:
        return Contact.objects.get(pk=opened.pk)
    except Contact.DoesNotExist:
        raise LinkRefused(expired=False) from None


def absolute(path: str) -> str:
    """Links leave Paydesk by email, so they carry the public address of the site."""
    return settings.PAYDESK_PUBLIC_URL.rstrip("/") + path


def invoice_url(invoice: Invoice) -> str:
    return absolute(reverse("customer:invoice", args=[token_for(INVOICE, invoice.pk)]))


def invoice_pdf_url(invoice: Invoice) -> str:
    return absolute(reverse("customer:invoice-pdf", args=[token_for(INVOICE, invoice.pk)]))


def card_url(contact: Contact) -> str:
    return absolute(reverse("customer:card", args=[token_for(CARD, contact.pk)]))


def expires_on(issued_at: dt.datetime) -> dt.date:
    return (issued_at + dt.timedelta(days=settings.PAYDESK_CUSTOMER_LINK_DAYS)).date()
