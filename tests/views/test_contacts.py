"""The contact screens: search, keyset pages, create and edit, and the record's panels."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from billing.actions import SaleLine, record_sale, refund_payment
from contacts.models import Contact
from tests.conftest import usd
from tests.factories import ContactFactory
from tests.views.conftest import HTMX, text


def test_the_contacts_list_requires_login(client):
    response = client.get(reverse("contacts:contact-list"))
    assert response.status_code == 302


def test_an_outsider_cannot_see_contacts(outsider_client, contact):
    assert outsider_client.get(reverse("contacts:contact-list")).status_code == 403
    assert outsider_client.get(contact.get_absolute_url()).status_code == 403


@pytest.mark.parametrize("q", ["ada love", "LOVELACE", "ada.lovelace@", "555-0101"])
def test_it_finds_a_contact_by_name_email_or_phone(rep_client, contact, q):
    contact.phone = "+1 555-0101"
    contact.save()
    ContactFactory(first_name="Grace", last_name="Hopper", email="grace@example.com")

    response = rep_client.get(reverse("contacts:contact-list"), {"q": q})

    assert "Ada Lovelace" in text(response)
    assert "Grace Hopper" not in text(response)


def test_the_list_pages_by_keyset_without_repeats(rep_client):
    ContactFactory.create_batch(55)
    first = rep_client.get(reverse("contacts:contact-list"))
    second = rep_client.get(reverse("contacts:contact-list") + first.context["next_url"])

    seen = [c.pk for c in first.context["contacts"]] + [c.pk for c in second.context["contacts"]]
    assert len(seen) == 55 == len(set(seen))
    assert second.context["next_url"] is None


def test_a_search_from_htmx_returns_only_the_results(rep_client, contact):
    response = rep_client.get(reverse("contacts:contact-list"), {"q": "ada"}, **HTMX)
    assert response.content.lstrip().startswith(b'<section id="results">')


def test_a_rep_creates_a_contact(rep_client):
    data = {"first_name": "Alan", "last_name": "Turing", "currency": "GBP", "locale": "en_GB"}
    response = rep_client.post(reverse("contacts:contact-create"), data)

    alan = Contact.objects.get(first_name="Alan")
    assert response.status_code == 302
    assert response.url == alan.get_absolute_url()
    assert alan.currency == "GBP"


def test_a_bad_locale_is_refused_at_the_field(rep_client):
    data = {"first_name": "Alan", "currency": "GBP", "locale": "xx_nowhere"}
    response = rep_client.post(reverse("contacts:contact-create"), data)

    assert response.status_code == 422
    assert "Enter a locale like en_US" in text(response)
    assert not Contact.objects.filter(first_name="Alan").exists()


def test_a_rep_edits_a_contact(rep_client, contact):
    data = {"first_name": "Ada", "last_name": "King", "currency": "USD", "locale": "en_US"}
    rep_client.post(reverse("contacts:contact-edit", args=[contact.pk]), data)
    contact.refresh_from_db()
    assert contact.last_name == "King"


def test_the_record_shows_cards_balance_invoices_payments_and_history(
    rep_client, declined_invoice, paid_invoice, card
):
    refund_payment(
        paid_invoice.payments.get(),
        amount=usd("30.00"),
        actor=paid_invoice.created_by,
        reason="Damaged box",
    )
    response = rep_client.get(paid_invoice.contact.get_absolute_url())
    page = text(response)

    assert "Visa •••• 4242" in page
    assert "$100.00" in page  # the declined invoice is still owed
    assert "Declined" in page and "Partly refunded" in page
    assert "Damaged box" in page  # the refund's reason in the history
    assert "Write off" not in page  # a rep may not write off


def test_a_manager_sees_manager_actions(manager_client, declined_invoice):
    page = text(manager_client.get(declined_invoice.contact.get_absolute_url()))
    assert "Write off" in page


def test_each_panel_refreshes_on_its_own(rep_client, paid_invoice):
    url = paid_invoice.contact.get_absolute_url()
    for panel in ("contact-header", "invoices", "payments", "history"):
        response = rep_client.get(url, {"panel": panel}, **HTMX)
        assert response.content.lstrip().startswith(f'<section id="{panel}"'.encode())
        assert response["HX-Retarget"] == f"#{panel}"


def _sell(contact, product, rep, n: int) -> None:
    for i in range(n):
        record_sale(contact, lines=[SaleLine(product)], reference=f"R-{i}", actor=rep)


def test_the_record_costs_the_same_queries_with_10_or_1000_invoices(
    rep_client, contact, product, rep, django_assert_num_queries
):
    _sell(contact, product, rep, 10)
    url = contact.get_absolute_url()
    rep_client.get(url)  # warm the session and permission caches like any later request
    with CaptureQueriesContext(connection) as ten:
        rep_client.get(url)

    _sell(contact, product, rep, 990)
    with django_assert_num_queries(len(ten.captured_queries)):
        response = rep_client.get(url)
    assert len(response.context["record"].invoices) == 50
    assert response.context["record"].next_invoices


def test_older_invoices_page_by_keyset(rep_client, contact, product, rep):
    _sell(contact, product, rep, 55)
    first = rep_client.get(contact.get_absolute_url())
    cursor = first.context["record"].next_invoices
    second = rep_client.get(contact.get_absolute_url(), {"before": cursor})

    pks = [i.pk for i in first.context["record"].invoices + second.context["record"].invoices]
    assert len(pks) == 55 == len(set(pks))
