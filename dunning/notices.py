"""Dunning notices: rendered from the policy's templates, sent once per (case, kind, attempt)
by the `send_notice` task (dunning.tasks)."""

import datetime as dt

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.template import Context, Template
from django.utils.html import escape

from billing.selectors import amount_due
from core import clock
from core.money import format_money
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
            context = Context(
                {
                    "contact": case.contact,
                    "invoice": case.invoice,
                    "amount_due": format_money(amount_due(case.invoice), case.contact.locale),
                    "next_attempt_on": _date(case.next_attempt_at),
                    "attempt": attempt,
                },
                autoescape=False,
            )
            text = Template(template.body_text).render(context)
            message = EmailMultiAlternatives(
                subject=Template(template.subject).render(context),
                body=text,
                from_email=settings.DEFAULT_FROM_EMAIL,
                to=[case.contact.email],
            )
            html = (
                Template(template.body_html).render(Context(context.flatten()))
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


def _date(moment: dt.datetime | None) -> str:
    return f"{moment:%d %b %Y}" if moment else "no further date"
