"""Every change that matters is audited: contacts, partners, products, offers and
dunning policies, from their screens and from the admin, with actor and before/after."""

import pytest
from django.urls import reverse

from contacts.actions import update_contact
from core.errors import NotAllowed
from core.models import AuditEvent
from dunning.policies import default_policy
from offers.models import Product
from tests.factories import PartnerFactory


def test_a_contact_edit_is_audited_with_what_it_changed(rep_client, rep, contact):
    partner = PartnerFactory(name="Bob's Blog")
    contact.email = "ada@example.com"
    contact.save()
    data = {
        "first_name": "Ada",
        "last_name": "Lovelace",
        "email": "thief@example.com",
        "currency": "EUR",
        "locale": "en_US",
        "referred_by": partner.pk,
    }
    response = rep_client.post(reverse("contacts:contact-edit", args=[contact.pk]), data)
    assert response.status_code == 302

    event = AuditEvent.objects.get(action="contact.changed")
    assert event.actor == rep
    assert event.contact_id == contact.pk
    assert event.before == {"email": "ada@example.com", "currency": "USD", "referred_by": None}
    assert event.after == {
        "email": "thief@example.com",
        "currency": "EUR",
        "referred_by": str(partner.pk),
    }


def test_a_new_contact_is_audited(rep_client, rep):
    data = {"first_name": "Eve", "currency": "USD", "locale": "en_US"}
    assert rep_client.post(reverse("contacts:contact-create"), data).status_code == 302
    event = AuditEvent.objects.get(action="contact.created")
    assert event.actor == rep and event.after["first_name"] == "Eve"


def test_the_action_refuses_someone_without_the_permission(outsider, contact):
    contact.email = "x@example.com"
    with pytest.raises(NotAllowed):
        update_contact(contact, changes={"email": ""}, actor=outsider)
    assert not AuditEvent.objects.exists()


def test_products_are_audited_on_their_screens(manager_client, manager, product):
    data = {
        "name": "Masterclass",
        "sku": product.sku,
        "price_0": "120.00",
        "price_1": "USD",
        "access": "none",
        "access_days": "0",
    }
    url = reverse("offers:product-edit", args=[product.pk])
    assert manager_client.post(url, data).status_code == 302
    event = AuditEvent.objects.get(action="product.changed")
    assert event.actor == manager
    assert "100.00" in event.before["price"]
    assert "120.00" in event.after["price"]

    archive = reverse("offers:product-archive", args=[product.pk])
    assert manager_client.post(archive).status_code == 302
    event = AuditEvent.objects.get(action="product.changed", after={"active": "False"})
    assert event.before == {"active": "True"}


def test_admin_edits_of_products_and_contacts_are_audited(
    admin_client, admin_user, product, contact
):
    url = reverse("admin:offers_product_change", args=[product.pk])
    data = {
        "name": "Masterclass II",
        "sku": product.sku,
        "description": "",
        "price_0": "100.00",
        "price_1": "USD",
        "active": "on",
        "access": "none",
        "access_days": "0",
        "revoke_on_refund": "on",
    }
    assert admin_client.post(url, data).status_code == 302
    assert Product.objects.get().name == "Masterclass II"
    event = AuditEvent.objects.get(action="product.changed")
    assert event.actor == admin_user
    assert event.after == {"name": "Masterclass II"}

    edit = reverse("admin:contacts_contact_change", args=[contact.pk])
    data = {"first_name": "Ada", "last_name": "Lovelace", "email": "new@example.com"}
    data |= {"currency": "USD", "locale": "en_US", "phone": "", "company": ""}
    assert admin_client.post(edit, data).status_code == 302
    event = AuditEvent.objects.get(action="contact.changed")
    assert event.after == {"email": "new@example.com"}


def test_an_admin_edit_of_a_notice_is_in_the_policys_one_audit_event(admin_client):
    policy = default_policy()
    first = policy.notices.get(kind="first")
    url = reverse("admin:dunning_dunningpolicy_change", args=[policy.pk])
    data = {
        "name": policy.name,
        "is_default": "on",
        "interval_days": "3",
        "window_days": "90",
        "days": "",
        "max_attempts": "30",
        "stop_on_hard_decline": "on",
        "retry_on_card_update": "on",
        "final_action": "write_off",
        "notices-TOTAL_FORMS": "3",
        "notices-INITIAL_FORMS": "3",
    }
    for i, notice in enumerate(policy.notices.order_by("pk")):
        data |= {
            f"notices-{i}-id": notice.pk,
            f"notices-{i}-policy": policy.pk,
            f"notices-{i}-kind": notice.kind,
            f"notices-{i}-subject": notice.subject,
            f"notices-{i}-body_text": notice.body_text,
            f"notices-{i}-body_html": "",
        }
        if notice == first:
            data[f"notices-{i}-subject"] = "Pay up, {{ contact.first_name }}"
    response = admin_client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]

    event = AuditEvent.objects.get(action="dunning_policy.changed")
    assert event.before["notice first"]["subject"] == first.subject
    assert event.after["notice first"]["subject"] == "Pay up, {{ contact.first_name }}"
