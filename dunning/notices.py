"""Dunning notices: rendered from the policy's templates with plain values only (the sandbox of
dunning.notice_templates), sent once per (case, kind, attempt) by the `send_notice` task."""

import datetime as dt

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.utils.html import escape
from djmoney.money import Money

from billing import links
from billing.models import Account, Invoice
from billing.selectors import account_balance, amount_due, invoice_total
from core import clock
from core.money import format_money
from dunning import notice_templates
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
            values = notice_values(case, attempt, kind)
            text = with_links(notice_templates.render(template.body_text, values), values)
            message = EmailMultiAlternatives(
                subject=notice_templates.render(template.subject, values),
                body=text,
                from_email=settings.DEFAULT_FROM_EMAIL,
                to=[case.contact.email],
            )
            html = (
                with_html_links(
                    notice_templates.render(template.body_html, _escaped(values)), values
                )
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


def notice_values(case: DunningCase, attempt: int, kind: str = "first") -> dict:
    """What a notice may say, as plain strings: the names of notice_templates.VARIABLES."""
    contact, invoice, locale = case.contact, case.invoice, case.contact.locale
    # Each link once: a link is stamped with the second it was made, and the notice names it
    # in its next step as well as at the end.
    pay_link, card_link = links.invoice_url(invoice), links.card_url(contact)
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
        "amount_due": format_money(owed(case), locale),
        "next_step": next_step(case, kind, card_link=card_link),
        "next_attempt_on": _date(case.next_attempt_at),
        "attempt": str(attempt),
        "pay_link": pay_link,
        "card_link": card_link,
    }


def with_links(text: str, values: dict) -> str:
    """Every notice carries the customer's links, whatever its policy's template says: the
    ones the template left out are added at the end."""
    missing = [
        f"{label}: {values[name]}"
        for name, label in (("pay_link", "Pay online"), ("card_link", "Update your card"))
        if values[name] not in text
    ]
    return "\n\n".join([text.rstrip(), "\n".join(missing)]) if missing else text


def with_html_links(html: str, values: dict) -> str:
    missing = [
        f'<a href="{escape(values[name])}">{label}</a>'
        for name, label in (("pay_link", "Pay online"), ("card_link", "Update your card"))
        if escape(values[name]) not in html
    ]
    return html + "<p>" + " &middot; ".join(missing) + "</p>" if missing else html


def _escaped(values: dict) -> dict:
    # The HTML body's engine does not escape (one engine for both bodies), so the values are.
    return {
        k: {kk: escape(vv) for kk, vv in v.items()} if isinstance(v, dict) else escape(v)
        for k, v in values.items()
    }


def owed(case: DunningCase) -> Money:
    """What the customer owes on the invoice, in its currency. A notice sent after the final
    action wrote the invoice off still asks for what was written off, never for 0."""
    invoice = case.invoice
    if invoice.status == Invoice.Status.WRITTEN_OFF:
        return account_balance(invoice, Account.BAD_DEBT)
    return amount_due(invoice)


def next_step(case: DunningCase, kind: str, *, card_link: str) -> str:
    """What happens next, in the customer's words: a retry date only when one is scheduled on
    a card that can still be charged; otherwise what the customer should do."""
    if kind == NoticeTemplate.Kind.FINAL:
        return "We have stopped trying to charge your card. Please contact us to settle it."
    last = case.failed_at + dt.timedelta(days=max(case.policy.attempt_days(), default=0))
    if case.next_attempt_at and usable_cards(case):
        return (
            f"We will try again on {_date(case.next_attempt_at)}. If your card has changed, "
            f"update it here: {card_link}"
        )
    return (
        "We will not charge that card again. Please put a new card on file before "
        f"{_date(last)} to settle it: {card_link}"
    )


def _date(moment: dt.datetime | None) -> str:
    return f"{moment:%d %b %Y}" if moment else ""
