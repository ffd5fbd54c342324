"""Dunning notices: rendered from the policy's templates, sent once per (case, kind, attempt)
by the `send_notice` task (dunning.tasks)."""

import datetime as dt

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.template import Context, Template
from django.utils.html import escape
from djmoney.money import Money

from billing.models import Account, Invoice
from billing.selectors import account_balance, amount_due
from core import clock
from core.money import format_money
from dunning.cases import usable_cards
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
                    "amount_due": format_money(owed(case), case.contact.locale),
                    "next_attempt_on": _date(case.next_attempt_at),
                    "next_step": next_step(case, kind),
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


def owed(case: DunningCase) -> Money:
    """What the customer owes on the invoice, in its currency. A notice sent after the final
    action wrote the invoice off still asks for what was written off, never for 0."""
    invoice = case.invoice
    if invoice.status == Invoice.Status.WRITTEN_OFF:
        return account_balance(invoice, Account.BAD_DEBT)
    return amount_due(invoice)


def next_step(case: DunningCase, kind: str) -> str:
    """What happens next, in the customer's words: a retry date only when one is scheduled on
    a card that can still be charged; otherwise what the customer should do."""
    if kind == NoticeTemplate.Kind.FINAL:
        return "We have stopped trying to charge your card. Please contact us to settle it."
    last = case.failed_at + dt.timedelta(days=max(case.policy.attempt_days(), default=0))
    if case.next_attempt_at and usable_cards(case):
        return (
            f"We will try again on {_date(case.next_attempt_at)}. If your card has changed, "
            "reply to this email and we will update it."
        )
    return (
        "We will not charge that card again. Please reply to this email with a new card "
        f"before {_date(last)} to settle it."
    )


def _date(moment: dt.datetime | None) -> str:
    return f"{moment:%d %b %Y}" if moment else ""
