"""The customer's pages behind signed links: the invoice (page, PDF, pay now) and update your
card. The link is the only credential, so these tests are about what a link opens and what it
refuses as much as about the money."""

import datetime as dt

import pytest
from django.test import Client, override_settings
from django.urls import reverse

from billing import links
from billing.actions import SaleLine, add_card, charge_sale
from billing.customer import CARDS_PER_WINDOW, TOO_MANY_CARDS
from billing.models import Invoice, Payment, PaymentMethod, SandboxTransaction
from core import clock
from core.models import AuditEvent
from core.roles import CUSTOMER_USERNAME
from dunning.models import DunningCase
from tests.helpers import counts, sandbox_setup, text

NOW = dt.datetime(2027, 3, 1, 9, tzinfo=dt.UTC)


@pytest.fixture
def declined(declined_invoice, contact, manager, paid_invoice):
    """An open $100 invoice whose card was declined; the contact also has a paid invoice, a
    phone number and a card on file, none of which the invoice's page may show."""
    contact.phone = "+1 555 0100"
    contact.save()
    return declined_invoice


def invoice_link(invoice: Invoice) -> str:
    return reverse("customer:invoice", args=[links.token_for(links.INVOICE, invoice.pk)])


def charges() -> int:
    return SandboxTransaction.objects.filter(kind="charge").count()


def test_a_valid_link_shows_the_invoice_and_nothing_else_of_the_contact(
    client, declined, paid_invoice, contact
):
    page = text(client.get(invoice_link(declined)))
    assert f"Invoice {declined.number}" in page
    assert "Paydesk Demo Ltd" in page and "1 Example Street" in page
    assert "Masterclass" in page and "$100.00" in page
    assert "Pay $100.00 now" in page
    for private in (contact.email, contact.phone, paid_invoice.number, "•••• 4242"):
        assert private not in page
    assert 'href="/contacts' not in page and "Log out" not in page  # no rep navigation


def test_the_pdf_is_the_invoice(client, declined):
    token = links.token_for(links.INVOICE, declined.pk)
    response = client.get(reverse("customer:invoice-pdf", args=[token]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-")
    assert declined.number in response["Content-Disposition"]


def test_an_expired_link_is_refused_with_what_to_do(client, declined):
    with clock.frozen_at(NOW):
        token = links.token_for(links.INVOICE, declined.pk)
    with clock.frozen_at(NOW + dt.timedelta(days=29, hours=23)):
        assert client.get(reverse("customer:invoice", args=[token])).status_code == 200
    with clock.frozen_at(NOW + dt.timedelta(days=31)):
        response = client.get(reverse("customer:invoice", args=[token]))
        pdf = client.get(reverse("customer:invoice-pdf", args=[token]))
    assert response.status_code == 410 and pdf.status_code == 410
    page = text(response)
    assert "This link has expired" in page and "contact Paydesk Demo Ltd" in page
    assert declined.number not in page


@override_settings(PAYDESK_CUSTOMER_LINK_DAYS=7)
def test_the_expiry_follows_the_setting(client, declined):
    with clock.frozen_at(NOW):
        token = links.token_for(links.INVOICE, declined.pk)
    with clock.frozen_at(NOW + dt.timedelta(days=8)):
        assert client.get(reverse("customer:invoice", args=[token])).status_code == 410


def test_a_tampered_link_is_refused(client, declined, paid_invoice):
    token = links.token_for(links.INVOICE, declined.pk)
    other = links.token_for(links.INVOICE, paid_invoice.pk)
    forged = other.split(":")[0] + ":" + token.split(":", 1)[1]  # one's payload, other's seal
    for bad in (token[:-1] + ("A" if token[-1] != "A" else "B"), forged, "nonsense"):
        response = client.get(reverse("customer:invoice", args=[bad]))
        assert response.status_code == 404
        assert "This link is not valid" in text(response)
        assert declined.number not in text(response)


def test_a_card_link_does_not_open_an_invoice_nor_the_other_way(client, declined, contact):
    card_token = links.token_for(links.CARD, declined.pk)  # same number, other kind of page
    assert client.get(reverse("customer:invoice", args=[card_token])).status_code == 404
    invoice_token = links.token_for(links.INVOICE, contact.pk)
    assert client.get(reverse("customer:card", args=[invoice_token])).status_code == 404


def test_a_link_pays_only_its_own_invoice(client, declined, contact, product, rep, card):
    other = charge_sale(contact, lines=[SaleLine(product)], payment_method=card, actor=rep)
    assert other.status == Invoice.Status.PAID
    setup = sandbox_setup(contact)
    response = client.post(invoice_link(declined), {"setup": setup, "key": "k1"})
    assert response.status_code == 302
    declined.refresh_from_db()
    assert declined.status == Invoice.Status.PAID
    assert Payment.objects.filter(invoice=other).count() == 1


def test_pay_now_settles_the_invoice_once_on_a_double_submit(
    client, declined, django_capture_on_commit_callbacks
):
    before = charges()
    form = {"setup": sandbox_setup(declined.contact), "key": "double"}
    with django_capture_on_commit_callbacks(execute=True):
        first = client.post(invoice_link(declined), form)
        second = client.post(invoice_link(declined), form)
        another = {"setup": sandbox_setup(declined.contact), "key": "another"}
        third = client.post(invoice_link(declined), another)
    assert (first.status_code, second.status_code, third.status_code) == (302, 302, 302)
    declined.refresh_from_db()
    assert declined.status == Invoice.Status.PAID
    assert charges() == before + 1
    assert Payment.objects.filter(invoice=declined, status="succeeded").count() == 1
    page = text(client.get(invoice_link(declined)))
    assert "Thank you: your payment was received." in page
    assert "Pay now" not in page


def test_paying_records_the_customer_as_the_actor(client, declined):
    client.post(invoice_link(declined), {"setup": sandbox_setup(declined.contact), "key": "k"})
    event = AuditEvent.objects.get(action="invoice.charge_retried", subject_id=declined.pk)
    assert event.actor.username == CUSTOMER_USERNAME
    assert event.actor.get_full_name() == "Customer (signed link)"
    card = PaymentMethod.objects.filter(contact=declined.contact).latest("pk")
    assert not card.is_default  # paying once does not change the card future charges use
    assert AuditEvent.objects.get(action="card.added", subject_id=card.pk).actor == event.actor


def test_a_declined_card_is_said_at_the_field_and_the_invoice_stays_open(client, declined):
    setup = sandbox_setup(declined.contact, "pm_card_chargeCustomerFail")
    response = client.post(invoice_link(declined), {"setup": setup, "key": "d"})
    assert response.status_code == 422
    assert "Your card was declined." in text(response)
    declined.refresh_from_db()
    assert declined.status == Invoice.Status.OPEN


@pytest.mark.parametrize(
    "setup",
    ["", "pm_card_visa", "seti_" + "x" * 300, "seti_sbx nope", "<script>", "seti_sbx_unknown"],
)
def test_malformed_card_input_writes_nothing(client, declined, setup):
    before = counts()
    response = client.post(invoice_link(declined), {"setup": setup, "key": "m"})
    assert response.status_code == 422
    assert counts() == before


def test_the_pages_need_the_csrf_token(declined):
    strict = Client(enforce_csrf_checks=True)
    setup = sandbox_setup(declined.contact)
    response = strict.post(invoice_link(declined), {"setup": setup, "key": "c"})
    assert response.status_code == 403
    declined.refresh_from_db()
    assert declined.status == Invoice.Status.OPEN


def test_the_cards_a_link_may_try_are_bounded(client, declined):
    for i in range(CARDS_PER_WINDOW):
        setup = sandbox_setup(declined.contact, "pm_card_chargeCustomerFail")
        client.post(invoice_link(declined), {"setup": setup, "key": f"t{i}"})
    before = charges()
    setup = sandbox_setup(declined.contact)
    response = client.post(invoice_link(declined), {"setup": setup, "key": "last"})
    assert response.status_code == 422
    assert TOO_MANY_CARDS in text(response)
    assert charges() == before


# Update your card ------------------------------------------------------------------------


@pytest.fixture
def collected(contact, card, product, rep, django_capture_on_commit_callbacks) -> DunningCase:
    """A subscription whose renewal was declined: its invoice is in collection."""
    from billing.gateways.sandbox import SandboxGateway
    from billing.models import Order
    from billing.tasks import charge_due_orders
    from offers.terms import PaymentTerms

    with clock.frozen_at(NOW):
        sold = charge_sale(
            contact, lines=[SaleLine(product, terms=PaymentTerms.subscription())],
            payment_method=card, actor=rep,
        )  # fmt: skip
    order = Order.objects.get(source_invoice=sold)
    SandboxGateway().set_card_behaviour(card.token, "pm_card_chargeDeclined")
    with (
        clock.frozen_at(NOW + dt.timedelta(days=31)),
        django_capture_on_commit_callbacks(execute=True),
    ):
        charge_due_orders()
    return DunningCase.objects.get(order=order)


def test_a_new_card_becomes_the_default_and_retries_open_collections(
    client, collected, contact, django_capture_on_commit_callbacks
):
    url = reverse("customer:card", args=[links.token_for(links.CARD, contact.pk)])
    page = text(client.get(url))
    assert "Update your card" in page and collected.invoice.number in page
    assert contact.email not in page
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"setup": sandbox_setup(contact, "pm_card_amex"), "key": "n"})
    assert response.status_code == 302
    new = PaymentMethod.objects.filter(contact=contact).latest("pk")
    assert (new.brand, new.is_default) == ("amex", True)
    assert contact.payment_methods.filter(is_default=True).count() == 1
    collected.refresh_from_db()
    assert collected.status == DunningCase.Status.RECOVERED
    assert collected.invoice.status == Invoice.Status.PAID
    added = AuditEvent.objects.get(action="card.added", subject_id=new.pk)
    assert added.actor.username == CUSTOMER_USERNAME


def test_paying_the_invoice_ends_its_collection(
    client, collected, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        setup = sandbox_setup(collected.contact)
        client.post(invoice_link(collected.invoice), {"setup": setup, "key": "p"})
    collected.refresh_from_db()
    assert collected.status == DunningCase.Status.RECOVERED
    assert collected.invoice.status == Invoice.Status.PAID


def test_an_expired_card_link_is_refused(client, contact, manager):
    add_card(contact, token="pm_card_visa", actor=manager)
    before = counts()
    with clock.frozen_at(NOW):
        token = links.token_for(links.CARD, contact.pk)
    with clock.frozen_at(NOW + dt.timedelta(days=31)):
        setup = sandbox_setup(contact, "pm_card_amex")
        response = client.post(reverse("customer:card", args=[token]), {"setup": setup})
    assert response.status_code == 410
    assert counts() == before
