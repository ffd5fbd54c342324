"""Every dunning notice carries the customer's signed links (pay the invoice, update the card)
instead of asking for a reply, whatever its policy's template says."""

import datetime as dt
import re

import pytest
from django.core import mail
from django.test import Client

from billing import actions
from billing.actions import SaleLine
from billing.gateways.sandbox import SandboxGateway
from billing.models import Invoice, Order
from billing.tasks import charge_due_orders
from core import clock
from dunning.models import DunningCase, NoticeTemplate
from offers.terms import PaymentTerms
from tests.helpers import sandbox_setup

SOLD = dt.datetime(2027, 1, 1, 9, tzinfo=dt.UTC)
PAY = re.compile(r"Pay online: http://127\.0\.0\.1:8000(/pay/[^\s]+/)")
CARD = re.compile(r"http://127\.0\.0\.1:8000(/pay/card/[^\s]+/)")


def decline_renewal(contact, card, product, rep, capture) -> DunningCase:
    with clock.frozen_at(SOLD):
        sold = actions.charge_sale(
            contact, lines=[SaleLine(product, terms=PaymentTerms.subscription())],
            payment_method=card, actor=rep,
        )  # fmt: skip
    order = Order.objects.get(source_invoice=sold)
    SandboxGateway().set_card_behaviour(card.token, "pm_card_chargeDeclined")
    mail.outbox.clear()
    with clock.frozen_at(SOLD + dt.timedelta(days=31)), capture(execute=True):
        charge_due_orders()
    return DunningCase.objects.get(order=order)


def notice(case: DunningCase):
    [message] = [m for m in mail.outbox if case.invoice.number in m.subject]
    return message


def test_the_first_notice_links_to_paying_and_to_a_new_card(
    contact, card, product, rep, django_capture_on_commit_callbacks
):
    case = decline_renewal(contact, card, product, rep, django_capture_on_commit_callbacks)
    message = notice(case)
    assert "reply to this email" not in message.body
    assert "If your card has changed, update it here: http://127.0.0.1:8000/pay/card/" in (
        message.body
    )
    [pay] = PAY.findall(message.body)
    cards = set(CARD.findall(message.body))
    assert len(cards) == 1  # named in the next step, not repeated at the end
    html, _ = message.alternatives[0]
    assert "/pay/card/" in html and "/pay/" in html
    client = Client()
    assert client.get(cards.pop()).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        client.post(pay, {"setup": sandbox_setup(contact), "key": "from-the-notice"})
    case.refresh_from_db()
    assert case.status == DunningCase.Status.RECOVERED
    assert case.invoice.status == Invoice.Status.PAID


@pytest.mark.parametrize("body_html", ["", "<p>Hello {{ contact.first_name }}</p>"])
def test_a_template_without_links_still_gets_them(
    contact, card, product, rep, django_capture_on_commit_callbacks, body_html
):
    from dunning.policies import default_policy

    NoticeTemplate.objects.filter(policy=default_policy(), kind=NoticeTemplate.Kind.FIRST).update(
        body_text="Hello {{ contact.first_name }}, please pay.", body_html=body_html
    )
    case = decline_renewal(contact, card, product, rep, django_capture_on_commit_callbacks)
    message = notice(case)
    assert PAY.search(message.body) and CARD.search(message.body)
    html, _ = message.alternatives[0]
    if body_html:
        assert '<a href="http://127.0.0.1:8000/pay/card/' in html
    assert "Pay online" in html and "http://127.0.0.1:8000/pay/card/" in html
