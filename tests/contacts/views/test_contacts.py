"""The contact screens: search, keyset pages, create and edit (the record itself: tests/desk)."""

import pytest
from django.urls import reverse

from contacts.models import Contact
from tests.factories import ContactFactory
from tests.helpers import HTMX, text


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
