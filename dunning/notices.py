"""Dunning notices: rendered from the policy's templates with plain values only (the sandbox of
dunning.notice_templates), sent once per (case, kind, attempt) by the `send_notice` task."""

import datetime as dt

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.utils.html import escape

from billing.selectors import amount_due, invoice_total
from core import clock
from core.money import format_money
from dunning import notice_templates
from dunning.models import DunningCase, NoticeSent, NoticeTemplate


def send(case: DunningCase, kind: str, attempt: int = 0) -> bool:
    """Send the notice unless it was sent already; returns whether an email went out."""
    template = NoticeTemplate.objects.filter(policy=case.policy, kind=kind).first()
    if template is None or not case.contact.email:
        return False
    try:
        with transaction.atomic():
            NoticeSent.objects.create(
                case=case, kind=kind, attempt=attempt, to=case.contact.email, sent_at=clock.now()
            )
            values = notice_values(case, attempt)
            text = notice_templates.render(template.body_text, values)
            message = EmailMultiAlternatives(
                subject=notice_templates.render(template.subject, values),
                body=text,
                from_email=settings.DEFAULT_FROM_EMAIL,
                to=[case.contact.email],
            )
            html = (
                notice_templates.render(template.body_html, _escaped(values))
                if template.body_html
                else "<p>" + escape(text).replace("\n\n", "</p><p>").replace("\n", "<br>") + "</p>"
            )
            message.attach_alternative(html, "text/html")
            # Sent inside the transaction: if the mail server refuses, no NoticeSent row stays
            # and the next sweep's notice is not blocked.
            message.send()
    except IntegrityError:
        return False
    return True


def notice_values(case: DunningCase, attempt: int) -> dict:
    """What a notice may say, as plain strings: the names of notice_templates.VARIABLES."""
    contact, invoice, locale = case.contact, case.invoice, case.contact.locale
    return {
        "contact": {
            "first_name": contact.first_name,
            "last_name": contact.last_name,
            "name": contact.name,
        },
        "invoice": {
            "number": invoice.number,
            "total": format_money(invoice_total(invoice), locale),
            "issued_on": _date(invoice.issued_at),
        },
        "amount_due": format_money(amount_due(invoice), locale),
        "next_attempt_on": _date(case.next_attempt_at),
        "attempt": str(attempt),
    }


def _escaped(values: dict) -> dict:
    # The HTML body's engine does not escape (one engine for both bodies), so the values are.
    return {
        k: {kk: escape(vv) for kk, vv in v.items()} if isinstance(v, dict) else escape(v)
        for k, v in values.items()
    }


def _date(moment: dt.datetime | None) -> str:
    return f"{moment:%d %b %Y}" if moment else "no further date"
